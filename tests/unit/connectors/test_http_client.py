"""HttpClient's per-client settings: what requests would read from the environment on every call is read once
when the client is built, and the shared cache's key for a request is remembered per exact request."""

from datetime import timedelta

import requests
from requests_cache import SQLiteCache

from connectors.breaker import CircuitBreaker, InProcessBreakerStore
from connectors.http import HttpClient, HttpPolicy
from connectors.models import ServiceKind


def make_client(tmp_path, base_url="http://backoffice.example/api", **kwargs):
    return HttpClient(
        council="norwich",
        kind=ServiceKind.BINS,
        base_url=base_url,
        policy=HttpPolicy(ttl=timedelta(minutes=5)),
        cache=SQLiteCache(db_path=str(tmp_path / "cache.sqlite3")),
        breaker=CircuitBreaker("norwich:bins", InProcessBreakerStore()),
        **kwargs,
    )


def clear_proxy_environment(monkeypatch):
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
    ):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_the_environments_proxy_and_ca_bundle_are_used_without_reading_it_per_call(tmp_path, monkeypatch):
    clear_proxy_environment(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/council-ca.pem")
    session = make_client(tmp_path)._session

    assert not session.trust_env
    assert requests.utils.select_proxy("http://backoffice.example/api/x", session.proxies) == (
        "http://proxy.example:3128"
    )
    assert session.verify == "/etc/ssl/council-ca.pem"


def test_no_proxy_for_the_clients_origin_means_no_proxy(tmp_path, monkeypatch):
    clear_proxy_environment(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "backoffice.example")
    session = make_client(tmp_path)._session

    assert requests.utils.select_proxy("http://backoffice.example/api/x", session.proxies) is None
    assert session.verify is True


def prepared(client, path, **params):
    return client._session.prepare_request(requests.Request("GET", client.url(path), params=params))


def test_the_remembered_cache_key_is_requests_caches_own_and_one_per_request(tmp_path):
    client = make_client(tmp_path, headers={"X-Api-Key": "secret"})
    first = prepared(client, "collections", uprn="100090000001")

    assert client._cache_key(first) == client.cache.create_key(first)
    assert client._cache_key(prepared(client, "collections", uprn="100090000001")) == client._cache_key(first)
    assert client._cache_key(prepared(client, "collections", uprn="100090000002")) != client._cache_key(first)
    other_key = make_client(tmp_path, headers={"X-Api-Key": "other"})
    assert client._cache_key(first) != other_key.cache.create_key(
        prepared(other_key, "collections", uprn="1")
    )


def test_the_remembered_cache_keys_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr("connectors.http.CACHE_KEYS", 3)
    client = make_client(tmp_path)
    for uprn in range(10):
        request = prepared(client, "collections", uprn=str(uprn))
        assert client._cache_key(request) == client.cache.create_key(request)
        assert len(client._cache_keys) <= 3
