"""Tracking in "download my data" and "delete my portal data": the reports a resident follows and what they
added to their cases. Deleting stops every email to them (their subscriptions go) and forgets that they wrote
their updates; what was already sent to a council stays with the council. Updates on a council's CRM case
belong to no report the portal keeps: those already sent (or refused) go, and those still on their way go once
delivered (app.tracking.updates).
"""

from sqlalchemy import delete, or_, select, update

from app.extensions import db
from app.models.identity import PersonalDataSource, Resident, register_personal_data
from app.models.tracking import CaseUpdate, Notification, Subscription


def _subscriptions_of(resident: Resident):
    mine = Subscription.resident_id == resident.id
    return or_(mine, Subscription.email == resident.email.lower()) if resident.email else mine


def export_tracking(resident: Resident) -> dict:
    subscriptions = db.session.scalars(
        select(Subscription).where(_subscriptions_of(resident)).order_by(Subscription.id)
    )
    updates = db.session.scalars(
        select(CaseUpdate).where(CaseUpdate.resident_id == resident.id).order_by(CaseUpdate.id)
    )
    return {
        "following": [
            {
                "council": subscription.council_slug,
                "request": subscription.service_request_id,
                "email": subscription.email,
                "confirmed_at": subscription.confirmed_at.isoformat() if subscription.confirmed_at else None,
                "unsubscribed_at": subscription.unsubscribed_at.isoformat()
                if subscription.unsubscribed_at
                else None,
            }
            for subscription in subscriptions
        ],
        "updates_you_added": [
            {
                "report_id": case_update.report_id,
                "council_case": f"{case_update.crm_council_slug}:{case_update.crm_reference}"
                if case_update.crm_reference
                else None,
                "kind": case_update.kind,
                "text": case_update.text,
                "created_at": case_update.created_at.isoformat() if case_update.created_at else None,
                "sent_to_the_council": case_update.delivered_at is not None,
            }
            for case_update in updates
        ],
    }


def forget_resident_in_tracking(resident: Resident) -> None:
    ids = list(db.session.scalars(select(Subscription.id).where(_subscriptions_of(resident))))
    if ids:
        db.session.execute(delete(Notification).where(Notification.subscription_id.in_(ids)))
        db.session.execute(delete(Subscription).where(Subscription.id.in_(ids)))
    db.session.execute(
        delete(CaseUpdate).where(
            CaseUpdate.resident_id == resident.id,
            CaseUpdate.crm_reference.is_not(None),
            or_(CaseUpdate.delivered_at.is_not(None), CaseUpdate.refused_at.is_not(None)),
        )
    )
    db.session.execute(
        update(CaseUpdate).where(CaseUpdate.resident_id == resident.id).values(resident_id=None)
    )


register_personal_data(PersonalDataSource("tracking", export_tracking, forget_resident_in_tracking))
