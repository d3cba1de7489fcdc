"""Council tax in full: every instalment and bill from the district's system, "pay now" and the council's
own pages for Direct Debit, discounts and moving home, for a resident who linked their account."""

import pytest

from sandbox.demo_residents import DEMO_RESIDENTS
from tests.integration.test_dashboard import tile

pytestmark = pytest.mark.database_independent

PRIYA, TOM, MARGARET, DAVID = DEMO_RESIDENTS


def test_instalments_bills_and_the_councils_links(
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
):
    host = "great-yarmouth.localhost"
    sign_in(MARGARET, host=host, council_tax=True)
    dashboard = client_request.get("/dashboard?javascript=off", host=host)
    assert tile(dashboard, "council_tax").select_one("a[href='/council-tax']")

    page = client_request.get("/council-tax", host=host)
    main = page.select_one("main")
    assert "Account 45023456" in main.get_text()
    assert "is overdue" in main.get_text()  # two instalments behind
    instalments, bills = main.select("table")
    rows = instalments.select("tbody tr")
    assert len(rows) >= 10, "a year's instalments"
    assert sum("Overdue" in row.get_text() for row in rows) == 2
    assert all("£" in row.select("td")[1].get_text() for row in rows)
    assert bills.select("tbody tr") and "/" in bills.select_one("tbody td").get_text()

    pay = main.select_one("a.govuk-button")
    assert pay.get_text(" ", strip=True).startswith("Pay now")
    assert pay["href"] == "https://www.great-yarmouth.gov.uk/council-tax/pay"
    related = {link.get_text(strip=True): link["href"] for link in main.select("aside a")}
    assert related["Pay by Direct Debit"] == "https://www.great-yarmouth.gov.uk/council-tax/direct-debit"
    assert related["Discounts and exemptions"].endswith("/council-tax/discounts-and-exemptions")
    assert related["Tell us you are moving home"].endswith("/council-tax/moving-home")


def test_without_a_linked_account_the_resident_is_asked_to_link_it(
    client,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
):
    sign_in(TOM, host="norwich.localhost")
    response = client.get("/council-tax", headers={"Host": "norwich.localhost"})
    assert response.status_code == 302
    assert response.location.startswith("/account/council-tax/link?next=")


def test_a_council_tax_system_that_is_down_is_explained(
    client,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
    sandbox,
):
    sign_in(TOM, host="norwich.localhost", council_tax=True)
    sandbox.inject("council_tax", "down")
    response = client.get("/council-tax", headers={"Host": "norwich.localhost"})
    assert response.status_code == 503
    assert "01632 960166" in response.get_data(as_text=True)
