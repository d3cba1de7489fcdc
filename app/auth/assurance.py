"""Assurance levels. "Signed in" is any resident with a portal session. "Verified" means the provider
vouched for the resident's identity (its acr claim equals PORTAL_OIDC_ACR_VERIFIED) or the resident proved a
council tax account is theirs. Pages that need "verified" show the step-up routes instead of their data."""

from __future__ import annotations

from enum import StrEnum
from functools import wraps

from flask import current_app, render_template, request, session
from flask_login import current_user

from app.sessions import login_manager

ACR_KEY = "acr"
COUNCIL_TAX = "council-tax"


class Assurance(StrEnum):
    SIGNED_IN = "signed in"
    VERIFIED = "verified"


def verified_by_provider() -> bool:
    required = current_app.config.get("OIDC_ACR_VERIFIED")
    return bool(required) and session.get(ACR_KEY) == required


def assurance_of_current_resident() -> Assurance | None:
    if not current_user.is_authenticated:
        return None
    if verified_by_provider() or any(
        account.service == COUNCIL_TAX for account in current_user.linked_accounts
    ):
        return Assurance.VERIFIED
    return Assurance.SIGNED_IN


def step_up_page():
    return render_template(
        "auth/step_up.html",
        return_to=request.full_path.rstrip("?") if request.method == "GET" else None,
        provider_can_verify=bool(current_app.config.get("OIDC_ACR_VERIFIED")),
    )


def verified_required(view):
    """For views that show data only a verified resident may see (council tax details)."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if assurance_of_current_resident() is not Assurance.VERIFIED:
            return step_up_page()
        return view(*args, **kwargs)

    return guarded
