"""Signed tracking links: a guest who reported a problem gets back to it with the link in their email, without
signing in. The link carries the report's reference, signed with the portal's secret key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import current_app, url_for
from itsdangerous import URLSafeTimedSerializer

from app.models.reports import Report

SALT = "report-tracking"

# (endpoint, **values) -> the page's absolute URL, for a link that leaves the portal in an email or a message.
PublicUrl = Callable[..., str]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def signed(report: Report) -> str:
    """The part of a tracking link that names the report."""
    return _serializer().dumps(report.reference)


def external_url(endpoint: str, **values) -> str:
    """A page's absolute URL on the host the request came to."""
    return url_for(endpoint, _external=True, **values)


def tracking_url(report: Report, public_url: PublicUrl = external_url) -> str:
    """The guest's private link to their report, as ``public_url`` writes an absolute URL (a contact centre's
    journey on the staff host passes one that names the council's domain)."""
    return public_url("reports.track", signed=signed(report))


def reference_in(signed: str) -> str:
    """The reference a tracking link names; itsdangerous' SignatureExpired once it is older than
    PORTAL_TRACKING_LINK_DAYS, BadSignature when it was not signed by this portal."""
    max_age = timedelta(days=current_app.config["TRACKING_LINK_DAYS"]).total_seconds()
    return _serializer().loads(signed, max_age=max_age)
