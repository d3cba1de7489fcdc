"""My requests: every case a resident has with any council, each case's page with its timeline, adding a
comment or photo, saying "this is not fixed" (on reports made through the portal, and on CRM cases where the
council's CRM accepts them), and following any report (with one-click unsubscribe).

A case is only ever found through its owner (app.tracking.cases): anything else answers 404, never 403, so a
guessed or borrowed id reveals nothing about whether the case exists.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from wtforms import SelectChoice

from app import rate_limits
from app.extensions import csrf, db
from app.models.tracking import CaseUpdateKind
from app.reports.mail import queue_email
from app.reports.photos import PhotoRejected, photo_from_upload
from app.theming import council_pages_only, themes
from app.tracking import cases, followers, updates
from app.tracking.forms import (
    CaseUpdateForm,
    CommentForm,
    ConfirmForm,
    FilterForm,
    FollowForm,
    NotFixedForm,
)
from connectors.clock import utcnow
from connectors.errors import ConnectorError

bp = council_pages_only(Blueprint("requests", __name__, url_prefix="/requests"))


def _signed_in():
    return current_user if current_user.is_authenticated else None


# --- My requests --------------------------------------------------------------------------------------------


@bp.get("")
@login_required
def index():
    found = cases.cases_for(current_user)
    councils = sorted({(case.council_slug, case.council_name) for case in found.cases}, key=lambda c: c[1])
    form = FilterForm(request.args)
    form.council.choices = [SelectChoice("", _("All councils"))] + [
        SelectChoice(slug, name) for slug, name in councils
    ]
    shown = found.cases
    if form.validate():
        if form.council.data:
            shown = [case for case in shown if case.council_slug == form.council.data]
        if form.state.data == "open":
            shown = [case for case in shown if not case.status.closed]
        elif form.state.data == "closed":
            shown = [case for case in shown if case.status.closed]
    return render_template(
        "requests/index.html", cases=shown, total=len(found.cases), unavailable=found.unavailable, form=form
    )


# --- A case -------------------------------------------------------------------------------------------------


def _unavailable(council_slug: str):
    """The page for a council whose system is not answering: say which, and that nothing is lost."""
    council = themes().get(council_slug).name
    return make_response(render_template("requests/unavailable.html", council=council), 503)


def _own_case(case_id: str) -> cases.CaseView:
    report = cases.own_report(current_user, case_id)
    if report is not None:
        return cases.report_view(report)
    try:
        view = cases.own_crm_case(current_user, case_id)
    except ConnectorError:
        abort(_unavailable(case_id.partition(cases.CRM_SEPARATOR)[0]))
    if view is None:
        abort(404)
    return view


@bp.get("/<case_id>")
@login_required
def case(case_id: str):
    return render_template("requests/case.html", case=_own_case(case_id))


def _too_many_updates(form) -> bool:
    """Whether the resident has added too many updates lately (the form then says until when)."""
    until = rate_limits.take("CASE_UPDATE_RATE_LIMIT", str(current_user.id))
    if until is None:
        return False
    form.text.errors = [
        _(
            "You have sent a lot of updates in a short time. Try again after %(time)s",
            time=rate_limits.when(until),
        )
    ]
    return True


def _add_to_crm_case(view: cases.CaseView, kind: str, text: str) -> None:
    updates.add_to_crm_case(view.summary.council_slug, view.crm_reference, kind, text, current_user)
    db.session.commit()


@bp.route("/<case_id>/comment", methods=["GET", "POST"])
@login_required
def comment(case_id: str):
    view = _own_case(case_id)
    if not view.can_add_update:
        return redirect(url_for("requests.case", case_id=case_id))
    if view.crm_reference:
        form = CaseUpdateForm()
        if form.validate_on_submit():
            if _too_many_updates(form):
                return render_template("requests/comment.html", case=view, form=form), 429
            _add_to_crm_case(view, CaseUpdateKind.COMMENT, form.text.data.strip())
            flash(_("Your update is on its way to %(council)s.", council=view.summary.council_name))
            return redirect(url_for("requests.case", case_id=case_id))
        return render_template("requests/comment.html", case=view, form=form)
    form = CommentForm()
    if form.validate_on_submit():
        if _too_many_updates(form):
            return render_template("requests/comment.html", case=view, form=form), 429
        photo = None
        upload = form.photo.data
        if upload and upload.filename:
            try:
                photo = photo_from_upload(upload.read())
            except PhotoRejected as rejected:
                form.photo.errors = [str(rejected)]
                return render_template("requests/comment.html", case=view, form=form), rejected.status
        updates.add(view.report, CaseUpdateKind.COMMENT, form.text.data.strip(), current_user, photo)
        db.session.commit()
        flash(_("Your comment is on its way to %(council)s.", council=view.summary.council_name))
        return redirect(url_for("requests.case", case_id=case_id))
    return render_template("requests/comment.html", case=view, form=form)


@bp.route("/<case_id>/not-fixed", methods=["GET", "POST"])
@login_required
def not_fixed(case_id: str):
    view = _own_case(case_id)
    if not view.can_say_not_fixed:
        return redirect(url_for("requests.case", case_id=case_id))
    form = NotFixedForm()
    if form.validate_on_submit():
        if _too_many_updates(form):
            return render_template("requests/not_fixed.html", case=view, form=form), 429
        if view.crm_reference:
            _add_to_crm_case(view, CaseUpdateKind.NOT_FIXED, form.text.data.strip())
        else:
            updates.add(view.report, CaseUpdateKind.NOT_FIXED, form.text.data.strip(), current_user)
            db.session.commit()
        flash(_("We have told %(council)s this is not fixed.", council=view.summary.council_name))
        return redirect(url_for("requests.case", case_id=case_id))
    return render_template("requests/not_fixed.html", case=view, form=form)


# --- Any report: its public page and following it -----------------------------------------------------------


def _public(council: str, request_id: str) -> cases.PublicReport:
    try:
        found = cases.public_report(council, request_id)
    except ConnectorError:
        abort(_unavailable(council))
    if found is None:
        abort(404)
    return found


def _resident_with_email():
    """A signed-in resident the portal can email: they follow with one click; anyone else gives an email."""
    resident = _signed_in()
    return resident if resident is not None and resident.email else None


def _following(council: str, request_id: str):
    resident = _resident_with_email()
    if resident is None:
        return None
    subscription = followers.find(council, request_id, resident.email)
    return subscription if subscription is not None and subscription.active else None


@bp.get("/report/<council>/<request_id>")
def public_report(council: str, request_id: str):
    found = _public(council, request_id)
    return render_template(
        "requests/public_report.html",
        report=found,
        form=ConfirmForm() if _resident_with_email() else FollowForm(),
        following=_following(council, request_id),
    )


@bp.post("/report/<council>/<request_id>/follow")
def follow(council: str, request_id: str):
    found = _public(council, request_id)
    resident = _resident_with_email()
    if resident is not None:
        if ConfirmForm().validate_on_submit():
            followers.subscribe(council, request_id, resident.email, resident_id=resident.id, confirmed=True)
            db.session.commit()
            flash(_("You are following this report. We will email you when it changes."))
        return redirect(url_for("requests.public_report", council=council, request_id=request_id))
    form = FollowForm()
    if not form.validate_on_submit():
        return render_template("requests/public_report.html", report=found, form=form, following=None)
    # Email bombing: one client may ask only so often, and one address is sent only so many confirmations.
    until = rate_limits.take("FOLLOW_RATE_LIMIT", get_remote_address())
    if until is not None:
        form.email.errors = [
            _(
                "You have asked to follow a lot of reports in a short time. Try again after %(time)s",
                time=rate_limits.when(until),
            )
        ]
        return render_template("requests/public_report.html", report=found, form=form, following=None), 429
    email = form.email.data.strip().lower()
    existing = followers.find(council, request_id, email)
    sent_on = followers.confirmation_sent_on(existing) if existing is not None else None
    if sent_on is not None:
        return render_template("requests/check_email.html", report=found, already_sent_on=sent_on)
    if existing is None or not existing.active:
        until = rate_limits.take("FOLLOW_EMAIL_RATE_LIMIT", email)
        if until is not None:
            form.email.errors = [
                _(
                    "We have sent a lot of emails to this address in a short time. Try again after %(time)s",
                    time=rate_limits.when(until),
                )
            ]
            page = render_template("requests/public_report.html", report=found, form=form, following=None)
            return page, 429
    subscription = followers.subscribe(council, request_id, email, resident_id=None, confirmed=False)
    if subscription.confirmed_at is None:
        what = found.request.description or found.request.service_name or request_id
        queue_email(followers.confirmation_email(subscription, what), council=council)
        subscription.confirmation_sent_at = utcnow()
    db.session.commit()
    return redirect(url_for("requests.check_email", council=council, request_id=request_id))


@bp.get("/report/<council>/<request_id>/check-your-email")
def check_email(council: str, request_id: str):
    return render_template("requests/check_email.html", report=_public(council, request_id))


def _subscription_or_problem(token: str, find):
    try:
        subscription = find(token)
    except followers.LinkProblem as problem:
        return (
            None,
            render_template("requests/link_problem.html", expired=problem.expired),
            (410 if problem.expired else 404),
        )
    if subscription is None:
        abort(404)
    return subscription, None, 200


@bp.route("/follow/confirm/<token>", methods=["GET", "POST"])
def confirm_follow(token: str):
    """The link in the confirmation email shows a button: a GET never changes anything (link scanners)."""
    subscription, problem, status = _subscription_or_problem(token, followers.subscription_to_confirm)
    if problem:
        return problem, status
    form = ConfirmForm()
    if form.validate_on_submit():
        if subscription.confirmed_at is None:
            subscription.confirmed_at = utcnow()
        subscription.unsubscribed_at = None
        db.session.commit()
        flash(_("You will get an email each time this report changes."))
        return redirect(
            url_for(
                "requests.public_report",
                council=subscription.council_slug,
                request_id=subscription.service_request_id,
            )
        )
    return render_template("requests/confirm_follow.html", subscription=subscription, form=form, token=token)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    """One click: the signed token is the permission, so a POST needs no CSRF token, as mail programs send
    it (RFC 8058, List-Unsubscribe-Post). The GET only shows the button."""
    subscription, problem, status = _subscription_or_problem(token, followers.subscription_to_end)
    if problem:
        return problem, status
    form = ConfirmForm()
    if request.method == "POST":
        if subscription.unsubscribed_at is None:
            subscription.unsubscribed_at = utcnow()
            db.session.commit()
        return render_template("requests/unsubscribed.html", subscription=subscription)
    return render_template("requests/unsubscribe.html", subscription=subscription, form=form, token=token)
