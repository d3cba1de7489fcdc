"""Council insights, for supervisors: each council they supervise, or all councils side by side for those who
supervise every one; a date range (the last 30 days including today unless chosen), charts with their tables,
and each chart's numbers as CSV or JSON (app.insights.exports)."""

from __future__ import annotations

import json
from datetime import date, timedelta

from flask import Response, abort, render_template, request
from flask_babel import _, format_date
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from app.insights import exports, queries
from app.insights.charts import Chart
from app.insights.forms import ALL, InsightsFilterForm, today
from app.reports.forms import FeedbackForm
from app.reports.types import REPORT_TYPES
from app.staff import audit
from app.staff.access import supervisor_required
from app.staff.identity import current_staff
from app.theming import themes
from app.views.staff import bp

CHARTS = (
    "by_type",
    "by_channel",
    "online_share",
    "by_week",
    "delivery",
    "close_time",
    "not_fixed",
    "parked",
    "availability",
    "tiles",
    "sign_ins",
    "feedback",
    "use_by_month",
    "share_by_month",
)
RATINGS = [(choice.value, str(choice.label)) for choice in FeedbackForm.rating.kwargs["choices"]]
SERVICES = {
    "addresses": _l("Addresses"),
    "bins": _l("Bin collections"),
    "council_tax": _l("Council tax"),
    "planning": _l("Planning"),
    "street_reports": _l("Street reports"),
    "cases": _l("Cases"),
    "waste": _l("Waste services"),
    "payments": _l("Payments"),
}
MEASURES = {
    queries.SIGN_INS: _l("sign-ins"),
    queries.REPORTS: _l("reports"),
    queries.BACKOFFICE_CALLS: _l("back-office calls"),
    queries.EMAILS: _l("emails"),
}


def _percent(part: int, whole: int) -> float:
    return 100 * part / whole


