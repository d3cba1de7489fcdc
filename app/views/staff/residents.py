"""Finding a resident, the reason for the look, their single view, contact notes, and adding to their case on
their behalf. A resident's record opens only after the agent has given the reason for this look; guessed ids
and references answer 404, recorded like any other look."""

from __future__ import annotations

import time

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import _

from app.extensions import db, limiter
from app.models.identity import Resident
from app.models.staff import ContactNote
from app.models.tracking import CaseUpdateKind
from app.sessions import active_sessions_of_resident
from app.staff import audit, search, single_view
from app.staff.access import staff_required
from app.staff.forms import (
    CHANNELS,
    AssistedCaseUpdateForm,
    AssistedCommentForm,
    AssistedNotFixedForm,
    ContactNoteForm,
    ReasonForm,
    SearchForm,
)
from app.staff.identity import current_staff, needs_reauthentication, reauthenticate
from app.theming import themes
from app.tracking import cases, updates
from app.views.account_sessions import signed_in_on_text
from app.views.dashboard import tile_context
from app.views.staff import bp
from connectors.errors import ConnectorError

LOOKS_KEY = "staff_looks"
# A reason covers one contact: after this long the agent is asked again.
LOOK_SECONDS = 30 * 60


def _page_context(view, note_form) -> dict:
    return {
        "view": view,
        "look": _current_look(view.resident.id),
        "note_form": note_form,
        "channels": CHANNELS,
        "reasons": audit.REASONS,
        "councils_by_gss": {theme.gss_code: theme.name for theme in themes()},
        "staff_view": True,
        "sessions": active_sessions_of_resident(view.resident.id),
        "signed_in_on_text": signed_in_on_text,
        **tile_context(),
    }


def _search_limit() -> str:
    return current_app.config["STAFF_SEARCH_RATE_LIMIT"]


def _staff_key() -> str:
    member = current_staff()
    return f"staff:{member.subject}" if member else f"staff-address:{request.remote_addr}"


@bp.errorhandler(429)
def too_many_searches(error):
    audit.record("refused", detail={"page": request.endpoint, "why": "rate_limited"}, commit=True)
    return render_template("staff/too_many.html"), 429


@bp.get("/search")
@staff_required
@limiter.limit(_search_limit, key_func=_staff_key)
def find():
    form = SearchForm(request.args)
    if not form.validate():
        audit.record("searched", detail={"invalid": True}, commit=True)
        return render_template("staff/home.html", form=form), 400
    query = search.understand(form.q.data)
    page = request.args.get("page", "1")
    found = search.search(query, int(page) if page.isdigit() else 1)
    audit.record(
        "searched",
        reference=query.text[:64] if query.kind in ("reference", "case_reference") else None,
        detail={
            "kind": query.kind,
            "terms": form.q.data.strip(),
            "page": found.page,
            "results": found.total,
            **({"unavailable": list(found.unavailable)} if found.unavailable else {}),
        },
        commit=True,
    )
    return render_template("staff/results.html", form=form, query=query, found=found)


MAX_ID = 2**63 - 1


def _resident(resident_id: int) -> Resident:
    resident = db.session.get(Resident, resident_id) if resident_id <= MAX_ID else None
    if resident is None:
        audit.record(
            "not_found", detail={"resident_id": str(resident_id)[:20], "page": request.endpoint}, commit=True
        )
        abort(404)
    return resident


def _current_look(resident_id: int) -> dict | None:
    look = session.get(LOOKS_KEY, {}).get(str(resident_id))
    if not isinstance(look, dict) or time.time() - look.get("at", 0) > LOOK_SECONDS:
        return None
    return look


@bp.route("/residents/<int:resident_id>/reason", methods=["GET", "POST"])
@staff_required
def reason(resident_id: int):
    resident = _resident(resident_id)
    form = ReasonForm()
    if form.validate_on_submit():
        looks = {
            key: value
            for key, value in session.get(LOOKS_KEY, {}).items()
            if isinstance(value, dict) and time.time() - value.get("at", 0) <= LOOK_SECONDS
        }
        looks[str(resident.id)] = {
            "reason": form.reason.data,
            "detail": (form.detail.data or "").strip() or None,
            "at": time.time(),
        }
        session[LOOKS_KEY] = looks
        return redirect(url_for("staff.resident", resident_id=resident.id))
    audit.record("reason_asked", resident_id=resident.id, commit=True)
    return render_template("staff/reason.html", resident=resident, form=form), (400 if form.errors else 200)


@bp.get("/residents/<int:resident_id>")
@staff_required
def resident(resident_id: int):
    found = _resident(resident_id)
    look = _current_look(found.id)
    if look is None:
        audit.record(
            "reason_asked", resident_id=found.id, detail={"look_expired_or_missing": True}, commit=True
        )
        return redirect(url_for("staff.reason", resident_id=found.id))
    member = current_staff()
    view = single_view.build(found, member)
    audit.record(
        "resident_viewed", resident_id=found.id, reason_code=look["reason"], reason_text=look["detail"]
    )
    if view.household is not None and not view.council_tax.allowed:
        audit.record(
            "council_tax_refused",
            resident_id=found.id,
            reason_code=look["reason"],
            reason_text=look["detail"],
            detail={"billing_council": view.council_tax.district},
        )
    db.session.commit()
    return render_template("staff/resident.html", **_page_context(view, ContactNoteForm()))


