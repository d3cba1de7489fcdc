"""Paid waste services: book a bulky waste collection or subscribe to garden waste, as a guest or signed in,
and pay through GOV.UK Pay.

Every page asks one thing and keeps the answer on the order (app/models/waste.py), so nothing typed is
lost; the next page is whatever is still missing. The price is worked out on the server from the council's
price list whenever it is shown and again when the payment is made. app/waste/orders.py pays and books.
"""

from __future__ import annotations

import secrets
from contextlib import suppress
from datetime import date, timedelta

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update

from app import address_problems, postcodes
from app.backoffice import registry
from app.extensions import db, limiter
from app.models.audit import AuditEvent
from app.models.waste import OrderKind, OrderStatus, WasteOrder
from app.reports import places
from app.reports.forms import AddressForm, PostcodeForm
from app.theming import themes
from app.waste import orders
from app.waste.forms import (
    BinsForm,
    BulkyContactForm,
    CancelForm,
    ClaimForm,
    ContactForm,
    ItemsForm,
    LocationForm,
    PayForm,
    RestartForm,
    SlotForm,
    StartForm,
)
from connectors.errors import ConnectorError
from connectors.models import ServiceKind

bp = Blueprint("waste", __name__, url_prefix="/waste")
TRACKING_SALT = "waste-order-tracking"
# How long before a subscription ends it can be renewed, and how soon a new one can start (the bin sticker is
# posted first).
RENEWAL_WINDOW = timedelta(days=56)
NEW_SUBSCRIPTION_STARTS_AFTER = timedelta(days=10)
SLOTS_SHOWN = 8
PAYMENT_PROBLEMS = {
    "P0010": _l(
        "Your payment was declined. You have not been charged. Check your card details, or use another card."
    ),
    "P0020": _l("Your payment timed out before it was finished. You have not been charged. Try again."),
    "P0030": _l("You cancelled your payment. You have not been charged."),
}


@bp.before_request
def _paid_services_here():
    theme = g.get("theme")
    if theme is None or theme.waste is None:
        abort(404)
    connectors = registry()
    if not (
        connectors.serves(theme.slug, ServiceKind.WASTE)
        and connectors.serves(theme.slug, ServiceKind.PAYMENTS)
    ):
        abort(404)


def _signed_in():
    return current_user if current_user.is_authenticated else None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TRACKING_SALT)


def tracking_url(order: WasteOrder) -> str:
    return url_for("waste.track", signed=_serializer().dumps(order.reference), _external=True)


def _order(token: str) -> WasteOrder:
    found = db.session.scalars(select(WasteOrder).filter_by(token=token)).one_or_none()
    if found is None or found.council_slug != g.theme.slug:
        abort(404)
    return found


def _draft(token: str) -> WasteOrder | Response:
    """The order while its answers can change; once paying has begun, the page that says where it is."""
    order = _order(token)
    if order.status == OrderStatus.PAYING:
        return redirect(url_for("waste.in_progress", token=token))
    if order.status != OrderStatus.DRAFT:
        return redirect(url_for("waste.confirmation", token=token))
    return order


# --- the journey's steps ------------------------------------------------------------------------------------


def _steps(order: WasteOrder) -> list[str]:
    if order.kind == OrderKind.BULKY:
        return ["postcode", "address", "items", "collection_day", "location", "contact", "check"]
    return ["postcode", "address", "bins", "contact", "check"]


def _answered(order: WasteOrder, step: str) -> bool:
    answers = order.answers or {}
    return {
        "postcode": bool(order.postcode or order.uprn),
        "address": bool(order.uprn) and not answers.get("already_until"),
        "items": sum(int(n) for n in (answers.get("items") or {}).values()) > 0,
        "collection_day": bool(answers.get("collection_date")),
        "location": bool(answers.get("location")),
        "bins": bool(answers.get("bins")),
        "contact": bool(order.email) and (order.kind != OrderKind.BULKY or bool(order.phone)),
        "check": False,
    }[step]


