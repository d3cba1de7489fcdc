"""Security headers on every response, cookie names, and a second defence against cross-site requests.

Scripts and styles come only from our own origin. HSTS is sent whenever the portal is served over HTTPS: when
the request came over HTTPS (directly, or through PORTAL_PROXY_HOPS proxies that say so), and always where the
portal's own URLs are https (production), since a browser ignores the header over plain HTTP anyway.

Cookies are `__Host-` prefixed wherever they are Secure: the browser then refuses them unless they were set
over HTTPS for this host alone, with Path=/ and no Domain. Development over plain http cannot use the prefix
(the browser would drop the cookie), so there the names are bare.

A web address with a NUL character in its path or query is refused (forms refuse NUL in their fields:
app.forms). State-changing requests a browser marks as coming from another site (`Sec-Fetch-Site:
cross-site` or `same-site`) are refused with a page that says why, before the CSRF token is looked at.
Requests from our own pages (`same-origin`), typed or bookmarked (`none`), and from browsers that do not send
the header are left to the CSRF token.
"""

from urllib.parse import urlsplit

from flask import Flask, current_app, render_template, request

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"
HOST_PREFIX = "__Host-"
PREFIXED_COOKIES = ("SESSION_COOKIE_NAME", "LOCALE_COOKIE", "JAVASCRIPT_COOKIE")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
SAME_ORIGIN_FETCHES = frozenset({"same-origin", "none"})
# Endpoints that servers, not browsers, call: they authenticate the caller themselves.
SERVER_TO_SERVER_ENDPOINTS = frozenset({"auth.back_channel_logout"})


def tile_origin() -> str:
    """The map tile service's origin (scheme, host and port), the only other place images may come from."""
    template = current_app.config.get("MAP_TILE_URL") or ""
    parts = urlsplit(template.replace("{", "").replace("}", ""))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def serves_https() -> bool:
    return request.is_secure or current_app.config["PREFERRED_URL_SCHEME"] == "https"


def _secure_headers(response):
    form_targets = " ".join(current_app.config.get("CSP_FORM_ACTION_ORIGINS", ()))
    response.headers["Content-Security-Policy"] = (
        f"{CONTENT_SECURITY_POLICY}; img-src 'self' data: {tile_origin()}".rstrip()
        + f"; form-action 'self' {form_targets}".rstrip()
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(self)"
    if serves_https():
        response.headers["Strict-Transport-Security"] = HSTS
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _refuse_cross_site_changes():
    if request.method in SAFE_METHODS or request.endpoint in SERVER_TO_SERVER_ENDPOINTS:
        return None
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is None or fetch_site.lower() in SAME_ORIGIN_FETCHES:
        return None
    return render_template("errors/cross_site.html"), 403


def _refuse_nul_in_the_address():
    """A NUL character in a web address is never one of ours, and PostgreSQL cannot even look it up."""
    if "\x00" in request.path:
        return render_template("errors/404.html"), 404
    if any("\x00" in value for value in request.args.values()):
        return render_template("errors/bad_address.html"), 400
    return None


def _prefix_cookie_names(app: Flask) -> None:
    if not app.config["SESSION_COOKIE_SECURE"]:
        return
    for setting in PREFIXED_COOKIES:
        name = app.config[setting]
        if not name.startswith(HOST_PREFIX):
            app.config[setting] = f"{HOST_PREFIX}{name}"


def init_request_checks(app: Flask) -> None:
    """Checks that run before every other before-request hook (CSRF among them) but the council's choice."""
    _prefix_cookie_names(app)
    app.before_request(_refuse_nul_in_the_address)
    app.before_request(_refuse_cross_site_changes)


def init_app(app: Flask) -> None:
    app.after_request(_secure_headers)
