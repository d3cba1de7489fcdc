"""Identity administration: creating residents' accounts at the shared identity provider, as Microsoft Graph
does for Azure AD B2C and Entra External ID (the sandbox provider's admin API speaks the same subset).

- authentication: OAuth 2.0 client credentials (the app registration's client id and secret) at the token
  endpoint, for the `https://graph.microsoft.com/.default` scope; the token is reused until shortly before
  it expires;
- `POST /users` with an email identity, no usable password (a random one the resident never learns) and the
  "requires migration" extension attribute, `extension_<app id without dashes>_requiresMigration`;
- an existing identity (Graph answers 400 "...already exists") is found with
  `GET /users?$filter=identities/any(...)`, so a run that crashed after creating a user adopts it;
- `create_users` sends up to 20 creations in one JSON batch (`POST /$batch`, Graph's limit), so 12,000
  accounts take hundreds of HTTP requests rather than thousands; each request in a batch has its own status;
- rate limits: at most `requests_per_second` requests are started per second across all threads (each
  request in a batch counts, as Graph counts them), and a 429 or 503, for a whole call or for one request
  in a batch, is retried after its `Retry-After` (every thread waits, not just the one that was told).

No cache and no circuit breaker: these are writes made by an operator's command, which reports each
account's outcome and is run again for the ones that failed.
"""

from __future__ import annotations

import secrets
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass

import requests

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
RETRY_STATUSES = (429, 503)
MAX_RETRY_AFTER = 60.0
BATCH_LIMIT = 20  # Microsoft Graph's JSON batching takes at most 20 requests per batch


class IdentityAdminError(Exception):
    """The provider refused the call or could not be reached."""


@dataclass(frozen=True)
class NewIdentity:
    email: str
    given_name: str
    family_name: str
    requires_migration: bool


class IdentityAdmin(ABC):
    @abstractmethod
    def create_user(self, identity: NewIdentity) -> str:
        """Create the user (or find the one already made for this email) and return its id."""

    def create_users(self, identities: list[NewIdentity]) -> list[str | IdentityAdminError]:
        """Each identity's id, or why it could not be made, in the same order."""
        results: list[str | IdentityAdminError] = []
        for identity in identities:
            try:
                results.append(self.create_user(identity))
            except IdentityAdminError as error:
                results.append(error)
        return results