def _next(order: WasteOrder) -> Response:
    db.session.commit()
    if order.answers.get("already_until"):
        return redirect(url_for("waste.already_subscribed", token=order.token))
    step = next(step for step in _steps(order) if not _answered(order, step))
    return redirect(url_for(f"waste.{step}", token=order.token))


def _back(order: WasteOrder, step: str) -> str:
    steps = _steps(order)
    index = steps.index(step)
    if request.args.get("change"):
        return url_for("waste.check", token=order.token)
    if index == 0:
        return url_for(f"waste.start_{order.kind}")
    previous = steps[index - 1]
    if previous == "postcode" and order.uprn and not order.postcode:
        return url_for(f"waste.start_{order.kind}")
    return url_for(f"waste.{previous}", token=order.token)


def _after_answer(order: WasteOrder) -> Response:
    """Back to the check page after a change made from it, otherwise on to what is still missing."""
    if request.args.get("change") and all(_answered(order, step) for step in _steps(order)[:-1]):
        db.session.commit()
        return redirect(url_for("waste.check", token=order.token))
    return _next(order)


def _set(order: WasteOrder, **answers) -> None:
    order.answers = {**(order.answers or {}), **answers}


def _page(template: str, order: WasteOrder | None, step: str | None = None, status: int = 200, **context):
    return (
        render_template(
            template,
            order=order,
            back_link=_back(order, step) if order is not None and step else None,
            prices=g.theme.waste,
            money=orders.money,
            **context,
        ),
        status,
    )


@bp.route("/bulky", methods=["GET", "POST"], endpoint="start_bulky")
@bp.route("/garden", methods=["GET", "POST"], endpoint="start_garden")
def start():
    kind = OrderKind.BULKY if request.endpoint == "waste.start_bulky" else OrderKind.GARDEN
    form = StartForm()
    if form.validate_on_submit():
        resident = _signed_in()
        order = WasteOrder(
            token=secrets.token_urlsafe(32),
            kind=kind,
            council_slug=g.theme.slug,
            resident_id=resident.id if resident else None,
            email=(resident.email or None) if resident else None,
            answers={},
        )
        db.session.add(order)
        db.session.flush()
        order.tracking_url = tracking_url(order)
        if resident and resident.home_uprn:
            try:
                _choose_address(order, resident.home_uprn)
            except address_problems.AddressProblem:
                order.uprn = order.address = None
        return _next(order)
    return render_template(f"waste/start_{kind}.html", form=form, prices=g.theme.waste, money=orders.money)


@bp.route("/<token>/postcode", methods=["GET", "POST"])
def postcode(token: str):
    order = _draft(token)
    if isinstance(order, Response):
        return order
    form = PostcodeForm(data={"postcode": order.postcode})
    form.postcode.description = _("The postcode of the address for the collection. For example, NR1 2DH")
    if form.validate_on_submit():
        postcode = postcodes.normalise_postcode(form.postcode.data)
        try:
            places.addresses_for_postcode(postcode)
        except address_problems.AddressProblem as problem:
            form.postcode.errors = [problem.message]
        else:
            order.postcode = postcode
            order.uprn = order.address = None
            _set(order, already_until=None)
            return _next(order)
    return _page("waste/postcode.html", order, "postcode", form=form)


def _choose_address(order: WasteOrder, uprn: str) -> None:
    """Take the address if this council serves it; for garden waste, work out when the subscription starts."""
    chosen = places.location_at(uprn)
    if chosen.gss_code != g.theme.gss_code:
        raise address_problems.AddressProblem(
            _(
                "This address is not in %(council)s's area. Use your own council's website.",
                council=g.theme.name,
            )
        )
    if order.kind == OrderKind.GARDEN:
        _garden_start(order, uprn)
    order.uprn, order.address, order.postcode = chosen.uprn, chosen.address, chosen.postcode
    if order.kind == OrderKind.BULKY and order.answers.get("collection_date"):
        _set(order, collection_date=None)


