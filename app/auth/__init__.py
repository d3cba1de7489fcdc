"""Signing in with the councils' OpenID Connect provider: the relying party, its views, back-channel logout
and step-up to "verified"."""

from urllib.parse import urlsplit

from flask import Flask

from app.auth import replay
from app.auth.relying_party import EMAIL_ALWAYS_VERIFIED, EMAIL_VERIFIED_CLAIM
from app.auth.views import bp


def init_app(app: Flask) -> None:
    choices = (EMAIL_VERIFIED_CLAIM, EMAIL_ALWAYS_VERIFIED)
    if app.config["OIDC_EMAIL_VERIFIED"] not in choices:
        raise RuntimeError(f"PORTAL_OIDC_EMAIL_VERIFIED must be one of {', '.join(choices)}")
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
