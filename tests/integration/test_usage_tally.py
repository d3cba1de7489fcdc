"""The insights' usage counters are written by a request only when the last write is ten seconds old, so that
a dashboard is not a database write transaction every time; nothing counted is lost meanwhile."""

from __future__ import annotations

from sqlalchemy import delete, select

from app.extensions import db
from app.insights import rollup
from app.models.insights import UsageDay


def _written(app) -> dict:
    with app.app_context():
        return {
            (row.measure, row.detail): row.count
            for row in db.session.scalars(select(UsageDay).where(UsageDay.council_slug == "norwich"))
        }


def test_requests_write_the_counters_only_when_the_last_write_is_old_enough(app, monkeypatch, client):
    with app.app_context():
        tally = rollup.tally()
        tally.write()  # whatever earlier tests counted: the clock starts now
        db.session.execute(delete(UsageDay))
        db.session.commit()
        tally.add("norwich", "tile", "bins loaded")
    assert client.get("/", headers={"Host": "norwich.localhost"}).status_code == 200
    assert _written(app) == {}, "a request just after a write leaves the counts in memory"

    monkeypatch.setattr(tally, "_written_at", tally._written_at - rollup.TALLY_WRITE_SECONDS)
    with app.app_context():
        tally.add("norwich", "tile", "bins loaded")
    assert client.get("/", headers={"Host": "norwich.localhost"}).status_code == 200
    assert _written(app) == {("tile", "bins loaded"): 2}, "the next request once it is due writes them all"

    with app.app_context():
        tally.add("norwich", "tile", "bins stale")
        tally.write()
    assert _written(app) == {("tile", "bins loaded"): 2, ("tile", "bins stale"): 1}
