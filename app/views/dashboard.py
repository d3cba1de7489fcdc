"""The signed-in resident's dashboard: bins, council tax, planning, street reports and cases, each from the
council that holds them, fetched concurrently within one time budget (app/dashboard/tiles.py).

A browser that runs JavaScript (static/src/portal.mjs sets a cookie saying so) gets the page shell at once:
every tile its back offices must answer arrives as its own htmx fragment, rendered from the same partial
template, so one slow back office delays only its own tile. Without JavaScript the page arrives complete
within the budget; a tile whose back office has not answered by then shows what the connectors' cache holds,
marked stale, or says it is unavailable. Residents without a home address are asked for one first. While the
back offices answer, the request holds no database connection (app/database.py).
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import urlsplit

from babel import Locale
from babel import dates as babel_dates
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import _, format_datetime, get_locale
from flask_login import current_user, login_required
from govuk_frontend_wtf.main import wtforms_errors
from htmx_flask import make_response as htmx_response
from htmx_flask import request

from app import address_problems, council_tax_links
from app.address_chooser import ChooseAddressForm, PostcodeForm, addresses_or_problem
from app.auth.views import NOTICE_CATEGORY
from app.backoffice import registry
from app.dashboard import calendar, page_cache
from app.dashboard.household import household_for_current_resident
from app.dashboard.tiles import TILE_NAMES, TILES, TileState, fetch, shell
from app.database import release_connection
from app.extensions import db
from app.observability.metrics import count_tiles
from app.theming import themes
from app.your_council import forget_home_district

bp = Blueprint("dashboard", __name__)


@bp.app_template_filter("council_name")
def council_name(slug: str) -> str:
    return themes().get(slug).name


@bp.app_template_filter("long_date")
def long_date(day: date) -> str:
    return _long_date(day, get_locale())


@functools.lru_cache(maxsize=1024)
def _long_date(day: date, locale: Locale) -> str:
    # A dashboard shows about seven dates, each formatted by Babel's pattern machinery: the same few days,
    # page after page.
    return babel_dates.format_date(day, "EEEE d MMMM y", locale=locale)


@bp.app_template_filter("moment")
def moment(when: datetime) -> str:
    return format_datetime(when, "h:mm a 'on' d MMMM y")


@bp.app_template_filter("money")
def money(amount: Decimal) -> str:
    return f"£{amount:,.2f}"


# Of the page's budget, what the back offices get: the rest is for assembling and rendering the page (about
# 10 to 20 ms; `make bench` prints the hung back office's page time against the whole budget).
RENDERING_RESERVE = 0.05


def _budget() -> float:
    budget = float(current_app.config["DASHBOARD_BUDGET_SECONDS"])
    return budget * (1 - RENDERING_RESERVE)


def _without_javascript() -> bool:
    """The resident asked for the whole page at once (the shell's <noscript> link)."""
    return request.args.get("javascript") == "off"


def _runs_javascript() -> bool:
    return request.cookies.get(current_app.config["JAVASCRIPT_COOKIE"]) == "1" and not _without_javascript()


def tile_context() -> dict:
    return {
        "titles": {name: kind.title for name, kind in TILES.items()},
        "councils": {theme.slug: theme for theme in themes()},
        "now": datetime.now(UTC),
    }


@bp.get("/dashboard")
def show():
    # A page kept for this session is served before the resident is loaded (app/dashboard/page_cache.py).
    runs_javascript = _runs_javascript()
    page = page_cache.page_request(runs_javascript)
    if page is not None and (kept := page.kept()) is not None:
        if not runs_javascript:  # as rendering it again would: a shell's tiles are counted as fragments
            count_tiles(kept.tiles)
        return Response(kept.body, mimetype=kept.mimetype)
    return _dashboard(page)


@login_required
def _dashboard(page: page_cache.PageRequest | None):
    if not current_user.home_uprn:
        return redirect(url_for("dashboard.home_postcode"))
    try:
        household = household_for_current_resident()
    except address_problems.UnknownUprn:
        return redirect(url_for("dashboard.home_postcode"))
    except address_problems.AddressProblem as problem:
        return render_template("dashboard/address_problem.html", problem=problem.message)
    if _runs_javascript():
        tiles = shell(TILE_NAMES, household, registry())
    else:
        release_connection()
        tiles = fetch(TILE_NAMES, household, registry(), _budget())
        count_tiles(tiles.values())
    response = make_response(
        render_template(
            "dashboard/show.html",
            resident=current_user,
            household_address=household.address,
            tiles=[tiles[name] for name in TILE_NAMES],
            **tile_context(),
        )
    )
    if _without_javascript():
        # A stale cookie from a browser that has stopped running JavaScript: forget it.
        response.delete_cookie(current_app.config["JAVASCRIPT_COOKIE"])
    if page is not None:
        page.keep(response, tiles.values())
    return response


@bp.get("/dashboard/tiles/<name>")
@login_required
def tile(name: str):
    """One tile's body, for htmx; a browser that asks without htmx gets the whole dashboard."""
    if name not in TILE_NAMES:
        abort(404)
    if not request.htmx:
        return redirect(url_for("dashboard.show", _anchor=f"tile-{name}"))
    try:
        household = household_for_current_resident() if current_user.home_uprn else None
    except address_problems.AddressProblem:
        household = None
    if household is None:
        # The dashboard asks for the home address, or explains what is wrong with it, before any tile.
        return htmx_response(redirect=url_for("dashboard.show"))
    release_connection()
    found = fetch((name,), household, registry(), _budget())[name]
    count_tiles((found,))
    response = Response(render_template(TILES[name].template, tile=found, **tile_context()))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "HX-Request"
    return response


@bp.get("/dashboard/bin-collections.ics")
@login_required
def bin_calendar():
    if not current_user.home_uprn:
        return redirect(url_for("dashboard.home_postcode"))
    try:
        household = household_for_current_resident()
    except address_problems.AddressProblem:
        return redirect(url_for("dashboard.show"))
    release_connection()
    bins = fetch(("bins",), household, registry(), _budget())["bins"]
    if bins.state not in (TileState.LOADED, TileState.STALE):
        return Response(
            _("Your bin collection days are not available at the moment. Try again later."),
            status=503,
            mimetype="text/plain",
            headers={"Retry-After": "60", "Cache-Control": "no-store"},
        )
    council = themes().get(household.district)
    body = calendar.bin_calendar(
        bins.data.collections,
        uprn=household.uprn,
        calendar_name=_("Bin collections (%(council)s)", council=council.name),
        uid_domain=(council.domains[0] if council.domains else urlsplit(request.host_url).hostname),
        generated_at=bins.fetched_at or datetime.now(UTC),
    )
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": 'attachment; filename="bin-collections.ics"',
            "Cache-Control": "private, no-store",
        },
    )


