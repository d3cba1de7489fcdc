"""Identity providers over real HTTP on free loopback ports: the sandbox's development provider, and a
scriptable provider whose tokens each test can spoil in one precise way."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from sandbox import create_sandbox_app
from tests.support.live_server import LiveServer

CLIENT_ID = "my-norfolk-development"
CLIENT_SECRET = "development-only-client-secret"


def start_sandbox_idp(instance_dir: Path, **overrides) -> LiveServer:
    app = create_sandbox_app(instance_dir, **overrides)
    return LiveServer(app)


@dataclass
class Behaviour:
    """How the scriptable provider spoils its answers. Defaults: a correct provider."""

    algorithm: str = "RS256"
    claim_overrides: dict = field(default_factory=dict)
    unsigned: bool = False
    sign_with_stranger_key: bool = False
    token_delay: float = 0.0
    userinfo: dict = field(default_factory=dict)
    issuer_path: str = "/v2.0"
    # RFC 9207: advertise authorization_response_iss_parameter_supported and send `iss` in every
    # authorization response (`response_iss` overrides the value sent; None leaves it out).
    advertise_iss: bool = False
    response_iss: str | None = "issuer"


class ScriptableProvider:
    """An OpenID provider with just enough behaviour to sign in one made-up resident, and to get one thing
    wrong on request. Codes are single use; PKCE and client_secret_basic are checked as a real one would."""

    subject = "scripted-resident-1"

    def __init__(self, discovery_path: str = "/.well-known/openid-configuration"):
        self.behaviour = Behaviour()
        self.discovery_path = discovery_path
        self.keys = {
            "RS256": RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "alg": "RS256", "use": "sig"}),
            "ES256": ECKey.generate_key("P-256", parameters={"kid": "ec-1", "alg": "ES256", "use": "sig"}),
        }
        self.stranger_key = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
        self.codes: dict[str, dict] = {}
        self.token_requests: list[dict] = []
        self.jwks_requests = 0
        self.last_authorization: dict = {}
        self.app = self._build_app()
        self.server = LiveServer(self.app)

    def reset(self) -> None:
        self.behaviour = Behaviour()
        self.codes.clear()
        self.token_requests.clear()
        self.jwks_requests = 0

    @property
    def base(self) -> str:
        return self.server.url

    @property
    def issuer(self) -> str:
        return f"{self.base}{self.behaviour.issuer_path}"

    @property
    def discovery_url(self) -> str:
        return f"{self.base}{self.discovery_path}"

    def sign(self, claims: dict, *, typ: str = "JWT") -> str:
        behaviour = self.behaviour
        if behaviour.unsigned:
            header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": typ}).encode()).rstrip(b"=")
            body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
            return f"{header.decode()}.{body.decode()}."
        key = self.stranger_key if behaviour.sign_with_stranger_key else self.keys[behaviour.algorithm]
        header = {"alg": behaviour.algorithm, "kid": key.kid, "typ": typ}
        return jwt.encode(header, claims, key, algorithms=[behaviour.algorithm])

    def id_token_claims(self, nonce: str) -> dict:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": self.subject,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "sid": "scripted-session-1",
        }
        claims.update(self.behaviour.claim_overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def logout_token(self, **overrides) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 120,
            "jti": secrets.token_urlsafe(8),
            "sub": self.subject,
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
        }
        claims.update(overrides)
        typ = claims.pop("typ", "logout+jwt")
        return self.sign({name: value for name, value in claims.items() if value is not None}, typ=typ)

    def _build_app(self) -> Flask:
        app = Flask("scriptable_provider")
        provider = self

        @app.get(provider.discovery_path)
        def discovery():
            return {
                "issuer": provider.issuer,
                "authorization_endpoint": f"{provider.base}/authorize",
                "token_endpoint": f"{provider.base}/token",
                "userinfo_endpoint": f"{provider.base}/userinfo",
                "jwks_uri": f"{provider.base}/jwks",
                "end_session_endpoint": f"{provider.base}/logout",
                "id_token_signing_alg_values_supported": ["RS256", "ES256"],
                "authorization_response_iss_parameter_supported": provider.behaviour.advertise_iss,
            }

        @app.get("/jwks")
        def jwks():
            provider.jwks_requests += 1
            return {"keys": [key.as_dict(private=False) for key in provider.keys.values()]}

        @app.get("/authorize")
        def authorize():
            args = request.args
            provider.last_authorization = dict(args)
            code = secrets.token_urlsafe(16)
            provider.codes[code] = {
                "nonce": args.get("nonce"),
                "challenge": args.get("code_challenge"),
                "redirect_uri": args.get("redirect_uri"),
            }
            answer = {"code": code, "state": args.get("state", "")}
            sent_iss = provider.behaviour.response_iss
            if provider.behaviour.advertise_iss and sent_iss is not None:
                answer["iss"] = provider.issuer if sent_iss == "issuer" else sent_iss
            return redirect(f"{args['redirect_uri']}?{urlencode(answer)}")

        @app.post("/token")
        def token():
            time.sleep(provider.behaviour.token_delay)
            provider.token_requests.append({"form": dict(request.form), "auth": request.authorization})
            auth = request.authorization
            if auth is None or auth.username != CLIENT_ID or auth.password != CLIENT_SECRET:
                return jsonify(error="invalid_client"), 401
            issued = provider.codes.pop(request.form.get("code", ""), None)
            if issued is None:
                return jsonify(error="invalid_grant", error_description="code unknown or used"), 400
            verifier = request.form.get("code_verifier", "")
            expected = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            )
            if expected != issued["challenge"] or request.form.get("redirect_uri") != issued["redirect_uri"]:
                return jsonify(error="invalid_grant", error_description="PKCE or redirect_uri mismatch"), 400
            return {
                "access_token": "scripted-access-token",
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": provider.sign(provider.id_token_claims(issued["nonce"])),
            }

        @app.get("/userinfo")
        def userinfo():
            if request.headers.get("Authorization") != "Bearer scripted-access-token":
                return jsonify(error="invalid_token"), 401
            claims = {
                "sub": provider.subject,
                "name": "Sam Scripted",
                "email": "sam.scripted@example.com",
                "email_verified": True,
                **provider.behaviour.userinfo,
            }
            return {name: value for name, value in claims.items() if value is not None}

        return app


OIDC_PROVIDER_SCRIPT = Path(__file__).resolve().parents[2] / "interop" / "oidc_provider_server.mjs"
COUNCIL_HOSTS = ("south-norfolk.localhost", "norfolk.localhost")


@dataclass
class OidcProviderProcess:
    """panva's oidc-provider (npm, run by node) with one client for the portal's council hosts."""

    process: subprocess.Popen
    issuer: str

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


def start_oidc_provider(portal_port: int = 80, hosts=COUNCIL_HOSTS) -> OidcProviderProcess:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed: the oidc-provider interoperability tests need Node 20")
    port = "" if portal_port == 80 else f":{portal_port}"
    environment = {
        **os.environ,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URIS": ",".join(f"http://{host}{port}/auth/callback" for host in hosts),
        "POST_LOGOUT_REDIRECT_URIS": ",".join(f"http://{host}{port}/" for host in hosts),
        "BACKCHANNEL_LOGOUT_URI": f"http://127.0.0.1:{portal_port}/auth/back-channel-logout",
    }
    process = subprocess.Popen(
        [node, str(OIDC_PROVIDER_SCRIPT)],
        cwd=OIDC_PROVIDER_SCRIPT.parents[2],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    ready, _, _ = select.select([process.stdout], [], [], 30)
    if not ready:
        process.kill()
        raise RuntimeError("oidc-provider did not start within 30 seconds")
    line = process.stdout.readline()
    if not line:
        raise RuntimeError(f"oidc-provider exited with {process.wait()}")
    return OidcProviderProcess(process=process, issuer=json.loads(line)["issuer"])