def _garden_start(order: WasteOrder, uprn: str) -> None:
    today = date.today()
    current = [
        subscription
        for subscription in registry().waste(order.council_slug).garden_subscriptions(uprn)
        if subscription.status == "booked" and subscription.end_date and subscription.end_date >= today
    ]
    latest = max((subscription.end_date for subscription in current), default=None)
    if latest and latest - today > RENEWAL_WINDOW:
        _set(order, already_until=latest.isoformat(), start_date=None, renewal=False)
    elif latest:
        _set(order, already_until=None, start_date=(latest + timedelta(days=1)).isoformat(), renewal=True)
    else:
        _set(
            order,
            already_until=None,
            start_date=(today + NEW_SUBSCRIPTION_STARTS_AFTER).isoformat(),
            renewal=False,
        )


@bp.route("/<token>/address", methods=["GET", "POST"])
def address(token: str):
    order = _draft(token)
    if isinstance(order, Response):
        return order
    if not order.postcode:
        return redirect(url_for("waste.postcode", token=token))
    try:
        choices = places.addresses_for_postcode(order.postcode)
    except address_problems.AddressProblem as problem:
        return _page("waste/unavailable.html", order, "address", 503, problem=problem.message)
    form = AddressForm(data={"uprn": order.uprn})
    form.uprn.choices = [(choice.uprn, choice.label) for choice in choices]
    if form.validate_on_submit():
        try:
            _choose_address(order, form.uprn.data)
        except address_problems.AddressProblem as problem:
            form.uprn.errors = [problem.message]
        except ConnectorError:
            return _page("waste/unavailable.html", order, "address", 503, problem=_unavailable())
        else:
            return _after_answer(order)
    return _page("waste/address.html", order, "address", form=form, choices=choices)


def _unavailable() -> str:
    return _(
        "%(council)s's waste system is not answering at the moment, so we cannot book this now. "
        "Your answers are saved: try again in a few minutes.",
        council=g.theme.name,
    )


@bp.get("/<token>/already-subscribed")
def already_subscribed(token: str):
    order = _draft(token)
    if isinstance(order, Response):
        return order
    until = order.answers.get("already_until")
    if not until:
        return _next(order)
    return _page(
        "waste/already_subscribed.html",
        order,
        None,
        until=date.fromisoformat(until),
        renew_from=date.fromisoformat(until) - RENEWAL_WINDOW,
    )


@bp.route("/<token>/items", methods=["GET", "POST"])
def items(token: str):
    order = _draft(token)
    if isinstance(order, Response):
        return order
    prices = g.theme.waste
    form = ItemsForm()
    chosen = dict(order.answers.get("items") or {})
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        chosen = {}
        for item in prices.bulky_items:
            text = (request.form.get(f"item-{item.code}") or "").strip() or "0"
            if not text.isdigit() or len(text) > 2:
                errors[f"item-{item.code}"] = _("Enter how many, as a whole number, like 2")
                chosen[item.code] = text[:3]
                continue
            chosen[item.code] = int(text)
        counted = sum(value for value in chosen.values() if isinstance(value, int))
        if not errors and counted == 0:
            errors[f"item-{prices.bulky_items[0].code}"] = _("Enter how many of at least one item")
        elif not errors and counted > prices.bulky_max_items:
            errors[f"item-{prices.bulky_items[0].code}"] = _(
                "A collection takes up to %(max)s items. Book another collection for the rest.",
                max=prices.bulky_max_items,
            )
        if not errors:
            if counted != sum(int(n) for n in (order.answers.get("items") or {}).values()):
                _set(order, collection_date=None)  # another number of items may need another day
            _set(order, items={code: n for code, n in chosen.items() if n})
            return _after_answer(order)
    status = 400 if errors else 200
    return _page("waste/items.html", order, "items", status, form=form, chosen=chosen, errors=errors)