@bp.post("/residents/<int:resident_id>/notes")
@staff_required
def add_note(resident_id: int):
    found = _resident(resident_id)
    if _current_look(found.id) is None:
        audit.record("reason_asked", resident_id=found.id, commit=True)
        return redirect(url_for("staff.reason", resident_id=found.id))
    form = ContactNoteForm()
    member = current_staff()
    if not form.validate_on_submit():
        audit.record("contact_note_added", resident_id=found.id, detail={"invalid": True}, commit=True)
        view = single_view.build(found, member)
        return render_template("staff/resident.html", form=form, **_page_context(view, form)), 400
    note = ContactNote(
        resident_id=found.id,
        council_slug=member.working_for,
        channel=form.channel.data,
        summary=form.summary.data.strip(),
        staff_subject=member.subject,
        staff_name=member.name,
    )
    db.session.add(note)
    audit.record("contact_note_added", resident_id=found.id, detail={"channel": note.channel})
    db.session.commit()
    flash(_("Contact note added."))
    return redirect(url_for("staff.resident", resident_id=found.id, _anchor="notes"))


# --- adding to a resident's case for them -------------------------------------------------------------------


def _their_case(resident: Resident, case_id: str) -> cases.CaseView:
    """The resident's report made through the portal, or their case in a council's CRM (``council:reference``,
    asked with their own email address, so another resident's case is not found)."""
    report = cases.own_report(resident, case_id)
    if report is not None:
        return cases.report_view(report)
    try:
        view = cases.own_crm_case(resident, case_id) if cases.CRM_SEPARATOR in case_id else None
    except ConnectorError:
        council_slug = case_id.partition(cases.CRM_SEPARATOR)[0]
        audit.record(
            "refused",
            resident_id=resident.id,
            reference=case_id[:64],
            detail={"why": "crm_unavailable", "council": council_slug},
            commit=True,
        )
        abort(
            make_response(
                render_template(
                    "staff/case_unavailable.html", resident=resident, council=themes().get(council_slug).name
                ),
                503,
            )
        )
    if view is None:
        audit.record("not_found", resident_id=resident.id, reference=case_id[:64], commit=True)
        abort(404)
    return view


def _update_form(view: cases.CaseView, kind: str):
    if kind == "not-fixed":
        return AssistedNotFixedForm(), CaseUpdateKind.NOT_FIXED
    return (AssistedCaseUpdateForm() if view.crm_reference else AssistedCommentForm()), CaseUpdateKind.COMMENT


@bp.route(
    "/residents/<int:resident_id>/cases/<reference>/<any(comment, 'not-fixed'):kind>", methods=["GET", "POST"]
)
@staff_required
def case_update(resident_id: int, reference: str, kind: str):
    found = _resident(resident_id)
    if _current_look(found.id) is None:
        audit.record("reason_asked", resident_id=found.id, commit=True)
        return redirect(url_for("staff.reason", resident_id=found.id))
    view = _their_case(found, reference)
    allowed = view.can_add_update if kind == "comment" else view.can_say_not_fixed
    if not allowed:
        audit.record(
            "refused",
            resident_id=found.id,
            reference=view.summary.reference,
            detail={"kind": kind},
            commit=True,
        )
        return redirect(url_for("staff.resident", resident_id=found.id, _anchor="reports"))
    here = url_for("staff.case_update", resident_id=found.id, reference=view.summary.case_id, kind=kind)
    if needs_reauthentication():
        audit.record(
            "refused",
            resident_id=found.id,
            reference=view.summary.reference,
            detail={"reauthenticate": True},
            commit=True,
        )
        return reauthenticate(here)
    form, update_kind = _update_form(view, kind)
    if form.validate_on_submit():
        member = current_staff()
        text = form.text.data.strip()
        if view.crm_reference:
            added = updates.add_to_crm_case(
                view.summary.council_slug, view.crm_reference, update_kind, text, found
            )
        else:
            added = updates.add(view.report, update_kind, text, found)
        added.staff_council_slug = member.working_for
        added.staff_channel = form.channel.data
        added.staff_agent = member.actor
        audit.record(
            "case_update_added",
            resident_id=found.id,
            reference=view.summary.reference,
            detail={"kind": update_kind, "channel": form.channel.data, "council": view.summary.council_slug},
        )
        db.session.commit()
        flash(_("Sent to %(council)s for the resident.", council=view.summary.council_name))
        return redirect(url_for("staff.resident", resident_id=found.id, _anchor="reports"))
    audit.record(
        "viewed", resident_id=found.id, reference=view.summary.reference, detail={"page": kind}, commit=True
    )
    return render_template(
        "staff/case_update.html",
        resident=found,
        case=view,
        form=form,
        kind=kind,
        action=here,
        channels=CHANNELS,
    ), (400 if form.errors else 200)
