"""Reports in "download my data" and "delete my portal data".

Deleting keeps what the councils need: a report already made stays a report (unsent ones are still
delivered), but the portal forgets who made it: the resident link, the email for updates, and any
unfinished journeys. The councils keep their own copies under their own retention policies.
"""

from sqlalchemy import delete, select, update

from app.extensions import db
from app.models.identity import PersonalDataSource, Resident, register_personal_data
from app.models.reports import Report, ReportDraft


def export_reports(resident: Resident) -> list[dict]:
    reports = db.session.scalars(
        select(Report).where(Report.resident_id == resident.id).order_by(Report.created_at)
    )
    return [
        {
            "reference": report.reference,
            "report_type": report.report_type,
            "council": report.council_slug,
            "status": report.status,
            "description": report.description,
            "answers": report.answers,
            "address": report.address,
            "postcode": report.postcode,
            "location_description": report.location_description,
            "email": report.email,
            "made_on": report.made_on,
            "created_at": report.created_at.isoformat() if report.created_at else None,
            "sent_at": report.sent_at.isoformat() if report.sent_at else None,
            "photos": len(report.photos),
        }
        for report in reports
    ]


def forget_resident_in_reports(resident: Resident) -> None:
    db.session.execute(
        update(Report).where(Report.resident_id == resident.id).values(resident_id=None, email=None)
    )
    db.session.execute(delete(ReportDraft).where(ReportDraft.resident_id == resident.id))


register_personal_data(PersonalDataSource("reports", export_reports, forget_resident_in_reports))
