"""Report a problem: one journey per kind of report, for guests and signed-in residents alike.

Every page asks one thing and saves the answer in the journey's draft; the next page is whatever is still
missing. Sending commits the report and its outbox messages in one transaction and shows the reference at
once, whether or not the council's back office is answering: the delivery worker sends it.

The same blueprint is registered a second time on the staff host as ``staff_report`` (app.staff.assisted): a
contact centre agent goes through the very same pages for a resident or a caller. Links between the pages
are relative to the blueprint (``url_for(".postcode")``) so that each journey stays on its own host.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy.exc import IntegrityError
from wtforms import SelectChoice

from app import address_lookup, address_problems, postcodes, routing
from app.database import release_connection
from app.extensions import db, limiter
from app.models.reports import Feedback, FeedbackComment, FollowedRequest, Photo, Report
from app.models.tracking import CaseUpdateKind
from app.reports import backoffice, claims, draft_routing, links, places, submission
from app.reports import journey as journeys
from app.reports.forms import (
    AddressForm,
    AreaForm,
    ClaimForm,
    DetailsForm,
    EmailForm,
    FeedbackForm,
    NearbyForm,
    OptionalDetailsForm,
    PhotoForm,
    PlaceForm,
    PostcodeForm,
    ReportTypeForm,
    SendForm,
    question_form,
)
from app.reports.journey import Journey, Location, Outside
from app.reports.photos import PhotoRejected, photo_from_upload
from app.reports.types import REPORT_TYPES, ReportType, report_type
from app.staff import assisted
from app.theming import themes
from app.tracking import cases, updates
from app.tracking.forms import CommentForm, NotFixedForm

bp = Blueprint("reports", __name__, url_prefix="/report")


@bp.before_request
def _council_pages_only():
    if assisted.is_assisted():
        return assisted.before_step()
    if g.get("theme") is None:
        abort(404)
    return None


@bp.after_request
def _record_assisted_step(response):
    if assisted.is_assisted():
        assisted.after_step(response)
    return response


def signed_in_resident():
    """The signed-in resident, or None for a guest; in a contact centre's journey, the resident it is for."""
    if assisted.is_assisted():
        return assisted.resident_of_journey()
    return current_user if current_user.is_authenticated else None


def _url_for_step(endpoint: str, **arguments) -> str:
    """A page of this journey, on this blueprint (the journey names its pages as the residents' blueprint)."""
    return url_for("." + endpoint.removeprefix("reports."), **arguments)


def _to_confirmation(found: Journey) -> Response:
    """The answer to a step of a journey already sent (the back button after sending): its confirmation."""
    return redirect(url_for(".confirmation", token=found.token))


def with_journey(view=None, *, once_sent: Callable[[Journey], ResponseReturnValue] | None = _to_confirmation):
    """Calls the view with the journey its URL's ``token`` names in place of the token; 404 for a token that
    names no journey (never made, or expired). A journey already sent is answered by ``once_sent`` (its
    confirmation by default), or passed to the view like any other when ``once_sent`` is None."""

    def decorate(view):
        @functools.wraps(view)
        def with_found_journey(token: str, **arguments):
            found = journeys.find(token)
            if found is None:
                abort(404)
            if once_sent is not None and submission.report_for(found) is not None:
                return once_sent(found)
            return view(found, **arguments)

        return with_found_journey

    return decorate(view) if view is not None else decorate


def _next(found: Journey) -> Response:
    db.session.commit()
    endpoint, arguments = found.next_step(signed_in_resident() is not None)
    return redirect(_url_for_step(endpoint, token=found.token, **arguments))


def _back_link(found: Journey, endpoint: str, **arguments) -> str:
    steps = found.steps(signed_in_resident() is not None)
    here = (endpoint, arguments)
    if here in steps:
        index = steps.index(here)
        if index > 0:
            previous_endpoint, previous_arguments = steps[index - 1]
            return _url_for_step(previous_endpoint, token=found.token, **previous_arguments)
    return url_for(".start")


