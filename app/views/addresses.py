"""Find your council: postcode, then address, then which council looks after what there. Anyone can use it,
on any council's domain; it is also the worked example of the reusable address chooser
(app/address_chooser.py and app/templates/addresses/)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from govuk_frontend_wtf.main import wtforms_errors

from app import address_problems, routing
from app.address_chooser import ChooseAddressForm, PostcodeForm, addresses_or_problem
from app.council_services import CouncilService
from app.theming import council_pages_only

bp = council_pages_only(Blueprint("addresses", __name__, url_prefix="/find-your-council"))

SERVICES_SHOWN = (
    CouncilService.BINS,
    CouncilService.COUNCIL_TAX,
    CouncilService.PLANNING,
    CouncilService.FLY_TIPPING,
    CouncilService.ABANDONED_VEHICLES,
    CouncilService.HIGHWAYS,
    CouncilService.STREET_LIGHTING,
    CouncilService.SOCIAL_CARE,
)


@bp.route("/", methods=["GET", "POST"])
def postcode():
    form = PostcodeForm()
    if request.method == "GET" and request.args.get("postcode"):
        form.postcode.data = request.args["postcode"]
    if form.validate_on_submit():
        return redirect(url_for(".choose", postcode=form.postcode_found))
    return render_template("addresses/postcode.html", form=form, errors=wtforms_errors(form))


@bp.route("/address", methods=["GET", "POST"])
def choose():
    entered = request.args.get("postcode", "")
    found, problem = addresses_or_problem(entered)
    if problem:
        # A postcode edited in the URL, or one without addresses now: ask again, keeping what was typed.
        form = PostcodeForm(formdata=None, postcode=entered)
        form.postcode.errors = [problem]
        return render_template("addresses/postcode.html", form=form, errors=wtforms_errors(form)), 400
    form = ChooseAddressForm.for_addresses(found)
    if form.validate_on_submit():
        return redirect(url_for(".councils", uprn=form.chosen_address().uprn))
    return render_template(
        "addresses/choose.html", form=form, errors=wtforms_errors(form), postcode=found[0].postcode
    )


@bp.get("/<uprn>")
def councils(uprn: str):
    try:
        responsibilities = [routing.council_for(service, uprn=uprn) for service in SERVICES_SHOWN]
    except address_problems.AddressProblem as problem:
        return render_template("addresses/problem.html", problem=problem), 404
    return render_template(
        "addresses/councils.html", address=responsibilities[0].address, responsibilities=responsibilities
    )
