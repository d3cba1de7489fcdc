"""Assisted digital: a contact centre agent makes a report for a resident or for a caller without an account,
through the residents' own report journey (app.views.reports), registered a second time on the staff host as
the ``staff_report`` blueprint. Same pages, questions and routing; the journey also records the council, the
channel and the agent, the acknowledgement goes to the resident's email (or the caller's, when they give one),
and the resident's My requests says who made it. Every step is in the staff audit trail."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, redirect, render_template, request, url_for

from app.extensions import db
from app.models.identity import Resident
from app.models.reports import ReportDraft
from app.reports import journey as journeys
from app.reports.journey import AssistedBy
from app.staff import audit, identity
from app.theming import themes

BLUEPRINT = "staff_report"
# The pages of the journey an agent goes through; the residents' other pages (their own reports, feedback,
# tracking links, photos for back offices) are not staff pages.
STEPS = {
    "start",
    "postcode",
    "address",
    "place",
    "area",
    "outside",
    "nearby",
    "following",
    "question",
    "details",
    "photo",
    "remove_photo",
    "email",
    "check",
    "send",
    "confirmation",
}
needs_reauthentication = identity.needs_reauthentication
reauthenticate = identity.reauthenticate


def is_assisted() -> bool:
    return request.blueprint == BLUEPRINT


def _draft() -> ReportDraft | None:
    token = (request.view_args or {}).get("token")
    if not token or token not in journeys.session_tokens():
        return None
    return db.session.scalars(db.select(ReportDraft).filter_by(token=token)).one_or_none()


def resident_of_journey() -> Resident | None:
    draft = _draft()
    if draft is None or draft.resident_id is None:
        return None
    return db.session.get(Resident, draft.resident_id)


def before_step():
    member = identity.current_staff()
    if member is None:
        return redirect(url_for("staff.sign_in", next=request.full_path.rstrip("?")))
    if member.working_for not in member.grants:
        return redirect(url_for("staff.working_for", next=request.full_path.rstrip("?")))
    step = (request.endpoint or "").rpartition(".")[2]
    if step not in STEPS:
        audit.record("not_found", detail={"page": request.endpoint}, commit=True)
        abort(404)
    return None


def after_step(response) -> None:
    from flask import g

    if g.get("staff_audited") or identity.current_staff() is None:
        return
    draft = _draft()
    audit.record(
        "report_step",
        resident_id=draft.resident_id if draft else None,
        detail={
            "step": (request.endpoint or "").rpartition(".")[2],
            "method": request.method,
            "status": response.status_code,
            "report_type": draft.report_type if draft else None,
        },
        commit=True,
    )


def start():
    """The journey's first page for an agent: for whom (a resident found by search, or a caller without an
    account), what the problem is and how they are in touch."""
    from app.staff.forms import AssistedStartForm

    resident_text = request.args.get("resident", "")
    resident = None
    if resident_text:
        known = resident_text.isdigit() and len(resident_text) <= 18
        resident = db.session.get(Resident, int(resident_text)) if known else None
        if resident is None:
            audit.record("not_found", detail={"resident": resident_text[:20]}, commit=True)
            abort(404)
    form = AssistedStartForm()
    if form.validate_on_submit():
        member = identity.current_staff()
        found = journeys.start(
            form.report_type.data, f"staff:{member.working_for}", resident.id if resident else None
        )
        found.set_assisted_by(
            AssistedBy(council=member.working_for, channel=form.channel.data, agent=member.actor)
        )
        db.session.flush()
        endpoint, arguments = found.next_step(resident is not None)
        audit.record(
            "report_step",
            resident_id=resident.id if resident else None,
            detail={"step": "start", "report_type": form.report_type.data, "channel": form.channel.data},
        )
        db.session.commit()
        return redirect(url_for("." + endpoint.removeprefix("reports."), token=found.token, **arguments))
    return render_template("staff/report_start.html", form=form, resident=resident), (
        400 if form.errors else 200
    )


def made(report, found) -> None:
    """Record the report in the audit trail, in the report's own transaction."""
    audit.record(
        "report_made",
        resident_id=report.resident_id,
        reference=report.reference,
        detail={
            "report_type": report.report_type,
            "council": report.council_slug,
            "channel": report.staff_channel,
        },
    )


def council_url(path: str) -> str:
    """`path` on the domain of the council the agent works for: what residents open from an email."""
    council = themes().get(identity.current_staff().working_for)
    if current_app.config["SERVE_LOCALHOST_SUBDOMAINS"] or not council.domains:
        # Development and tests: the council's `<slug>.localhost` beside the staff host, on the same port.
        port = urlsplit(request.host_url).port
        scheme = current_app.config["PREFERRED_URL_SCHEME"]
        return f"{scheme}://{council.localhost_domain()}{f':{port}' if port else ''}{path}"
    return f"https://{council.domains[0]}{path}"