def _render(template: str, found: Journey | None, endpoint: str | None = None, **context):
    back = _back_link(found, endpoint, **context.pop("step_arguments", {})) if found and endpoint else None
    return render_template(template, journey=found, back_link=back, **context)


# Starting


@bp.route("", methods=["GET", "POST"])
def start():
    if assisted.is_assisted():
        return assisted.start()
    form = ReportTypeForm()
    if form.validate_on_submit():
        resident = signed_in_resident()
        found = journeys.start(form.report_type.data, g.theme.slug, resident.id if resident else None)
        return _next(found)
    return render_template("reports/start.html", form=form, report_types=REPORT_TYPES)


# Where


@bp.route("/<token>/postcode", methods=["GET", "POST"])
@with_journey
def postcode(found: Journey):
    form = PostcodeForm(data={"postcode": found.postcode})
    if form.validate_on_submit():
        postcode = postcodes.normalise_postcode(form.postcode.data)
        try:
            places.addresses_for_postcode(postcode)
        except address_problems.OutsideNorfolk as problem:
            found.set_postcode(postcode)
            found.set_location(Location(method="address", postcode=postcode))
            found.route_outside(places.outside(problem))
            return _next(found)
        except address_problems.AddressProblem as problem:
            form.postcode.errors = [problem.message]
        else:
            found.set_postcode(postcode)
            return _next(found)
    return _render("reports/postcode.html", found, "reports.postcode", form=form)


@bp.route("/<token>/address", methods=["GET", "POST"])
@with_journey
def address(found: Journey):
    if not found.postcode:
        return redirect(url_for(".postcode", token=found.token))
    try:
        choices = places.addresses_for_postcode(found.postcode)
    except address_problems.AddressProblem as problem:
        return _render("reports/address_unavailable.html", found, "reports.address", problem=problem.message)
    location = found.location
    form = AddressForm(data={"uprn": location.uprn if location else None})
    form.uprn.choices = [SelectChoice(choice.uprn, choice.label) for choice in choices]
    if form.validate_on_submit():
        try:
            chosen = places.location_at(form.uprn.data)
        except address_problems.AddressProblem as problem:
            form.uprn.errors = [problem.message]
        else:
            _say_if_nearby_unanswered(draft_routing.set_location(found, chosen))
            return _next(found)
    return _render("reports/address.html", found, "reports.address", form=form, choices=choices)


@bp.route("/<token>/place", methods=["GET", "POST"])
@with_journey
def place(found: Journey):
    if found.type.at_a_property:
        return redirect(url_for(".postcode", token=found.token))
    location = found.location if found.location and found.location.method == "description" else None
    form = PlaceForm(
        data={
            "description": location.description if location else None,
            "latitude": _coordinate_text(location.latitude) if location else None,
            "longitude": _coordinate_text(location.longitude) if location else None,
        }
    )
    if form.validate_on_submit():
        latitude, longitude = form.coordinates()
        asked = draft_routing.set_location(
            found,
            Location(
                method="description",
                description=form.description.data.strip(),
                latitude=latitude,
                longitude=longitude,
            ),
        )
        _say_if_nearby_unanswered(asked)
        return _next(found)
    return _render("reports/place.html", found, "reports.place", form=form)


def _expired_for_the_map(found: Journey) -> ResponseReturnValue:
    return {"error": _("This report has expired. Start again.")}, 404