@bp.route("/<token>/collection-day", methods=["GET", "POST"])
def collection_day(token: str):
    order = _draft(token)
    if isinstance(order, Response):
        return order
    count = sum(int(n) for n in (order.answers.get("items") or {}).values())
    if not order.uprn or not count:
        return _next(order)
    try:
        slots = registry().waste(order.council_slug).bulky_slots(order.uprn, count)[:SLOTS_SHOWN]
    except ConnectorError:
        return _page("waste/unavailable.html", order, "collection_day", 503, problem=_unavailable())
    form = SlotForm(data={"collection_date": order.answers.get("collection_date")})
    form.collection_date.choices = [
        (slot.date.isoformat(), format_date(slot.date, "EEEE d MMMM yyyy")) for slot in slots
    ]
    if form.validate_on_submit():
        _set(order, collection_date=form.collection_date.data)
        return _after_answer(order)
    return _page("waste/collection_day.html", order, "collection_day", form=form, slots=slots)


@bp.route("/<token>/location", methods=["GET", "POST"])
def location(token: str):
    order = _draft(token)
    if isinstance(order, Response):
        return order
    form = LocationForm(data={"location": order.answers.get("location")})
    if form.validate_on_submit():
        _set(order, location=form.location.data.strip())
        return _after_answer(order)
    return _page("waste/location.html", order, "location", form=form)


@bp.route("/<token>/bins", methods=["GET", "POST"])
def bins(token: str):
    order = _draft(token)
    if isinstance(order, Response):
        return order
    prices = g.theme.waste
    form = BinsForm(data={"bins": str(order.answers["bins"]) if order.answers.get("bins") else None})
    form.bins.choices = [
        (
            str(n),
            ngettext(
                "%(num)s bin: %(price)s a year",
                "%(num)s bins: %(price)s a year",
                n,
                price=orders.money(prices.garden_first_bin_pence + (n - 1) * prices.garden_further_bin_pence),
            ),
        )
        for n in range(1, prices.garden_max_bins + 1)
    ]
    if form.validate_on_submit():
        _set(order, bins=int(form.bins.data))
        return _after_answer(order)
    return _page("waste/bins.html", order, "bins", form=form)


@bp.route("/<token>/contact", methods=["GET", "POST"])
def contact(token: str):
    order = _draft(token)
    if isinstance(order, Response):
        return order
    form_class = BulkyContactForm if order.kind == OrderKind.BULKY else ContactForm
    form = form_class(data={"email": order.email, "phone": order.phone})
    if form.validate_on_submit():
        order.email = form.email.data.strip().lower()
        if order.kind == OrderKind.BULKY:
            order.phone = form.phone.data.strip()
        return _after_answer(order)
    return _page("waste/contact.html", order, "contact", form=form)


# --- check, pay, come back ----------------------------------------------------------------------------------


def _allow_payment_page(council_slug: str) -> None:
    """The pay button's redirect goes to GOV.UK Pay: this page's forms may lead there."""
    g.form_action_origins = (registry().payments(council_slug).card_origin,)


@bp.get("/<token>/check")
def check(token: str):
    order = _draft(token)
    if isinstance(order, Response):
        return order
    if not all(_answered(order, step) for step in _steps(order)[:-1]):
        return _next(order)
    return _check_page(order)


def _check_page(order: WasteOrder, problem: str | None = None, status: int = 200):
    _allow_payment_page(order.council_slug)
    lines = orders.lines_for(order)
    if problem is None and order.payment_problem:
        problem = str(PAYMENT_PROBLEMS.get(order.payment_problem, ""))
    if order.payment_problem and not problem:
        problem = _("Your payment did not go through. You have not been charged. Try again.")
    return _page(
        "waste/check.html",
        order,
        "check",
        status,
        form=PayForm(),
        lines=lines,
        total=orders.total_pence(lines),
        problem=problem,
        item_names={item.code: item.name for item in g.theme.waste.bulky_items},
        start_date=date.fromisoformat(order.answers["start_date"])
        if order.answers.get("start_date")
        else None,
        collection_date=date.fromisoformat(order.answers["collection_date"])
        if order.answers.get("collection_date")
        else None,
    )


