"""The resident's account page: profile, home address, contact preferences, linked council accounts, sign out
everywhere, download my data, delete my portal data."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from govuk_frontend_wtf.main import wtforms_errors
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import RadioField, SelectChoice, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Regexp, ValidationError

from app import address_lookup, address_problems, council_tax_links, rate_limits
from app.auth import relying_party
from app.auth.assurance import COUNCIL_TAX, assurance_of_current_resident
from app.auth.audit import erased_actor, record_security_event, resident_actor
from app.auth.views import ID_TOKEN_KEY, NOTICE_CATEGORY, safe_return_path
from app.extensions import db
from app.forms import PortalForm
from app.models.identity import Resident, personal_data_sources
from app.sessions import end_sessions_of_resident
from app.theming import themes

bp = Blueprint("account", __name__, url_prefix="/account")

UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")


def normalise_postcode(value: str) -> str:
    compact = re.sub(r"\s+", "", value or "").upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


class ContactPreferencesForm(PortalForm):
    contact_by_email = RadioField(
        _l("Can we email you about your reports and requests?"),
        choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
        validators=[
            InputRequired(message=_l("Select yes if we can email you about your reports and requests"))
        ],
        widget=GovRadioInput(),
    )
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())


class LinkCouncilTaxForm(PortalForm):
    council = RadioField(
        _l("Which council sends your council tax bill?"),
        validators=[InputRequired(message=_l("Select the council that sends your council tax bill"))],
        widget=GovRadioInput(),
    )
    reference = StringField(
        _l("Council tax account reference"),
        description=_l("This is on your council tax bill, for example 12345678"),
        validators=[
            InputRequired(message=_l("Enter your council tax account reference")),
            Length(max=20, message=_l("Account reference must be 20 characters or fewer")),
            Regexp(
                r"^\s*[A-Za-z0-9-]+\s*$",
                message=_l("Account reference must only include letters, numbers and hyphens"),
            ),
        ],
        widget=GovTextInput(),
    )
    postcode = StringField(
        _l("Postcode of the property"),
        validators=[InputRequired(message=_l("Enter the postcode of the property"))],
        widget=GovTextInput(),
    )
    surname = StringField(
        _l("Surname of the person named on the bill"),
        validators=[
            InputRequired(message=_l("Enter the surname of the person named on the bill")),
            Length(max=100, message=_l("Surname must be 100 characters or fewer")),
        ],
        widget=GovTextInput(),
    )
    submit = SubmitField(_l("Link account"), widget=GovSubmitInput())

    def validate_postcode(self, field):
        if not UK_POSTCODE.match(normalise_postcode(field.data)):
            raise ValidationError(_("Enter a real postcode, like NR2 2PE"))


class ConfirmForm(PortalForm):
    """A form with nothing to fill in: its CSRF token is what matters."""


def home_address_text(uprn: str | None) -> str | None:
    """The resident's home address as one line; None when there is none or the lookup cannot say."""
    if not uprn:
        return None
    try:
        return address_lookup.address_for_uprn(uprn).single_line
    except address_problems.AddressProblem:
        return None


def _district_choices() -> list[SelectChoice]:
    return [SelectChoice(theme.slug, theme.name) for theme in themes() if theme.tier == "district"]


@bp.get("")
@login_required
def show():
    councils = {theme.gss_code: theme.name for theme in themes()}
    linked_rows = [
        {
            "key": {"text": _("Council tax") if account.service == COUNCIL_TAX else account.service},
            "value": {
                "text": _(
                    "%(council)s, account %(reference)s",
                    council=councils.get(account.council_gss, account.council_gss),
                    reference=account.account_reference,
                )
            },
        }
        for account in current_user.linked_accounts
    ]
    return render_template(
        "account/show.html",
        resident=current_user,
        assurance=assurance_of_current_resident(),
        home_address=home_address_text(current_user.home_uprn),
        linked_rows=linked_rows,
        confirm_form=ConfirmForm(),
    )


@bp.route("/contact-preferences", methods=["GET", "POST"])
@login_required
def contact_preferences():
    form = ContactPreferencesForm()
    if request.method == "GET":
        form.contact_by_email.data = "yes" if current_user.contact_by_email else "no"
    if form.validate_on_submit():
        current_user.contact_by_email = form.contact_by_email.data == "yes"
        db.session.commit()
        flash(_("Your contact preferences have been saved."), NOTICE_CATEGORY)
        return redirect(url_for("account.show"))
    return render_template("account/contact_preferences.html", form=form, errors=wtforms_errors(form))