@bp.get("/<token>/where")
@limiter.limit("120 per minute")
@with_journey(once_sent=_expired_for_the_map)
def where(found: Journey):
    """What the map's pin is near, for its text alternative: the nearest address and street, its postcode,
    and who would deal with this report there (or who to contact instead)."""
    try:
        latitude, longitude = float(request.args["latitude"]), float(request.args["longitude"])
    except (KeyError, ValueError):
        return {"error": _("Give a latitude and a longitude")}, 400
    if (
        not (math.isfinite(latitude) and math.isfinite(longitude))
        or abs(latitude) > 90
        or abs(longitude) > 180
    ):
        return {"error": _("Give a latitude and a longitude")}, 400
    answer: dict = {"address": None, "street": None, "postcode": None, "council": None, "outside": None}
    try:
        address = address_lookup.nearest_address(latitude, longitude)
    except address_problems.AddressProblem:
        address = None
    if address is not None:
        answer.update(
            address=places.one_line(address), street=places.street(address), postcode=address.postcode
        )
        answer["description"] = _(
            "The pin is near %(address)s, on %(street)s.", address=answer["address"], street=answer["street"]
        )
    else:
        answer["description"] = _("The pin is not near any address we know.")
    try:
        responsible = routing.council_for(found.type.service, latitude=latitude, longitude=longitude)
    except (address_problems.OutsideNorfolk, address_problems.TrunkRoadPlace) as problem:
        answer["outside"] = problem.message
    except address_problems.AddressProblem:
        pass
    else:
        answer["council"] = responsible.council_name
        answer["council_says"] = _("%(council)s deals with this there.", council=answer["council"])
        if found.type.check_nearby:
            answer.update(_nearby_answer(found.type, responsible.council, latitude, longitude))
    return answer


def _nearby_answer(report_type: ReportType, council_slug: str, latitude: float, longitude: float) -> dict:
    """The open reports near the pin, as the map page lists them (the markers are drawn from that list), and a
    sentence for the map's live status. The same look-up as the one "already reported?" offers."""
    release_connection()
    nearby = backoffice.open_requests_near(council_slug, report_type.service_code, latitude, longitude)
    if nearby is None:
        says = _("We cannot show reports already made near here at the moment.")
    elif nearby:
        says = ngettext(
            "%(num)s open report of this kind is near here: it is on the map and listed below it.",
            "%(num)s open reports of this kind are near here: they are on the map and listed below it.",
            len(nearby),
        )
    else:
        says = _("No open reports of this kind are near here.")
    listed = render_template("reports/_nearby.html", nearby=nearby or [], unavailable=nearby is None)
    return {"nearby": listed, "nearby_says": says}


def _coordinate_text(value: float | None) -> str | None:
    return None if value is None else f"{value:.6f}".rstrip("0").rstrip(".")


NEARBY_NOTICE = "report-notice"  # the flash category reports/_layout.html shows as a notification banner


def _say_if_nearby_unanswered(asked: draft_routing.CouncilAnswers | None) -> None:
    """Says why "Already reported?" is skipped when the council's back office could not list its open reports
    nearby: the next page would not say it otherwise."""
    if asked is not None and asked.nearby_unanswered:
        flash(
            _(
                "We could not check for reports already made near there, because %(council)s's system "
                "is not answering. You can still report the problem.",
                council=themes().get(asked.council_slug).name,
            ),
            NEARBY_NOTICE,
        )


@bp.route("/<token>/area", methods=["GET", "POST"])
@with_journey
def area(found: Journey):
    districts = [theme for theme in themes() if theme.tier == "district"]
    form = AreaForm(data={"council": found.council_slug})
    form.council.choices = [SelectChoice(theme.slug, theme.name) for theme in districts] + [
        SelectChoice("outside", _("Somewhere outside Norfolk"))
    ]
    if form.validate_on_submit():
        if form.council.data == "outside":
            found.route_outside(Outside(council_name=None))
        else:
            council = form.council.data
            _say_if_nearby_unanswered(draft_routing.set_area(found, council, themes().get(council).gss_code))
        return _next(found)
    return _render("reports/area.html", found, "reports.area", form=form)


@bp.get("/<token>/outside-norfolk")
@with_journey
def outside(found: Journey):
    if found.outside is None:
        return _next(found)
    return _render("reports/outside.html", found, "reports.outside", outside=found.outside)


# Already reported?


