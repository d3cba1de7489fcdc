"""The address gazetteer: every addressable place the portal knows, imported from an AddressBase or LLPG
export by `flask gazetteer import FILE` (see app/gazetteer_import.py and docs/connectors.md)."""

from datetime import datetime

from sqlalchemy import DateTime, Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from connectors.clock import utcnow


class GazetteerAddress(db.Model):
    __tablename__ = "gazetteer_addresses"

    uprn: Mapped[str] = mapped_column(String(12), primary_key=True)
    address_line_1: Mapped[str] = mapped_column(String(200))
    address_line_2: Mapped[str | None] = mapped_column(String(200))
    address_line_3: Mapped[str | None] = mapped_column(String(200))
    town: Mapped[str] = mapped_column(String(100))
    # Normalised: upper case with one space before the inward code, e.g. "NR2 2PE".
    postcode: Mapped[str] = mapped_column(String(8), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # The local authority district's GSS code, e.g. E07000148 (Norwich).
    lad_gss: Mapped[str] = mapped_column(String(9), index=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_gazetteer_addresses_position", "latitude", "longitude"),)

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(line for line in (self.address_line_1, self.address_line_2, self.address_line_3) if line)
