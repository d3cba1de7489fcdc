"""Signed "stop these reminders" links: a resident's id signed with the portal's secret and a salt of each
channel's own, so an email's link cannot stop texts or the other way round. No expiry: the link in an old
message must still work."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.extensions import db
from app.models.identity import Resident


@dataclass(frozen=True)
class StopLinks:
    salt: str

    def _serializer(self) -> URLSafeSerializer:
        return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=self.salt)

    def token(self, resident: Resident) -> str:
        return self._serializer().dumps(resident.id)

    def resident(self, token: str) -> Resident | None:
        """The resident a stop link was made for; None when the link is not ours or the resident has gone."""
        try:
            resident_id = self._serializer().loads(token)
        except (BadSignature, ValueError, TypeError):
            return None
        return db.session.get(Resident, resident_id) if isinstance(resident_id, int) else None