@bp.route("/<token>/already-reported", methods=["GET", "POST"])
@with_journey
def nearby(found: Journey):
    requests = found.nearby
    form = NearbyForm()
    form.choice.choices = [
        SelectChoice(item.service_request_id, item.description or item.address) for item in requests
    ] + [SelectChoice("none", _("No, mine is a different problem"))]
    if form.validate_on_submit():
        if form.choice.data == "none":
            found.nearby_answered()
            return _next(found)
        resident = signed_in_resident()
        db.session.add(
            FollowedRequest(
                council_slug=found.council_slug,
                service_request_id=form.choice.data,
                resident_id=resident.id if resident else None,
            )
        )
        db.session.commit()
        return redirect(url_for(".following", token=found.token, request_id=form.choice.data))
    return _render("reports/nearby.html", found, "reports.nearby", form=form, requests=requests)


@bp.get("/<token>/following/<request_id>")
@with_journey(once_sent=None)
def following(found: Journey, request_id: str):
    chosen = next((item for item in found.nearby if item.service_request_id == request_id), None)
    if chosen is None:
        abort(404)
    return _render(
        "reports/following.html", found, None, chosen=chosen, council=themes().get(found.council_slug)
    )


# The council's questions and the details


@bp.route("/<token>/question/<code>", methods=["GET", "POST"])
@with_journey
def question(found: Journey, code: str):
    asked = found.question(code)
    if asked is None:
        abort(404)
    form = question_form(
        asked,
        formdata=request.form if request.method == "POST" else None,
        data={"answer": found.attributes.get(code)},
    )
    if form.validate_on_submit():
        answer = form.answer.data
        found.answer(
            code, answer if isinstance(answer, list) else ("" if answer is None else str(answer).strip())
        )
        return _next(found)
    return _render(
        "reports/question.html",
        found,
        "reports.question",
        form=form,
        asked=asked,
        step_arguments={"code": code},
    )


@bp.route("/<token>/details", methods=["GET", "POST"])
@with_journey
def details(found: Journey):
    form_class = OptionalDetailsForm if found.type.at_a_property else DetailsForm
    form = form_class(data={"description": found.description})
    if form.validate_on_submit():
        found.set_description((form.description.data or "").strip())
        return _next(found)
    return _render("reports/details.html", found, "reports.details", form=form)


@bp.route("/<token>/photo", methods=["GET", "POST"])
@with_journey
def photo(found: Journey):
    form = PhotoForm()
    photos = submission.draft_photos(found)
    if form.validate_on_submit():
        upload = form.photo.data
        if upload and upload.filename:
            try:
                cleaned = photo_from_upload(upload.read())
            except PhotoRejected as rejected:
                form.photo.errors = [str(rejected)]
                page = _render("reports/photo.html", found, "reports.photo", form=form, photos=photos)
                return page, rejected.status
            submission.add_photo(found, cleaned)
        found.photo_answered()
        return _next(found)
    return _render("reports/photo.html", found, "reports.photo", form=form, photos=photos)


@bp.post("/<token>/photo/<photo_token>/remove")
@with_journey
def remove_photo(found: Journey, photo_token: str):
    submission.remove_photo(found, photo_token)
    db.session.commit()
    return redirect(url_for(".photo", token=found.token))


