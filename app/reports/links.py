"""Links in the emails the portal sends. Signed tracking links: a guest who reported a problem gets back to it
with the link in their email, without signing in; the link carries the report's reference, signed with the
portal's secret key. And links made by the worker, outside any request, as on the council's own site
(links_for), for every feature's emails."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app, has_request_context, request, url_for
from itsdangerous import URLSafeTimedSerializer

from app.models.reports import Report
from app.theming import themes

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


def council_base_url(council_slug: str) -> str:
    """Where a council's portal is, for links in emails sent by the worker (outside any request)."""
    if has_request_context():
        return request.host_url.rstrip("/")
    theme = themes().get(council_slug)
    if current_app.config.get("SERVE_LOCALHOST_SUBDOMAINS") or not theme.domains:
        return f"http://{theme.localhost_domain()}:{current_app.config.get('DEV_PORT', 5000)}"
    return f"https://{theme.domains[0]}"


@contextmanager
def links_for(council_slug: str) -> Iterator[None]:
    """Inside, url_for writes absolute links on the council's own portal, also where there is no request."""
    if has_request_context():
        yield
        return
    with current_app.test_request_context(base_url=council_base_url(council_slug)):
        yield