@bp.route("/council-tax/link", methods=["GET", "POST"])
@login_required
def link_council_tax():
    form = LinkCouncilTaxForm()
    form.council.choices = _district_choices()
    if request.method == "GET" and form.council.data is None:
        theme = g.get("theme")
        if theme is not None and theme.tier == "district":
            form.council.data = theme.slug
    return_to = safe_return_path(request.args.get("next"))
    home = home_address_text(current_user.home_uprn)

    def page(status: int = 200):
        return (
            render_template(
                "account/link_council_tax.html",
                form=form,
                errors=wtforms_errors(form),
                return_to=return_to,
                home_address=home,
            ),
            status,
        )

    if not form.validate_on_submit():
        return page()
    if not current_user.home_uprn:
        form.reference.errors = [
            _(
                "Add your home address before you link a council tax account: "
                "you can only link the one for your home"
            )
        ]
        return page()
    claim = council_tax_links.Claim(
        council_slug=form.council.data,
        reference=form.reference.data.strip().upper(),
        postcode=normalise_postcode(form.postcode.data),
        surname=form.surname.data.strip(),
    )
    until = council_tax_links.locked_until(current_user, claim)
    if until is not None:
        form.reference.errors = [
            _(
                "You have entered details that do not match too many times. You can try again after "
                "%(time)s, or contact your council",
                time=rate_limits.when(until),
            )
        ]
        return page(429)
    try:
        match = council_tax_links.verify(claim)
    except council_tax_links.CheckUnavailable:
        form.reference.errors = [_("We cannot check council tax accounts at the moment. Try again later.")]
        return page()
    at_home = match is not None and match.uprn == current_user.home_uprn
    record_security_event(
        "council_tax_link_checked",
        actor=resident_actor(current_user.id),
        matched=match is not None,
        at_home=at_home,
        linked_council=claim.council_slug,
    )
    if match is None or not at_home:
        council_tax_links.count_wrong_answer(current_user, claim)
    if match is None:
        form.reference.errors = [
            _(
                "The account reference, postcode and surname do not match a council tax account. "
                "Check your bill and try again."
            )
        ]
        return page()
    if not at_home:
        form.reference.errors = [
            _(
                "This council tax account is not for your home address (%(address)s). You can only link "
                "the council tax account for the home address on your account",
                address=home or current_user.home_uprn,
            )
        ]
        return page()
    council_tax_links.link(current_user, claim, match)
    db.session.commit()
    council = themes().get(claim.council_slug)
    flash(
        _(
            "Your council tax account is linked. %(council)s will tell the account holder that it was "
            "linked to a My Norfolk account.",
            council=council.name,
        ),
        NOTICE_CATEGORY,
    )
    return redirect(return_to or url_for("account.show"))


@bp.route("/council-tax/unlink/<token>", methods=["GET", "POST"])
def unlink_council_tax(token: str):
    """The undo link in the council's notice to the account holder: it works without signing in (the
    holder may have no portal account). A GET only shows the button."""
    try:
        linked = council_tax_links.link_for(token)
    except council_tax_links.UnknownUnlinkToken:
        abort(404)
    form = ConfirmForm()
    if linked is None:
        return render_template("account/unlinked_council_tax.html", already=True)
    if form.validate_on_submit():
        record_security_event(
            "council_tax_link_removed_by_account_holder",
            actor=resident_actor(linked.resident_id),
            linked_council=next(
                (theme.slug for theme in themes() if theme.gss_code == linked.council_gss), linked.council_gss
            ),
        )
        db.session.delete(linked)
        db.session.commit()
        return render_template("account/unlinked_council_tax.html", already=False)
    return render_template(
        "account/unlink_council_tax.html", form=form, token=token, reference_end=linked.account_reference[-4:]
    )


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("account.show"))
    id_token_hint = session.get(ID_TOKEN_KEY)
    resident_id = current_user.id
    ended = end_sessions_of_resident(resident_id)
    record_security_event("signed_out_everywhere", actor=resident_actor(resident_id), sessions_ended=ended)
    session.clear()
    session.rotate()
    flash(_("You have signed out on every device."), NOTICE_CATEGORY)
    start_page = url_for("main.start", _external=True)
    return redirect(
        relying_party.end_session_url(id_token_hint=id_token_hint, post_logout_redirect_uri=start_page)
        or start_page
    )


def personal_data(resident: Resident) -> dict:
    councils = {theme.gss_code: theme.name for theme in themes()}
    data = {
        "exported_at": datetime.now(UTC).isoformat(),
        "about": _("Everything the My Norfolk portal holds about you."),
        "identity": {"issuer": resident.issuer, "subject": resident.subject},
        "profile": {"name": resident.name, "email": resident.email},
        "home_uprn": resident.home_uprn,
        "contact_preferences": {"contact_by_email": resident.contact_by_email},
        "linked_council_accounts": [
            {
                "service": account.service,
                "council": councils.get(account.council_gss, account.council_gss),
                "account_reference": account.account_reference,
                "linked_at": account.linked_at.isoformat() if account.linked_at else None,
            }
            for account in resident.linked_accounts
        ],
        "account_created_at": resident.created_at.isoformat() if resident.created_at else None,
        "last_signed_in_at": resident.last_signed_in_at.isoformat() if resident.last_signed_in_at else None,
    }
    for source in personal_data_sources:
        data[source.name] = source.export(resident)
    return data


@bp.get("/your-data.json")
@login_required
def download_data():
    record_security_event("personal_data_downloaded", actor=resident_actor(current_user.id))
    body = json.dumps(personal_data(current_user), indent=2, ensure_ascii=False, default=str)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-norfolk-data.json"'},
    )


@bp.get("/delete")
@login_required
def confirm_delete():
    return render_template("account/delete.html", form=ConfirmForm())


@bp.post("/delete")
@login_required
def delete_data():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("account.confirm_delete"))
    resident = db.session.get(Resident, current_user.id)
    resident_id = resident.id
    id_token_hint = session.get(ID_TOKEN_KEY)
    for source in personal_data_sources:
        source.delete(resident)
    db.session.delete(resident)  # and, by cascade, the council accounts linked to it
    db.session.commit()
    end_sessions_of_resident(resident_id)
    record_security_event("resident_data_deleted", actor=erased_actor(resident_id))
    session.clear()
    session.rotate()
    flash(_("Your portal data has been deleted and you have been signed out."), NOTICE_CATEGORY)
    start_page = url_for("main.start", _external=True)
    return redirect(
        relying_party.end_session_url(id_token_hint=id_token_hint, post_logout_redirect_uri=start_page)
        or start_page
    )