class RateLimiter:
    """At most `per_second` starts per second, and a shared pause when the provider says to wait."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._lock = threading.Lock()
        self._next = time.monotonic()
        self._paused_until = 0.0

    def wait(self, requests_starting: int = 1) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next, self._paused_until)
            self._next = start + self.interval * requests_starting
        delay = start - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)


def retry_after(response: requests.Response) -> float:
    return retry_after_seconds(response.headers.get("Retry-After", ""))


def retry_after_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


class GraphIdentityAdmin(IdentityAdmin):
    def __init__(
        self,
        *,
        token_url: str,
        graph_url: str,
        client_id: str,
        client_secret: str,
        tenant_issuer: str,
        extensions_app_id: str,
        requests_per_second: float = 50.0,
        max_retries: int = 6,
        timeout: float = 10.0,
        host_header: str | None = None,
    ):
        self.token_url = token_url
        self.graph_url = graph_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.tenant_issuer = tenant_issuer
        self.attribute = f"extension_{extensions_app_id.replace('-', '')}_requiresMigration"
        self.limiter = RateLimiter(requests_per_second)
        self.max_retries = max_retries
        self.timeout = timeout
        self.headers = {"Host": host_header} if host_header else {}
        self._local = threading.local()
        self._token_lock = threading.Lock()
        self._token: tuple[str, float] | None = None
        self.throttled = 0  # how many times the provider said to wait

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def _access_token(self) -> str:
        with self._token_lock:
            if self._token is None or self._token[1] < time.monotonic():
                try:
                    response = self._session().post(
                        self.token_url,
                        data={
                            "grant_type": "client_credentials",
                            "client_id": self.client_id,
                            "client_secret": self.client_secret,
                            "scope": GRAPH_SCOPE,
                        },
                        headers=self.headers,
                        timeout=self.timeout,
                    )
                except requests.RequestException as error:
                    raise IdentityAdminError(
                        f"token endpoint not reached ({type(error).__name__})"
                    ) from error
                if response.status_code != 200:
                    raise IdentityAdminError(f"token endpoint answered {response.status_code}")
                body = response.json()
                lifetime = float(body.get("expires_in", 300))
                self._token = (body["access_token"], time.monotonic() + max(lifetime - 60, lifetime / 2))
            return self._token[0]

    def _call(self, method: str, path: str, requests_inside: int = 1, **kwargs) -> requests.Response:
        for _attempt in range(self.max_retries + 1):
            self.limiter.wait(requests_inside)
            headers = {**self.headers, "Authorization": f"Bearer {self._access_token()}"}
            try:
                response = self._session().request(
                    method, f"{self.graph_url}{path}", headers=headers, timeout=self.timeout, **kwargs
                )
            except requests.RequestException as error:
                raise IdentityAdminError(f"{method} {path} not reached ({type(error).__name__})") from error
            if response.status_code == 401:
                with self._token_lock:
                    self._token = None
                continue
            if response.status_code not in RETRY_STATUSES:
                return response
            self.throttled += 1
            self.limiter.pause(retry_after(response))
        raise IdentityAdminError(f"{method} {path}: still refused after {self.max_retries} retries")

    def find_user(self, email: str) -> str | None:
        quoted = email.replace("'", "''")
        response = self._call(
            "GET",
            "/users",
            params={
                "$filter": f"identities/any(c:c/issuerAssignedId eq '{quoted}' "
                f"and c/issuer eq '{self.tenant_issuer}')",
                "$select": "id",
            },
        )
        if response.status_code != 200:
            raise IdentityAdminError(f"finding a user answered {response.status_code}")
        users = response.json().get("value") or []
        return users[0]["id"] if users else None

    def _new_user(self, identity: NewIdentity) -> dict:
        return {
            "accountEnabled": True,
            "displayName": f"{identity.given_name} {identity.family_name}".strip() or identity.email,
            "givenName": identity.given_name or None,
            "surname": identity.family_name or None,
            "identities": [
                {
                    "signInType": "emailAddress",
                    "issuer": self.tenant_issuer,
                    "issuerAssignedId": identity.email,
                }
            ],
            # Never used: the resident signs in with their old password, then chooses to keep or change it.
            "passwordProfile": {
                "password": secrets.token_urlsafe(24) + "aA1!",
                "forceChangePasswordNextSignIn": False,
            },
            "passwordPolicies": "DisablePasswordExpiration",
            self.attribute: identity.requires_migration,
        }

    def _created(self, identity: NewIdentity, status: int, body: object) -> str:
        """The new user's id from a creation's answer; an existing user for this email is adopted."""
        if status == 201 and isinstance(body, dict) and isinstance(body.get("id"), str):
            return body["id"]
        if status in (400, 409) and "already exists" in str(body):
            existing = self.find_user(identity.email)
            if existing:
                return existing
        raise IdentityAdminError(f"creating a user answered {status}")

    def create_user(self, identity: NewIdentity) -> str:
        response = self._call("POST", "/users", json=self._new_user(identity))
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return self._created(identity, response.status_code, body)

    def create_users(self, identities: list[NewIdentity]) -> list[str | IdentityAdminError]:
        results: list[str | IdentityAdminError] = []
        for start in range(0, len(identities), BATCH_LIMIT):
            results.extend(self._create_batch(identities[start : start + BATCH_LIMIT]))
        return results

    def _create_batch(self, identities: list[NewIdentity]) -> list[str | IdentityAdminError]:
        """One JSON batch; its throttled requests (429/503 inside a 200) are sent again after Retry-After."""
        results: dict[int, str | IdentityAdminError] = {}
        waiting = dict(enumerate(identities))
        for _attempt in range(self.max_retries + 1):
            if not waiting:
                break
            batch = {
                "requests": [
                    {
                        "id": str(number),
                        "method": "POST",
                        "url": "/users",
                        "headers": {"Content-Type": "application/json"},
                        "body": self._new_user(identity),
                    }
                    for number, identity in waiting.items()
                ]
            }
            response = self._call("POST", "/$batch", requests_inside=len(waiting), json=batch)
            if response.status_code != 200:
                error = IdentityAdminError(f"a batch of creations answered {response.status_code}")
                return [results.get(number, error) for number in range(len(identities))]
            try:
                answers = {str(answer["id"]): answer for answer in response.json()["responses"]}
            except (ValueError, KeyError, TypeError):
                error = IdentityAdminError("a batch of creations answered with something that is not JSON")
                return [results.get(number, error) for number in range(len(identities))]
            pause = 0.0
            for number, identity in list(waiting.items()):
                answer = answers.get(str(number))
                if answer is None:
                    continue  # not answered: sent again in the next batch
                status = int(answer.get("status") or 0)
                if status in RETRY_STATUSES:
                    self.throttled += 1
                    headers = {name.lower(): value for name, value in (answer.get("headers") or {}).items()}
                    pause = max(pause, retry_after_seconds(str(headers.get("retry-after", ""))))
                    continue
                del waiting[number]
                try:
                    results[number] = self._created(identity, status, answer.get("body"))
                except IdentityAdminError as error:
                    results[number] = error
            if waiting and pause:
                self.limiter.pause(pause)
        refused = IdentityAdminError(f"POST /users: still refused after {self.max_retries} retries")
        return [results.get(number, refused) for number in range(len(identities))]
