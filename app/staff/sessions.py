"""Staff sessions: the portal's server-side sessions, with their own cookie and a shorter idle timeout on the
staff hosts. A resident's session cookie is never sent to a staff host, nor a staff one to a council domain:
each is set for its own host only."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, has_request_context

from app.sessions import ServerSessionInterface, StoredSession
from app.theming import is_staff_host


class StaffAwareSessionInterface(ServerSessionInterface):
    def __init__(self, base: ServerSessionInterface, staff_idle_timeout: timedelta):
        super().__init__(base.store, base.idle_timeout, base.absolute_lifetime)
        self.staff_idle_timeout = staff_idle_timeout

    def get_cookie_name(self, app: Flask) -> str:
        if has_request_context() and is_staff_host():
            return app.config["STAFF_SESSION_COOKIE_NAME"]
        return super().get_cookie_name(app)

    def is_expired(self, stored: StoredSession, now: datetime) -> bool:
        if (
            has_request_context()
            and is_staff_host()
            and now - stored.last_active_at > self.staff_idle_timeout
        ):
            return True
        return super().is_expired(stored, now)


def init_app(app: Flask) -> None:
    app.session_interface = StaffAwareSessionInterface(
        app.session_interface, timedelta(minutes=app.config["STAFF_SESSION_IDLE_MINUTES"])
    )
