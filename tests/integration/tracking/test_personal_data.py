"""Tracking's part of "download my data" and "delete my portal data"."""

from sqlalchemy import select

from app.extensions import db
from app.models.identity import Resident, personal_data_sources
from app.models.tracking import Subscription
from app.tracking import followers


def test_following_is_exported_and_forgotten(app_context):
    resident = Resident(
        issuer="https://idp.example", subject="s-1", name="Ann Example", email="ann@example.com"
    )
    db.session.add(resident)
    db.session.flush()
    followers.subscribe("norfolk", "NCC-000001", "Ann@Example.com", resident_id=None, confirmed=True)
    followers.subscribe("norfolk", "NCC-000002", "ann@example.com", resident_id=resident.id, confirmed=True)
    followers.subscribe("norfolk", "NCC-000002", "someone.else@example.com", resident_id=None, confirmed=True)
    db.session.commit()

    [tracking] = [source for source in personal_data_sources if source.name == "tracking"]
    exported = tracking.export(resident)
    assert sorted(item["request"] for item in exported["following"]) == ["NCC-000001", "NCC-000002"]

    tracking.delete(resident)
    db.session.commit()
    assert [subscription.email for subscription in db.session.scalars(select(Subscription))] == [
        "someone.else@example.com"
    ]