# --- asking for a home address: postcode, then the address list -------------------------------------------


@bp.route("/dashboard/home-address", methods=["GET", "POST"])
@login_required
def home_postcode():
    form = PostcodeForm()
    if request.method == "GET" and request.args.get("postcode"):
        form.postcode.data = request.args["postcode"]
    if form.validate_on_submit():
        return redirect(url_for("dashboard.home_address", postcode=form.postcode_found))
    return render_template("dashboard/home_postcode.html", form=form, errors=wtforms_errors(form))


@bp.route("/dashboard/home-address/select", methods=["GET", "POST"])
@login_required
def home_address():
    found, problem = addresses_or_problem(request.args.get("postcode"))
    if problem:
        return redirect(url_for("dashboard.home_postcode"))
    form = ChooseAddressForm.for_addresses(found)
    if form.validate_on_submit():
        current_user.home_uprn = form.chosen_address().uprn
        forget_home_district()
        if council_tax_links.end_links_elsewhere(current_user):
            flash(
                _("Your council tax account is no longer linked: it is for your previous home."),
                NOTICE_CATEGORY,
            )
        db.session.commit()
        return redirect(url_for("dashboard.show"))
    return render_template(
        "dashboard/home_address.html", form=form, errors=wtforms_errors(form), postcode=found[0].postcode
    )
