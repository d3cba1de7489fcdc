"""The AddressLookup contract: the portal's gazetteer table and the OS Places adapter (against a loopback fake
of the OS Places API built from the same sandbox gazetteer) answer alike."""

from __future__ import annotations

import pytest

from app import address_lookup, address_problems, gazetteer_import, routing
from app.backoffice import use_registry
from connectors.errors import NotAuthorised, NotFound
from connectors.http import make_cache
from connectors.models import Address
from connectors.os_places import OsPlacesLookup
from connectors.protocols import AddressLookup
from connectors.registry import GAZETTEER, ConnectorRegistry, Deployment
from sandbox.demo_residents import DEMO_RESIDENTS
from sandbox.gazetteer import addresses as gazetteer_addresses
from tests.support import os_places
from tests.support.live_server import LiveServer
from tests.support.sandbox import API_KEY as SANDBOX_KEY

TOM = next(resident for resident in DEMO_RESIDENTS if resident.given_name == "Tom")


@pytest.fixture(scope="module")
def os_places_server():
    server = LiveServer(os_places.create_app())
    yield server
    server.stop()


def os_places_registry(server, cache_dir, key=os_places.API_KEY) -> ConnectorRegistry:
    deployment = Deployment.from_mapping(
        {"addresses": {"adapter": "auto", "base_url": f"{server.url}/search/places/v1"}}
    )
    return ConnectorRegistry(
        deployment, cache=make_cache(cache_dir), environ={"PORTAL_OS_PLACES_API_KEY": key}
    )


@pytest.fixture
def request_context(app):
    with app.test_request_context("/", headers={"Host": "norwich.localhost"}):
        yield app


@pytest.fixture(params=["gazetteer", "os_places"])
def lookup(request, request_context, tmp_path):
    if request.param == "gazetteer":
        from sandbox.gazetteer import GAZETTEER_CSV

        gazetteer_import.import_file(GAZETTEER_CSV)
        registry = ConnectorRegistry(Deployment.from_mapping({}), cache=make_cache(tmp_path), environ={})
    else:
        registry = os_places_registry(request.getfixturevalue("os_places_server"), tmp_path)
    use_registry(request_context, registry)
    yield address_lookup.lookup()  # what the portal uses: its own table, or the connector
    use_registry(request_context, None)


def test_addresses_by_postcode_include_the_resident(lookup):
    found = lookup.addresses_for_postcode(TOM.postcode)
    assert all(isinstance(address, Address) for address in found)
    tom = next(address for address in found if address.uprn == TOM.uprn)
    assert (tom.postcode, tom.lad_gss, tom.town.lower()) == (TOM.postcode, TOM.district_gss, "norwich")
    assert tom.latitude == pytest.approx(52.6268, abs=0.001)


def test_an_unknown_postcode_has_no_addresses(lookup):
    assert list(lookup.addresses_for_postcode("NR99 9ZZ")) == []


def test_an_address_by_uprn_and_an_unknown_uprn(lookup):
    assert lookup.address(TOM.uprn).postcode == TOM.postcode
    with pytest.raises(NotFound):
        lookup.address("999999999999")


def test_the_nearest_address_to_a_point(lookup):
    assert lookup.nearest(52.62681, 1.27873, 100).uprn == TOM.uprn
    assert lookup.nearest(52.90, 2.50, 1000) is None


class PostcodesAndUprnsOnly:
    def addresses_for_postcode(self, postcode):
        return []

    def address(self, uprn):
        raise NotFound("gazetteer", "addresses", uprn)


def test_every_lookup_is_an_address_lookup_and_one_without_nearest_is_not(lookup):
    assert isinstance(lookup, AddressLookup)
    assert not isinstance(PostcodesAndUprnsOnly(), AddressLookup)


def test_routing_works_on_either_lookup(lookup):
    assert routing.council_for("bins", uprn=TOM.uprn).council == "norwich"
    assert routing.council_for("highways", latitude=52.6269, longitude=1.2789).council == "norfolk"


def test_auto_chooses_os_places_only_when_its_key_is_set(os_places_server, tmp_path):
    assert isinstance(os_places_registry(os_places_server, tmp_path).address_lookup(), OsPlacesLookup)
    without_key = ConnectorRegistry(Deployment.load(None), cache=make_cache(tmp_path), environ={})
    assert without_key.address_adapter() == GAZETTEER, "the portal's own table"


def test_os_places_outside_norfolk_is_routed_to_a_hand_off(os_places_server, request_context, tmp_path):
    use_registry(request_context, os_places_registry(os_places_server, tmp_path))
    try:
        lowestoft = next(address for address in gazetteer_addresses().values() if address.town == "Lowestoft")
        with pytest.raises(address_problems.OutsideNorfolk) as raised:
            address_lookup.addresses_for_postcode(lowestoft.postcode)
        assert raised.value.contact_website == address_problems.FIND_YOUR_COUNCIL_URL
    finally:
        use_registry(request_context, None)


def test_a_wrong_os_places_key_is_not_authorised(os_places_server, tmp_path):
    lookup = os_places_registry(os_places_server, tmp_path, key="wrong").address_lookup()
    with pytest.raises(NotAuthorised):
        lookup.addresses_for_postcode(TOM.postcode)


def test_the_sandbox_key_is_not_sent_to_os_places(os_places_server, tmp_path):
    lookup = os_places_registry(os_places_server, tmp_path).address_lookup()
    assert SANDBOX_KEY not in str(lookup.http._headers.values())
