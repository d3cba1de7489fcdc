"""Council insights, for supervisors: each council they supervise, or all councils side by side for those who
supervise every one; a date range (the last 30 days including today unless chosen), charts with their tables,
and each chart's numbers as CSV or JSON (app.insights.exports)."""

from __future__ import annotations

import json

from flask import Response, abort, render_template, request
from flask_babel import _
from wtforms.fields.choices import SelectChoice

from app.insights import exports, queries
from app.insights.charts import Chart
from app.insights.forms import ALL, InsightsFilterForm, today
from app.reports.types import REPORT_TYPES
from app.staff import audit
from app.staff.identity import current_staff, supervisor_required
from app.theming import themes
from app.views.staff import bp

CHARTS = ("by_type", "by_channel", "by_week", "delivery", "parked")


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
    series = [(slug, themes().get(slug).name) for slug in councils]
    counted = f"{span.first:%-d %B %Y} to {span.last:%-d %B %Y}"
    by_type = queries.reports_by_type(span, councils)
    types = [(kind.slug, str(kind.title)) for kind in REPORT_TYPES]
    known = {slug for slug, _label in types}
    types += sorted({(kind, kind) for _council, kind in by_type if kind not in known})
    by_channel = queries.reports_by_channel(span, councils)
    by_week = queries.reports_by_week(span, councils)
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
                "Reports made from %(range)s online by signed-in residents, online by guests, and by council "
                "contact centres for someone, for each council.",
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
            _("Reports and their emails the portal stopped trying to send, waiting for a supervisor, now."),
            _("Deliveries"),
            [("parked", _("Parked"))],
            series,
            {("parked", council): value for council, value in parked.items()},
        ),
    ]
    return {chart.key: chart.layout() for chart in charts}


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
