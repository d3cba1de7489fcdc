"""Council tax in full, for a resident who has linked their account: the balance, every instalment and every
bill from the district's council tax system, a "pay now" link to the council's own payment page and its pages
for Direct Debit, discounts and moving home (the [council_tax] links of its theme.toml)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from app import address_problems
from app.backoffice import registry
from app.dashboard.household import household_for_current_resident
from app.theming import themes
from connectors.errors import ConnectorError

bp = Blueprint("council_tax", __name__)


@bp.get("/council-tax")
@login_required
def show():
    if not current_user.home_uprn:
        return redirect(url_for("dashboard.home_postcode"))
    try:
        household = household_for_current_resident()
    except address_problems.AddressProblem:
        return redirect(url_for("dashboard.show"))
    council = themes().get(household.district)
    if not (household.verified and household.council_tax_reference):
        return redirect(url_for("account.link_council_tax", next=url_for("council_tax.show")))
    system = registry().council_tax(household.district)
    reference = household.council_tax_reference
    try:
        account = system.account(reference)
        instalments = system.instalments(reference)
        bills = system.bills(reference)
    except ConnectorError:
        return render_template("council_tax/unavailable.html", council=council), 503
    return render_template(
        "council_tax/show.html",
        council=council,
        account=account.value,
        instalments=sorted(instalments.value, key=lambda instalment: instalment.due_date),
        bills=sorted(bills.value, key=lambda bill: bill.issued_on, reverse=True),
        fetched_at=min(account.fetched_at, instalments.fetched_at, bills.fetched_at),
        stale=account.stale or instalments.stale or bills.stale,
    )
