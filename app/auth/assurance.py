"""Assurance levels. "Signed in" is any resident with a portal session. "Verified" means the provider
vouched for the resident's identity or the resident proved a council tax account is theirs. Pages that need
"verified" show the step-up routes instead of their data.

How a provider vouches depends on its profile (PORTAL_OIDC_PROFILE): a standard provider's ID token `acr`
equals PORTAL_OIDC_ACR_VERIFIED; GOV.UK One Login answers the vector of trust asked for (`vtr`) with `vot`,
which is verified when its identity confidence (P1, P2, ...) is at least that of PORTAL_OIDC_ACR_VERIFIED
(for example "Cl.Cm.P2")."""

from __future__ import annotations

import re
from enum import StrEnum

from flask import current_app, render_template, request, session
from flask_login import current_user

from app.auth.relying_party import GOVUK_ONE_LOGIN
from app.auth.tokens import IdToken

ACR_KEY = "acr"
COUNCIL_TAX = "council-tax"


class Assurance(StrEnum):
    SIGNED_IN = "signed in"
    VERIFIED = "verified"


def assurance_level_of(id_token: IdToken) -> str | None:
    """The level the provider vouched for at sign-in: `vot` for GOV.UK One Login, `acr` for others."""
    if current_app.config["OIDC_PROFILE"] == GOVUK_ONE_LOGIN:
        return id_token.vot
    return id_token.acr


def _identity_confidence(vector: str) -> int | None:
    """The identity confidence of a GOV.UK One Login vector of trust ("Cl.Cm.P2" -> 2), None without one."""
    levels = [int(part[1:]) for part in vector.split(".") if re.fullmatch(r"P\d", part)]
    return max(levels) if levels else None


def level_is_verified(level: str | None) -> bool:
    required = current_app.config.get("OIDC_ACR_VERIFIED")
    if not required or not isinstance(level, str):
        return False
    if current_app.config["OIDC_PROFILE"] == GOVUK_ONE_LOGIN:
        wanted, achieved = _identity_confidence(required), _identity_confidence(level)
        return wanted is not None and achieved is not None and achieved >= wanted
    return level == required


def verified_by_provider() -> bool:
    return level_is_verified(session.get(ACR_KEY))


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
