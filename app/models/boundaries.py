"""Council boundaries and trunk roads, for routing a place on the map: loaded by `flask boundaries import
FILE` and `flask boundaries import-roads FILE` (app/boundaries.py).
Geometry is kept as GeoJSON text, WGS84 longitude/latitude."""

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.audit import utcnow


class CouncilBoundary(db.Model):
    """One local authority district's area (a Polygon or MultiPolygon), from the ONS boundaries."""

    __tablename__ = "council_boundaries"

    lad_gss: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    geometry: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class TrunkRoad(db.Model):
    """A road National Highways looks after, not the county (a LineString or MultiLineString)."""

    __tablename__ = "trunk_roads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    geometry: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