def _month_label(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return format_date(date(year, number, 1), "MMMM yyyy")


def _months(span: queries.Range) -> list[str]:
    months, day = [], span.first.replace(day=1)
    while day <= span.last:
        months.append(f"{day:%Y-%m}")
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def _form() -> InsightsFilterForm:
    member = current_staff()
    councils = member.supervises()
    if request.args:
        form = InsightsFilterForm(request.args)
    else:
        form = InsightsFilterForm(
            formdata=None, council=member.working_for, **InsightsFilterForm.defaults(today())
        )
    choices = [SelectChoice(slug, themes().get(slug).name) for slug in councils]
    if len(councils) == len(themes()):
        choices.insert(0, SelectChoice(ALL, _("All councils, side by side")))
    form.council.choices = choices
    return form


def _scope(form: InsightsFilterForm) -> list[str]:
    return current_staff().supervises() if form.council.data == ALL else [form.council.data]


def _charts(span: queries.Range, councils: list[str]) -> dict[str, Chart]:
    queries.tune_for_aggregates()
    series = [(slug, themes().get(slug).name) for slug in councils]
    counted = f"{span.first:%-d %B %Y} to {span.last:%-d %B %Y}"
    counts = queries.report_counts(span, councils)
    by_type, by_channel, by_week = counts.by_type, counts.by_channel, counts.by_week
    types = [(kind.slug, str(kind.title)) for kind in REPORT_TYPES]
    known = {slug for slug, _label in types}
    types += sorted({(kind, kind) for _council, kind in by_type if kind not in known})
    weeks = sorted({week for _council, week in by_week})
    delivery = queries.delivery_seconds(span, councils)
    parked = queries.parked_deliveries(councils)

    def flipped(counts):
        return {(row, council): value for (council, row), value in counts.items()}

    charts = [
        Chart(
            "by_type",
            _("Reports by type"),
            _("Reports made from %(range)s, by type of problem, for each council.", range=counted),
            _("Type of problem"),
            types,
            series,
            flipped(by_type),
        ),
        Chart(
            "by_channel",
            _("Reports by channel"),
            _(
                "Reports made from %(range)s online by signed-in residents, online by guests, and by "
                "council contact centres for someone, for each council.",
                range=counted,
            ),
            _("Channel"),
            [(key, str(label)) for key, label in queries.CHANNELS.items()],
            series,
            flipped(by_channel),
        ),
        Chart(
            "by_week",
            _("Reports by week"),
            _(
                "Reports made each week (weeks start on Monday) from %(range)s, for each council.",
                range=counted,
            ),
            _("Week starting"),
            [(week, week) for week in weeks],
            series,
            flipped(by_week),
        ),
        Chart(
            "delivery",
            _("Time for the back office to accept a report"),
            _(
                "Minutes from a report being made to the council's back office accepting it: the median "
                "(half were quicker) and the 95th percentile (19 in 20 were quicker), for reports made from "
                "%(range)s.",
                range=counted,
            ),
            _("Measure"),
            [("p50", _("Median (minutes)")), ("p95", _("95th percentile (minutes)"))],
            series,
            {
                **{("p50", council): p50 / 60 for council, (_n, p50, _p95) in delivery.items()},
                **{("p95", council): p95 / 60 for council, (_n, _p50, p95) in delivery.items()},
            },
            counts=False,
            unit="minutes",
        ),
        Chart(
            "parked",
            _("Parked deliveries now"),
            _(
                "Reports and emails for each council that the portal stopped trying to send, waiting for a "
                "supervisor, now."
            ),
            _("Deliveries"),
            [("parked", _("Parked"))],
            series,
            {("parked", council): value for council, value in parked.items()},
        ),
        *_more_charts(span, councils, series, counted, by_channel, types),
    ]
    order = {key: index for index, key in enumerate(CHARTS)}
    return {chart.key: chart.layout() for chart in sorted(charts, key=lambda chart: order[chart.key])}


def _more_charts(span, councils, series, counted, by_channel, types) -> list[Chart]:
    """The figures beyond demand and delivery: closing, "not fixed", availability, sign-ins, feedback and
    each council's share of the platform's use."""
    online = {
        (row, council): _percent(by_channel.get((council, row), 0), whole)
        for council, _name in series
        for whole in [
            by_channel.get((council, queries.SIGNED_IN), 0) + by_channel.get((council, queries.GUEST), 0)
        ]
        if whole
        for row in (queries.SIGNED_IN, queries.GUEST)
    }
    close = queries.close_seconds_by_type(span, councils)
    not_fixed = queries.not_fixed(span, councils)
    availability = queries.backoffice_availability(span, councils)
    tiles = queries.tiles_up_to_date(span, councils)
    services = sorted({service for _council, service in [*availability, *tiles]})
    service_rows = [(service, str(SERVICES.get(service, service))) for service in services]
    sign_ins = queries.sign_ins(span, councils)
    ratings = queries.feedback_ratings(span, councils)
    use = queries.monthly_use(span)
    months = _months(span)
    use_rows = [
        (f"{month} {measure}", f"{_month_label(month)}: {label}")
        for month in months
        for measure, label in MEASURES.items()
    ]
    totals = {
        (month, measure): sum(value for (m, k, _c), value in use.items() if (m, k) == (month, measure))
        for month in months
        for measure in MEASURES
    }
    return [
        Chart(
            "online_share",
            _("Signed in or as a guest"),
            _(
                "Of the reports made online from %(range)s, the percentage made by signed-in residents and "
                "by guests, for each council.",
                range=counted,
            ),
            _("Online reports"),
            [(queries.SIGNED_IN, _("Signed in (%)")), (queries.GUEST, _("As a guest (%)"))],
            series,
            online,
            counts=False,
            unit="percent",
        ),
        Chart(
            "close_time",
            _("Time to close by type"),
            _(
                "Median hours (half were quicker) from a report being made to the council first closing it "
                "(fixed, no action needed, passed on or not the council's), by type of problem, for reports "
                "made from %(range)s and closed since.",
                range=counted,
            ),
            _("Type of problem"),
            [(slug, label) for slug, label in types],
            series,
            {(kind, council): p50 / 3600 for (council, kind), (_n, p50, _p95) in close.items()},
            counts=False,
            unit="hours",
        ),
        Chart(
            "not_fixed",
            _("Said not fixed after closing"),
            _(
                "Of the reports made from %(range)s that the council closed, the percentage whose resident "
                "then said \u201cthis is not fixed\u201d, for each council.",
                range=counted,
            ),
            _("Closed reports"),
            [("not_fixed", _("Said not fixed (%)"))],
            series,
            {("not_fixed", council): _percent(said, closed) for council, (closed, said) in not_fixed.items()},
            counts=False,
            unit="percent",
        ),
        Chart(
            "availability",
            _("Back-office availability"),
            _(
                "The percentage of the portal's calls to each back office from %(range)s that it answered "
                "(even to say no); calls that timed out, failed, or that the circuit breaker held back "
                "while the back office was failing were not answered.",
                range=counted,
            ),
            _("Service"),
            service_rows,
            series,
            {
                (service, council): _percent(good, whole)
                for (council, service), (good, whole) in availability.items()
            },
            counts=False,
            unit="percent",
        ),
        Chart(
            "tiles",
            _("Dashboard tiles up to date"),
            _(
                "The percentage of residents' dashboard tiles shown from %(range)s with up-to-date "
                "information, rather than kept from earlier or unavailable, by service.",
                range=counted,
            ),
            _("Service"),
            service_rows,
            series,
            {
                (service, council): _percent(good, whole)
                for (council, service), (good, whole) in tiles.items()
                if whole
            },
            counts=False,
            unit="percent",
        ),
        Chart(
            "sign_ins",
            _("Sign-ins and active residents"),
            _(
                "Sign-ins on each council's site from %(range)s, and how many residents they were (each "
                "counted once however often they signed in).",
                range=counted,
            ),
            _("Measure"),
            [("sign_ins", _("Sign-ins")), ("active", _("Active residents"))],
            series,
            {
                **{("sign_ins", council): count for council, (count, _active) in sign_ins.items()},
                **{("active", council): active for council, (_count, active) in sign_ins.items()},
            },
        ),
        Chart(
            "feedback",
            _("Feedback scores"),
            _(
                "How residents said they felt about reporting a problem, from the question after each "
                "report, given from %(range)s.",
                range=counted,
            ),
            _("Score"),
            RATINGS,
            series,
            {(rating, council): count for (council, rating), count in ratings.items()},
        ),
        Chart(
            "use_by_month",
            _("Platform use by month"),
            _(
                "Sign-ins, reports made, calls to back offices and emails sent, each month from %(range)s, "
                "for each council.",
                range=counted,
            ),
            _("Month and measure"),
            use_rows,
            series,
            {(f"{month} {measure}", council): value for (month, measure, council), value in use.items()},
        ),
        Chart(
            "share_by_month",
            _("Share of platform use by month"),
            _(
                "Each council's percentage of all councils' sign-ins, reports, back-office calls and emails "
                "each month from %(range)s, for sharing the platform's cost.",
                range=counted,
            ),
            _("Month and measure"),
            use_rows,
            series,
            {
                (f"{month} {measure}", council): _percent(value, totals[(month, measure)])
                for (month, measure, council), value in use.items()
                if totals.get((month, measure)) and (month, measure, council)
            },
            counts=False,
            unit="percent",
        ),
    ]


def _valid_form() -> tuple[InsightsFilterForm, bool]:
    form = _form()
    valid = form.validate() if request.args else True
    return form, valid


@bp.get("/insights")
@supervisor_required
def insights():
    form, valid = _valid_form()
    charts = {}
    if valid:
        span = queries.Range(form.first.data, form.last.data)
        charts = _charts(span, _scope(form))
    audit.record(
        "insights_viewed",
        detail={"council": form.council.data, "valid": valid, "args": dict(request.args.items())},
        commit=True,
    )
    export_args = (
        {
            "council": form.council.data,
            "first": [form.first.data.day, form.first.data.month, form.first.data.year],
            "last": [form.last.data.day, form.last.data.month, form.last.data.year],
        }
        if valid
        else {}
    )
    return render_template(
        "staff/insights/index.html",
        form=form,
        charts=charts,
        export_args=export_args,
    ), (200 if valid else 400)


@bp.get("/insights/export")
@supervisor_required
def insights_export():
    chart_key = request.args.get("chart", "")
    file_format = request.args.get("format", "")
    form, valid = _valid_form()
    if chart_key not in CHARTS or file_format not in ("csv", "json") or not valid:
        audit.record("not_found", detail={"chart": chart_key[:40], "format": file_format[:10]}, commit=True)
        abort(404)
    span = queries.Range(form.first.data, form.last.data)
    chart = _charts(span, _scope(form))[chart_key]
    audit.record(
        "insights_exported",
        detail={"chart": chart_key, "format": file_format, "council": form.council.data},
        commit=True,
    )
    name = f"{chart_key}-{form.council.data}-{span.first:%Y%m%d}-{span.last:%Y%m%d}.{file_format}"
    if file_format == "csv":
        body, mimetype = exports.as_csv(chart), "text/csv"
    else:
        body, mimetype = json.dumps(exports.as_json(chart), indent=2), "application/json"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