@bp.errorhandler(429)
def too_many_payments(error):
    return render_template("waste/too_many.html"), 429


def _pay_rate_limit() -> str:
    return current_app.config["WASTE_PAY_RATE_LIMIT"]


@bp.post("/<token>/pay")
@limiter.limit(_pay_rate_limit)
def pay(token: str):
    order = _draft(token)
    if isinstance(order, Response):
        return order
    if not PayForm().validate_on_submit():
        abort(400)
    if not all(_answered(order, step) for step in _steps(order)[:-1]):
        return _next(order)
    if order.kind == OrderKind.BULKY:
        _set(order, collection_date=order.answers["collection_date"])
    language = str(get_locale() or "en")[:2]
    try:
        next_url = orders.start_payment(
            order, url_for("waste.returned", token=token, _external=True), language
        )
    except orders.PaymentInProgress:
        return redirect(url_for("waste.in_progress", token=token))
    except orders.PaymentsUnavailable:
        problem = _(
            "Payments are not working at the moment. You have not been charged. Your answers are saved: "
            "try again in a few minutes."
        )
        return _check_page(order, problem, 503)
    return redirect(next_url, 303)


@bp.get("/<token>/return")
def returned(token: str):
    """GOV.UK Pay's return URL: what happened is read from Pay, never from the address."""
    order = _order(token)
    try:
        orders.reconcile(order)
    except orders.PaymentsUnavailable:
        return _page("waste/checking_payment.html", order, None, 503)
    if order.status == OrderStatus.DRAFT:
        return redirect(url_for("waste.check", token=token))
    if order.status == OrderStatus.PAYING:
        return redirect(url_for("waste.in_progress", token=token))
    orders.book_now(order)
    return redirect(url_for("waste.confirmation", token=token))


@bp.get("/<token>/payment-in-progress")
def in_progress(token: str):
    order = _order(token)
    if order.status != OrderStatus.PAYING:
        return redirect(url_for("waste.returned", token=token))
    _allow_payment_page(order.council_slug)
    return _page("waste/in_progress.html", order, None, form=RestartForm())


@bp.post("/<token>/restart")
def restart(token: str):
    order = _order(token)
    if not RestartForm().validate_on_submit():
        abort(400)
    try:
        orders.restart_payment(order)
    except orders.PaymentsUnavailable:
        return _page("waste/checking_payment.html", order, None, 503)
    if order.status == OrderStatus.DRAFT:
        return redirect(url_for("waste.check", token=token))
    return redirect(url_for("waste.returned", token=token))


@bp.get("/<token>/confirmation")
def confirmation(token: str):
    order = _order(token)
    if order.status == OrderStatus.DRAFT:
        return redirect(url_for("waste.check", token=token))
    if order.status == OrderStatus.PAYING:
        return redirect(url_for("waste.returned", token=token))
    return _status_page(order, confirmation=True)


def _status_page(order: WasteOrder, confirmation: bool = False, status: int = 200):
    signed = _serializer().dumps(order.reference)
    return _page(
        "waste/order.html",
        order,
        None,
        status,
        confirmation=confirmation,
        what=orders.describe(order),
        can_cancel=orders.can_cancel(order),
        tracking_url=url_for("waste.track", signed=signed, _external=True),
        cancel_url=url_for("waste.cancel", signed=signed),
    )


# --- tracking and cancelling --------------------------------------------------------------------------------


