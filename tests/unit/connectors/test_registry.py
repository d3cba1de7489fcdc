"""The registry and its deployment file: credentials only ever from the environment variables it names."""

import os
from pathlib import Path

import pytest

from connectors.breaker import InProcessBreakerStore, RedisBreakerStore
from connectors.errors import ConfigurationError
from connectors.http import make_cache
from connectors.models import ServiceKind
from connectors.open311 import Open311Client
from connectors.registry import ConnectorRegistry, Deployment

SANDBOX_COUNCILS = {"breckland", "broadland", "great-yarmouth", "norfolk", "north-norfolk", "norwich",
                    "south-norfolk", "west-norfolk"}  # fmt: skip


def registry(document, tmp_path, environ=None):
    return ConnectorRegistry(
        Deployment.from_mapping(document), cache=make_cache(tmp_path), environ=environ or {}
    )


def test_the_sandbox_file_configures_every_council():
    deployment = Deployment.load(None)
    assert set(deployment.councils()) == SANDBOX_COUNCILS
    for council in SANDBOX_COUNCILS:
        assert (council, ServiceKind.STREET_REPORTS) in deployment.sections
        assert (council, ServiceKind.CASES) in deployment.sections
        if council != "norfolk":
            for kind in (ServiceKind.BINS, ServiceKind.COUNCIL_TAX, ServiceKind.PLANNING):
                assert (council, kind) in deployment.sections


def test_the_sandbox_file_holds_no_secret():
    text = Path(Deployment.load(None).source).read_text(encoding="utf-8").lower()
    assert "sandbox-back-office-key" not in text and "password" not in text


def test_a_connector_gets_its_credential_from_the_variable_the_file_names(tmp_path):
    document = {"councils": {"norwich": {"street_reports": {
        "adapter": "open311", "base_url": "http://127.0.0.1:9/v2", "jurisdiction_id": "norwich.gov.uk",
        "format": "xml", "timeout": 1.5, "credentials": {"api_key": "NORWICH_OPEN311_KEY"}}}}}  # fmt: skip
    built = registry(document, tmp_path, {"NORWICH_OPEN311_KEY": "from-the-environment"}).street_reports(
        "norwich"
    )
    assert isinstance(built, Open311Client)
    assert (built.api_key, built.jurisdiction_id, built.fmt) == (
        "from-the-environment",
        "norwich.gov.uk",
        "xml",
    )
    assert built.http.policy.timeout == 1.5
    assert built.http.policy.ttl == Deployment.from_mapping({}).ttl[ServiceKind.STREET_REPORTS]


def test_a_missing_credential_variable_is_named(tmp_path):
    section = {
        "adapter": "open311",
        "base_url": "http://x/v2",
        "credentials": {"api_key": "NORWICH_OPEN311_KEY"},
    }
    document = {"councils": {"norwich": {"street_reports": section}}}
    with pytest.raises(ConfigurationError, match="NORWICH_OPEN311_KEY"):
        registry(document, tmp_path).street_reports("norwich")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"councils": {"norwich": {"bins": {"adapter": "carrier-pigeon"}}}},
            "unknown adapter 'carrier-pigeon'",
        ),
        ({"councils": {"norwich": {"parking": {"adapter": "open311"}}}}, "unknown kind of service 'parking'"),
        ({"councils": {"norwich": {"bins": {"base_url": "http://x"}}}}, "has no adapter"),
    ],
)
def test_a_wrong_deployment_file_is_refused_with_a_reason(document, message):
    with pytest.raises(ConfigurationError, match=message):
        Deployment.from_mapping(document)


def test_a_service_a_council_does_not_offer_is_a_configuration_error(tmp_path):
    connectors = registry({}, tmp_path)
    assert not connectors.serves("norwich", "bins")
    with pytest.raises(ConfigurationError, match="no bins connector for norwich"):
        connectors.bins("norwich")


def test_ttls_per_kind_come_from_the_file():
    deployment = Deployment.load(None)
    assert deployment.ttl[ServiceKind.BINS].total_seconds() == 21600
    assert deployment.ttl[ServiceKind.COUNCIL_TAX].total_seconds() == 300


def test_rebase_points_the_file_at_another_sandbox():
    deployment = Deployment.load(None, rebase=("http://127.0.0.1:5001", "http://127.0.0.1:6123"), environ={})
    assert (
        deployment.sections[("norwich", ServiceKind.BINS)]["base_url"] == "http://127.0.0.1:6123/bins/norwich"
    )


def test_from_file_uses_redis_for_breakers_and_cache_when_configured(tmp_path):
    assert isinstance(
        ConnectorRegistry.from_file(None, instance_dir=tmp_path).breakers, InProcessBreakerStore
    )
    url = os.environ.get("PORTAL_TEST_REDIS_URL")
    if not url:
        pytest.skip("PORTAL_TEST_REDIS_URL is not set")
    connectors = ConnectorRegistry.from_file(None, instance_dir=tmp_path, redis_url=url)
    assert isinstance(connectors.breakers, RedisBreakerStore)
    assert type(connectors.cache).__name__ == "RedisCache"


def test_the_sandbox_file_follows_portal_sandbox_port():
    deployment = Deployment.load(None, environ={"PORTAL_SANDBOX_PORT": "5171"})
    assert (
        deployment.sections[("norwich", ServiceKind.BINS)]["base_url"] == "http://127.0.0.1:5171/bins/norwich"
    )
    default = Deployment.load(None, environ={})
    assert default.sections[("norwich", ServiceKind.BINS)]["base_url"] == "http://127.0.0.1:5001/bins/norwich"


def test_a_variable_without_a_default_must_be_set():
    bins = {"adapter": "bins_rest", "base_url": "${NORWICH_BINS_URL}/v1"}
    document = {"councils": {"norwich": {"bins": bins}}}
    deployment = Deployment.from_mapping(document, environ={"NORWICH_BINS_URL": "https://bins.example"})
    assert deployment.sections[("norwich", ServiceKind.BINS)]["base_url"] == "https://bins.example/v1"
    with pytest.raises(ConfigurationError, match="NORWICH_BINS_URL"):
        Deployment.from_mapping(document, environ={})
