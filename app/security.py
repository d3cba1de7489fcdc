"""Security headers on every response. Scripts and styles come only from our own origin."""

from flask import Flask, current_app, g, request

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)


def _secure_headers(response):
    # A page whose form leads elsewhere (GOV.UK Pay's card page) names that origin in g.form_action_origins.
    form_targets = " ".join(
        (*current_app.config.get("CSP_FORM_ACTION_ORIGINS", ()), *g.get("form_action_origins", ()))
    )
    response.headers["Content-Security-Policy"] = (
        f"{CONTENT_SECURITY_POLICY}; form-action 'self' {form_targets}".rstrip()
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(self)"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_secure_headers)
