"""Error pages in the council's theme (or the portal's, where the host names no council)."""

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def _not_found(error):
    return render_template("errors/404.html"), 404


def _server_error(error):
    return render_template("errors/500.html"), 500


def _too_large(error):
    """A request bigger than MAX_CONTENT_LENGTH: in practice, a photo far over the limit."""
    return render_template("errors/too_large.html"), 413


def _form_expired(error: CSRFError):
    """A form sent without a valid CSRF token: usually one left open too long, or sent from an old tab."""
    return render_template("errors/form_expired.html"), 400


def _http_error(error: HTTPException):
    if error.code and error.code >= 500:
        return _server_error(error)
    return error


def init_app(app: Flask) -> None:
    app.register_error_handler(404, _not_found)
    app.register_error_handler(413, _too_large)
    app.register_error_handler(500, _server_error)
    app.register_error_handler(CSRFError, _form_expired)
    app.register_error_handler(HTTPException, _http_error)

    @app.template_global()
    def has_endpoint(endpoint: str) -> bool:
        return endpoint in app.view_functions
