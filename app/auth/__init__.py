"""Signing in with the councils' OpenID Connect provider: the relying party, its views, back-channel logout
and step-up to "verified"."""

from urllib.parse import urlsplit

from flask import Flask

from app.auth import replay
from app.auth.relying_party import (
    EMAIL_ALWAYS_VERIFIED,
    EMAIL_VERIFIED_CLAIM,
    GOVUK_ONE_LOGIN,
    STANDARD,
)
from app.auth.views import bp


def init_app(app: Flask) -> None:
    config = app.config
    for name, choices in (
        ("OIDC_EMAIL_VERIFIED", (EMAIL_VERIFIED_CLAIM, EMAIL_ALWAYS_VERIFIED)),
        ("OIDC_PROFILE", (STANDARD, GOVUK_ONE_LOGIN)),
    ):
        if config[name] not in choices:
            raise RuntimeError(f"PORTAL_{name} must be one of {', '.join(choices)}")
    if (
        config["ENVIRONMENT"] == "production"
        and config.get("OIDC_DISCOVERY_URL")
        and not config.get("OIDC_ISSUER")
    ):
        raise RuntimeError("Set PORTAL_OIDC_ISSUER to the provider's issuer: production pins it")
    discovery_url = app.config.get("OIDC_DISCOVERY_URL")
    if discovery_url:
        # Sign-out is a form whose response redirects to the provider's end-session page; the CSP's
        # form-action must allow that origin (where the provider keeps it elsewhere, add it to
        # PORTAL_CSP_FORM_ACTION_ORIGINS).
        parts = urlsplit(discovery_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        origins = tuple(app.config.get("CSP_FORM_ACTION_ORIGINS", ()))
        if origin not in origins:
            app.config["CSP_FORM_ACTION_ORIGINS"] = (*origins, origin)
    replay.init_app(app)
    app.register_blueprint(bp)
