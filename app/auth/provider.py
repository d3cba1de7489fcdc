"""The identity provider as the portal sees it: its discovery document and its signing keys, fetched over
HTTP with a time limit and cached.

Discovery URLs are used exactly as configured, so Azure AD B2C and Entra External ID URLs with the policy
(user flow) in the path or the query work unchanged. The issuer the document names must be the one pinned by
PORTAL_OIDC_ISSUER (ASVS 10.5.3): a document that names another issuer is refused, so a compromised or
mistyped discovery URL cannot make the portal trust someone else's tokens.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import requests
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

METADATA_CACHE_SECONDS = 3600
# A token signed with a key we do not know makes us fetch the provider's keys again, at most this often: a
# stream of tokens with made-up key ids must not turn into a stream of requests to the provider.
KEY_REFRESH_INTERVAL_SECONDS = 60


class ProviderError(Exception):
    """The provider could not be used. `reason` names what went wrong for the audit log and the error page."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def http_get_json(http: requests.Session, url: str, timeout: float, **kwargs) -> dict:
    try:
        response = http.get(url, timeout=timeout, **kwargs)
    except requests.Timeout as error:
        raise ProviderError("provider_slow", f"no answer from {url} within {timeout}s") from error
    except requests.RequestException as error:
        raise ProviderError("provider_unreachable", f"{url}: {type(error).__name__}") from error
    if response.status_code != 200:
        raise ProviderError("provider_error", f"{url} answered {response.status_code}")
    try:
        document = response.json()
    except ValueError as error:
        raise ProviderError("provider_error", f"{url} did not answer with JSON") from error
    if not isinstance(document, dict):
        raise ProviderError("provider_error", f"{url} did not answer with a JSON object")
    return document


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str
    end_session_endpoint: str | None = None
    id_token_signing_alg_values_supported: tuple[str, ...] = ("RS256",)
    # RFC 9207: the provider names itself in every authorization response (`iss`), against mix-up attacks.
    authorization_response_iss_parameter_supported: bool = False

    @classmethod
    def from_document(cls, document: dict) -> ProviderMetadata:
        required = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint")
        missing = [name for name in required if not isinstance(document.get(name), str)]
        if missing:
            raise ProviderError("provider_error", f"discovery document lacks {', '.join(missing)}")
        return cls(
            issuer=document["issuer"],
            authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
            jwks_uri=document["jwks_uri"],
            userinfo_endpoint=document["userinfo_endpoint"],
            end_session_endpoint=document.get("end_session_endpoint"),
            id_token_signing_alg_values_supported=tuple(
                document.get("id_token_signing_alg_values_supported") or ("RS256",)
            ),
            authorization_response_iss_parameter_supported=(
                document.get("authorization_response_iss_parameter_supported") is True
            ),
        )


class Provider:
    """One provider, known by its discovery URL. Thread-safe; shared by every request of a process."""

    def __init__(self, discovery_url: str, timeout: float, expected_issuer: str | None = None):
        self.discovery_url = discovery_url
        self.timeout = timeout
        self.expected_issuer = expected_issuer
        self.http = requests.Session()
        self._lock = threading.Lock()
        self._metadata: ProviderMetadata | None = None
        self._metadata_fetched_at = 0.0
        self._keys: KeySet | None = None
        self._keys_fetched_at = 0.0

    def metadata(self) -> ProviderMetadata:
        with self._lock:
            if (
                self._metadata is None
                or time.monotonic() - self._metadata_fetched_at > METADATA_CACHE_SECONDS
            ):
                document = http_get_json(self.http, self.discovery_url, self.timeout)
                metadata = ProviderMetadata.from_document(document)
                if self.expected_issuer is not None and metadata.issuer != self.expected_issuer:
                    raise ProviderError("issuer_mismatch", f"{self.discovery_url} names another issuer")
                self._metadata = metadata
                self._metadata_fetched_at = time.monotonic()
                self._keys = None
            return self._metadata

    def keys(self, *, refresh: bool = False) -> KeySet:
        """The provider's signing keys. `refresh` fetches them again, for a token signed by a key we have not
        seen (the provider rotated its keys), unless they were fetched within KEY_REFRESH_INTERVAL_SECONDS."""
        metadata = self.metadata()
        with self._lock:
            recently = time.monotonic() - self._keys_fetched_at < KEY_REFRESH_INTERVAL_SECONDS
            if self._keys is None or (refresh and not recently):
                document = http_get_json(self.http, metadata.jwks_uri, self.timeout)
                try:
                    self._keys = KeySet.import_key_set(document)
                except (JoseError, ValueError, KeyError, TypeError) as error:
                    raise ProviderError("provider_error", f"unusable JWKS: {type(error).__name__}") from error
                self._keys_fetched_at = time.monotonic()
            return self._keys


_providers: dict[tuple[str, float, str | None], Provider] = {}
_providers_lock = threading.Lock()


def provider_for(discovery_url: str, timeout: float, expected_issuer: str | None = None) -> Provider:
    with _providers_lock:
        key = (discovery_url, timeout, expected_issuer)
        if key not in _providers:
            _providers[key] = Provider(discovery_url, timeout, expected_issuer)
        return _providers[key]


def forget_providers() -> None:
    """Drop every cached discovery document and key set (tests that change the provider use this)."""
    with _providers_lock:
        _providers.clear()
