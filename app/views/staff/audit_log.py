"""The audit log, for supervisors: every staff look and action at the councils they supervise, filtered,
a page at a time, with a check of the hash chain."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import func, select

from app.extensions import db
from app.models.staff import StaffAuditEntry
from app.staff import audit
from app.staff.access import supervisor_required
from app.staff.forms import AuditFilterForm
from app.staff.identity import current_staff
from app.theming import themes
from app.views.staff import bp

PAGE_SIZE = 50
FILTERS = ("council", "action", "staff", "resident", "reference")


@bp.get("/audit")
@supervisor_required
def audit_log():
    member = current_staff()
    councils = member.supervises()
    form = AuditFilterForm(request.args)
    form.council.choices = [("", "All your councils")] + [
        (slug, themes().get(slug).name) for slug in councils
    ]
    form.action.choices = [("", "Everything")] + sorted(audit.ACTIONS.items(), key=lambda item: item[1])
    query = select(StaffAuditEntry).where(
        StaffAuditEntry.council_slug.in_(councils) | StaffAuditEntry.council_slug.is_(None)
    )
    filters = {}
    if form.validate():
        if form.council.data:
            query = query.where(StaffAuditEntry.council_slug == form.council.data)
        if form.action.data:
            query = query.where(StaffAuditEntry.action == form.action.data)
        if form.staff.data:
            query = query.where(func.lower(StaffAuditEntry.staff_email) == form.staff.data.strip().lower())
        if form.resident.data:
            query = query.where(StaffAuditEntry.resident_id == int(form.resident.data))
        if form.reference.data:
            query = query.where(StaffAuditEntry.reference == form.reference.data.strip().upper())
        filters = {name: request.args[name] for name in FILTERS if request.args.get(name)}
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page_text = request.args.get("page", "1")
    page = min(max(int(page_text) if page_text.isdigit() else 1, 1), pages)
    entries = list(
        db.session.scalars(
            query.order_by(StaffAuditEntry.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
        )
    )
    chain = audit.verify() if request.args.get("check") == "chain" else None
    audit.record(
        "audit_viewed", detail={"filters": filters, "page": page, "chain_checked": chain is not None}
    )
    db.session.commit()
    return render_template(
        "staff/audit.html",
        form=form,
        entries=entries,
        page=page,
        pages=pages,
        total=total,
        filters=filters,
        chain=chain,
        actions=audit.ACTIONS,
        reasons=audit.REASONS,
    )
