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


def test_updates_on_crm_cases_are_exported_and_forgotten(app_context):
    """Sent (or refused) updates on a council's CRM case go with the resident's data; one still on its way
    keeps no owner, and goes once delivered (app.tracking.updates)."""
    from app.models.tracking import CaseUpdate
    from app.tracking import updates
    from connectors.clock import utcnow

    resident = Resident(
        issuer="https://idp.example", subject="s-2", name="Bo Example", email="bo@example.com"
    )
    db.session.add(resident)
    db.session.flush()
    sent = updates.add_to_crm_case("norfolk", "NCC-HW-1", "comment", "Deeper now", resident)
    refused = updates.add_to_crm_case("norfolk", "NCC-HW-1", "not_fixed", "Still there", resident)
    waiting = updates.add_to_crm_case("norwich", "NCC-GR-2", "comment", "On its way", resident)
    sent.delivered_at = refused.refused_at = utcnow()
    db.session.commit()

    [tracking] = [source for source in personal_data_sources if source.name == "tracking"]
    exported = tracking.export(resident)["updates_you_added"]
    assert [(item["council_case"], item["text"], item["sent_to_the_council"]) for item in exported] == [
        ("norfolk:NCC-HW-1", "Deeper now", True),
        ("norfolk:NCC-HW-1", "Still there", False),
        ("norwich:NCC-GR-2", "On its way", False),
    ]

    tracking.delete(resident)
    db.session.commit()
    [left] = db.session.scalars(select(CaseUpdate)).all()
    assert (left.id, left.resident_id) == (waiting.id, None)