def _tracked(signed: str) -> WasteOrder | Response:
    max_age = timedelta(days=current_app.config["TRACKING_LINK_DAYS"]).total_seconds()
    try:
        reference = _serializer().loads(signed, max_age=max_age)
    except SignatureExpired:
        return Response(render_template("reports/track_expired.html"), 410)
    except BadSignature:
        abort(404)
    order = db.session.scalars(select(WasteOrder).filter_by(reference=reference)).one_or_none()
    if (
        order is None
        or order.council_slug != g.theme.slug
        or order.status in (OrderStatus.DRAFT, OrderStatus.PAYING)
    ):
        abort(404)
    return order


@bp.get("/track/<signed>")
def track(signed: str):
    order = _tracked(signed)
    if isinstance(order, Response):
        return order
    return _status_page(order)


@bp.route("/track/<signed>/cancel", methods=["GET", "POST"])
def cancel(signed: str):
    order = _tracked(signed)
    if isinstance(order, Response):
        return order
    if not orders.can_cancel(order):
        return redirect(url_for("waste.track", signed=signed))
    form = CancelForm()
    if form.validate_on_submit():
        with suppress(orders.CannotCancel):  # a second click: the first one is cancelling it
            orders.cancel(order)
        orders.cancel_now(order)
        return redirect(url_for("waste.track", signed=signed))
    return _page("waste/cancel.html", order, None, form=form, back=url_for("waste.track", signed=signed))


# --- a signed-in resident's orders -------------------------------------------------------------------------


@bp.post("/claim")
@login_required
def claim():
    if ClaimForm().validate_on_submit():
        claimed = claim_orders(current_user, request.remote_addr)
        current_app.logger.info("Resident %s claimed %s waste order(s)", current_user.id, claimed)
    return redirect(url_for("requests.index"))


def _verified_email(resident) -> str | None:
    email = getattr(resident, "email", None)
    return email.strip().lower() if email else None


def orders_of(resident) -> list[WasteOrder]:
    return list(
        db.session.scalars(
            select(WasteOrder)
            .where(WasteOrder.resident_id == resident.id, WasteOrder.status.not_in(_UNPAID))
            .order_by(WasteOrder.created_at.desc())
        )
    )


_UNPAID = (OrderStatus.DRAFT, OrderStatus.PAYING)


def claimable_orders(resident) -> list[WasteOrder]:
    email = _verified_email(resident)
    if email is None:
        return []
    return list(
        db.session.scalars(
            select(WasteOrder).where(
                WasteOrder.resident_id.is_(None),
                func.lower(WasteOrder.email) == email,
                WasteOrder.status.not_in(_UNPAID),
            )
        )
    )


def claim_orders(resident, ip_address: str | None = None) -> int:
    """A guest's paid orders become the signed-in resident's when their verified email matches them."""
    email = _verified_email(resident)
    if email is None:
        return 0
    claimed = db.session.execute(
        update(WasteOrder)
        .where(WasteOrder.resident_id.is_(None), func.lower(WasteOrder.email) == email)
        .values(resident_id=resident.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        db.session.add(
            AuditEvent(
                event="waste.orders_claimed",
                actor=str(resident.id),
                ip_address=ip_address,
                detail={"count": claimed},
            )
        )
    db.session.commit()
    return claimed


def my_orders() -> dict:
    """For My requests: the signed-in resident's paid orders, and how many guest ones they could add."""
    if not current_user.is_authenticated:
        return {"orders": [], "claimable": 0, "claim_form": None}
    return {
        "orders": orders_of(current_user),
        "claimable": len(claimable_orders(current_user)),
        "claim_form": ClaimForm(),
        "describe": orders.describe,
        "money": orders.money,
        "council_name": lambda order: themes().get(order.council_slug).name,
    }


def init_app(app) -> None:
    from app.waste import cli

    cli.init_app(app)
    app.register_blueprint(bp)
    app.extensions.setdefault("worker_steps", []).append(orders.worker_step)
    app.add_template_global(my_orders, "waste_orders")