@bp.get("/photos/<photo_token>")
def photo_file(photo_token: str):
    """A sent report's photo, by its unguessable token: this is the media_url a back office fetches."""
    stored = db.session.execute(db.select(Photo).filter_by(token=photo_token)).scalar_one_or_none()
    if stored is None or stored.report_id is None:
        abort(404)
    response = Response(stored.data, mimetype=stored.content_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    # Our own name for it (the uploaded file's name is never kept): the token, which is URL-safe base64.
    extension = "png" if stored.content_type == "image/png" else "jpg"
    response.headers["Content-Disposition"] = f'inline; filename="{stored.token}.{extension}"'
    return response


@bp.route("/<token>/email", methods=["GET", "POST"])
@with_journey
def email(found: Journey):
    form = EmailForm(data={"email": found.email})
    if form.validate_on_submit():
        found.set_email((form.email.data or "").strip().lower() or None)
        return _next(found)
    return _render("reports/email.html", found, "reports.email", form=form)


# Check, send, confirmation


@bp.get("/<token>/check")
@with_journey
def check(found: Journey):
    resident = signed_in_resident()
    if not found.is_complete(resident is not None):
        return _next(found)
    if assisted.is_assisted() and assisted.needs_reauthentication():
        return assisted.reauthenticate(url_for(".check", token=found.token))
    form = SendForm(data={"idempotency_key": found.draft.idempotency_key})
    return _check_page(found, form)


def _check_page(found: Journey, form: SendForm, status: int = 200):
    return (
        _render(
            "reports/check.html",
            found,
            "reports.check",
            form=form,
            council=themes().get(found.council_slug),
            photos=submission.draft_photos(found),
            resident=signed_in_resident(),
        ),
        status,
    )


@bp.errorhandler(429)
def too_many_reports(error):
    return render_template("reports/too_many.html"), 429


def _report_rate_limit() -> str:
    return current_app.config["REPORT_RATE_LIMIT"]


@bp.post("/<token>/send")
@limiter.limit(_report_rate_limit, exempt_when=lambda: assisted.is_assisted())
@with_journey
def send(found: Journey):
    resident = signed_in_resident()
    form = SendForm()
    if not form.validate_on_submit() or form.idempotency_key.data != found.draft.idempotency_key:
        abort(400)
    if form.website.data:
        current_app.logger.info(
            "Report journey %s: the honeypot was filled in; nothing was sent", found.token
        )
        abort(400)
    if not found.is_complete(resident is not None):
        return _next(found)
    if assisted.is_assisted() and assisted.needs_reauthentication():
        return assisted.reauthenticate(url_for(".check", token=found.token))
    try:
        report = submission.submit(found, resident, public_url=_public_url)
        if assisted.is_assisted():
            assisted.made(report, found)
        db.session.commit()
    except IntegrityError:
        # Two submissions of the same journey raced (a double click): the first one won; show it.
        db.session.rollback()
    return redirect(url_for(".confirmation", token=found.token))


def _public_url(endpoint: str, **values) -> str:
    """A page anyone may open (a tracking link in an email, a photo a back office fetches): on a council's
    domain, also when a contact centre made the report on the staff host."""
    if assisted.is_assisted():
        return assisted.council_url(url_for(endpoint, **values))
    return url_for(endpoint, _external=True, **values)


@bp.get("/<token>/confirmation")
@with_journey(once_sent=None)
def confirmation(found: Journey):
    report = submission.report_for(found)
    if report is None:
        return _next(found)
    feedback = db.session.execute(db.select(Feedback).filter_by(report_id=report.id)).scalar_one_or_none()
    return _render(
        "reports/confirmation.html",
        found,
        None,
        report=report,
        council=themes().get(report.council_slug),
        tracking_url=links.tracking_url(report, _public_url),
        feedback_form=FeedbackForm(),
        feedback=feedback,
    )


@bp.post("/<token>/feedback")
@with_journey(once_sent=None)
def feedback(found: Journey):
    report = submission.report_for(found)
    if report is None:
        abort(404)
    existing = db.session.execute(db.select(Feedback).filter_by(report_id=report.id)).scalar_one_or_none()
    form = FeedbackForm()
    if existing is None and form.validate_on_submit():
        comment = (form.comment.data or "").strip() or None
        db.session.add(
            Feedback(
                report_id=report.id,
                rating=form.rating.data,
                comment=comment,
                # Staff see a comment only once a supervisor has read it (app/views/staff/feedback.py).
                comment_status=FeedbackComment.PENDING if comment else None,
            )
        )
        db.session.commit()
        return redirect(url_for(".confirmation", token=found.token, _anchor="feedback"))
    if existing is not None:
        return redirect(url_for(".confirmation", token=found.token))
    return _render(
        "reports/confirmation.html",
        found,
        None,
        report=report,
        council=themes().get(report.council_slug),
        tracking_url=links.tracking_url(report, _public_url),
        feedback_form=form,
        feedback=None,
    )


def _tracked_report(signed: str) -> Report | Response:
    """The report a guest's private tracking link is for, or the page saying why the link does not work."""
    try:
        reference = links.reference_in(signed)
    except SignatureExpired:
        return make_response(render_template("reports/track_expired.html"), 410)
    except BadSignature:
        abort(404)
    report = db.session.execute(db.select(Report).filter_by(reference=reference)).scalar_one_or_none()
    if report is None:
        abort(404)
    if report.forgotten_at is not None:
        council = themes().get(report.council_slug)
        page = render_template("reports/track_gone.html", reference=report.reference, council=council)
        return make_response(page, 410)
    return report


@bp.get("/track/<signed>")
def track(signed: str):
    report = _tracked_report(signed)
    if not isinstance(report, Report):
        return report
    return render_template(
        "reports/track.html",
        report=report,
        case=cases.report_view(report),
        signed=signed,
        report_type=report_type(report.report_type),
        council=themes().get(report.council_slug),
        back_office_status=submission.back_office_status(report),
    )


@bp.route("/track/<signed>/comment", methods=["GET", "POST"])
def track_comment(signed: str):
    """A guest adds a comment or photo from their private tracking link, while the report is open."""
    report = _tracked_report(signed)
    if not isinstance(report, Report):
        return report
    view = cases.report_view(report)
    if not view.can_add_update:
        return redirect(url_for("reports.track", signed=signed))
    form = CommentForm()
    links = {
        "back_url": url_for("reports.track", signed=signed),
        "action_url": url_for("reports.track_comment", signed=signed),
    }
    if form.validate_on_submit():
        photo = None
        upload = form.photo.data
        if upload and upload.filename:
            try:
                photo = photo_from_upload(upload.read())
            except PhotoRejected as rejected:
                form.photo.errors = [str(rejected)]
                page = render_template("requests/comment.html", case=view, form=form, **links)
                return page, rejected.status
        updates.add(report, CaseUpdateKind.COMMENT, form.text.data.strip(), None, photo)
        db.session.commit()
        flash(_("Your comment is on its way to %(council)s.", council=view.summary.council_name))
        return redirect(url_for("reports.track", signed=signed))
    return render_template("requests/comment.html", case=view, form=form, **links)


@bp.route("/track/<signed>/not-fixed", methods=["GET", "POST"])
def track_not_fixed(signed: str):
    """A guest says "this is not fixed" from their private tracking link, once the council has closed it."""
    report = _tracked_report(signed)
    if not isinstance(report, Report):
        return report
    view = cases.report_view(report)
    if not view.can_say_not_fixed:
        return redirect(url_for("reports.track", signed=signed))
    form = NotFixedForm()
    if form.validate_on_submit():
        updates.add(report, CaseUpdateKind.NOT_FIXED, form.text.data.strip(), None)
        db.session.commit()
        flash(_("We have told %(council)s this is not fixed.", council=view.summary.council_name))
        return redirect(url_for("reports.track", signed=signed))
    return render_template(
        "requests/not_fixed.html",
        case=view,
        form=form,
        back_url=url_for("reports.track", signed=signed),
        action_url=url_for("reports.track_not_fixed", signed=signed),
    )


@bp.get("/yours")
@login_required
def yours():
    return render_template(
        "reports/yours.html",
        reports=claims.reports_of(current_user),
        claimable=claims.claimable(current_user),
        themes=themes(),
        claim_form=ClaimForm(),
    )


@bp.post("/yours/claim")
@login_required
def claim():
    if ClaimForm().validate_on_submit():
        claims.claim(current_user, request.remote_addr)
    return redirect(url_for(".yours"))


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.add_template_global(claims.summary, "resident_reports")
    app.add_template_global(report_type, "report_type")
