"""A council's Open311 system may name its services its own way: the connectors file's ``service_codes`` maps
the portal's report codes to the council's, and the Open311 connector translates both ways, so the portal only
ever speaks its own codes. connectors/sandbox.toml gives Breckland codes of its own, and the sandbox serves
them."""

from __future__ import annotations

import pytest
import requests

from connectors.errors import ConfigurationError
from connectors.http import make_cache
from connectors.models import NewServiceRequest
from connectors.registry import ConnectorRegistry, Deployment

BRECKLAND_CODES = {
    "missed_bin": "BRK-WASTE-01",
    "fly_tipping": "BRK-ENV-04",
    "abandoned_vehicle": "BRK-ENV-07",
}


def test_the_portal_speaks_its_own_codes_to_a_council_with_others(sandbox, connector_registry):
    served = requests.get(
        f"{sandbox.url}/open311/v2/services.json", params={"jurisdiction_id": "breckland.gov.uk"}, timeout=5
    ).json()
    assert {service["service_code"] for service in served} == set(BRECKLAND_CODES.values())

    breckland = connector_registry.street_reports("breckland")
    assert {service.code for service in breckland.services().value} == set(BRECKLAND_CODES)
    definition = breckland.service_definition("fly_tipping").value
    assert definition.service_code == "fly_tipping"
    assert {attribute.code for attribute in definition.attributes} >= {"waste_type", "amount"}

    created = breckland.create_request(
        NewServiceRequest(
            service_code="abandoned_vehicle",
            description="A car with no wheels on the verge.",
            latitude=52.5706,
            longitude=0.8447,
            address_string="Norwich Road, Watton",
            attributes={"how_long": "months"},
        )
    )
    stored = requests.get(
        f"{sandbox.url}/open311/_admin/requests/{created.service_request_id}", timeout=5
    ).json()
    assert stored["service_code"] == "BRK-ENV-07", "the council's system got its own code"
    assert breckland.request(created.service_request_id).value.service_code == "abandoned_vehicle"
    listed = breckland.requests(service_code="abandoned_vehicle").value
    assert created.service_request_id in {request.service_request_id for request in listed}
    assert {request.service_code for request in listed} == {"abandoned_vehicle"}


@pytest.mark.parametrize(
    ("service_codes", "problem"),
    [
        ("WASTE-01", "is a table"),
        ({"missed_bin": ""}, "is a table"),
        ({"missed_bin": "W-1", "fly_tipping": "W-1"}, "to two report codes"),
    ],
)
def test_service_codes_that_cannot_be_translated_are_refused(service_codes, problem, tmp_path):
    deployment = Deployment.from_mapping(
        {
            "councils": {
                "norwich": {
                    "street_reports": {
                        "adapter": "open311",
                        "base_url": "http://127.0.0.1:9/open311/v2",
                        "service_codes": service_codes,
                    }
                }
            }
        },
        environ={},
    )
    registry = ConnectorRegistry(deployment, cache=make_cache(tmp_path), environ={})
    with pytest.raises(ConfigurationError, match=problem):
        registry.street_reports("norwich")
