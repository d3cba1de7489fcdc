"""The two-page address chooser every feature embeds (GOV.UK "find an address" pattern, works without
JavaScript): a postcode page, then a page to choose one address at that postcode.

In a view:

    form = PostcodeForm()
    if form.validate_on_submit():                     # checks the postcode and that it has Norfolk addresses
        return redirect(url_for(".choose", postcode=form.postcode_found))
    ...
    found = addresses_or_problem(request.args.get("postcode"))   # (addresses, None) or ([], message)
    form = ChooseAddressForm.for_addresses(found)
    if form.validate_on_submit():
        address = form.chosen_address()               # an Address; store address.uprn

In a template, inside a page that renders the error summary:

    {% from "addresses/_postcode_question.html" import postcode_question %}
    {{ postcode_question(form, action=url_for(".postcode"), heading=_("What is your postcode?")) }}
    {% from "addresses/_choose_address_question.html" import choose_address_question %}
    {{ choose_address_question(form, action=..., postcode=postcode, change_url=...) }}

app/views/addresses.py ("Find your council") is the worked example.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import ValidationError

from app import address_lookup, address_problems
from app.forms import PortalForm
from connectors.models import Address


class PostcodeForm(PortalForm):
    postcode = StringField(_l("Postcode"), widget=GovTextInput())
    submit = SubmitField(_l("Find address"), widget=GovSubmitInput())

    postcode_found: str | None = None

    def validate_postcode(self, field) -> None:
        try:
            found = address_lookup.addresses_for_postcode(field.data or "")
        except address_problems.AddressProblem as problem:
            raise ValidationError(problem.message) from None
        self.postcode_found = found[0].postcode


def addresses_or_problem(postcode: str | None) -> tuple[list[Address], str | None]:
    """The addresses at a postcode carried in a URL, or the message explaining why there are none."""
    try:
        return address_lookup.addresses_for_postcode(postcode or ""), None
    except address_problems.AddressProblem as problem:
        return [], problem.message


class ChooseAddressForm(PortalForm):
    uprn = SelectField(
        _l("Select an address"),
        widget=GovSelect(),
        choices=[],
        validate_choice=False,  # checked below, with a message a person understands
    )
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())

    found: list[Address] = []

    @classmethod
    def for_addresses(cls, found: list[Address], **kwargs) -> ChooseAddressForm:
        form = cls(**kwargs)
        form.found = found
        count = ngettext("%(num)d address found", "%(num)d addresses found", len(found))
        form.uprn.choices = [SelectChoice("", count)] + [
            SelectChoice(address.uprn, ", ".join(address.lines)) for address in found
        ]
        return form

    def validate_uprn(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Select your address"))
        if field.data not in {address.uprn for address in self.found}:
            raise ValidationError(_l("Select an address from the list"))

    def chosen_address(self) -> Address:
        return next(address for address in self.found if address.uprn == self.uprn.data)
