"""Your council: a signed-in resident on another council's domain is told which district they live in, with a
link to the same page on that council's domain; on their own district's domain nothing is said."""

from sandbox.demo_residents import DEMO_RESIDENTS

TOM = DEMO_RESIDENTS[1]  # lives in Norwich


def banner(page):
    return page.select_one(".portal-your-council")


def test_on_another_councils_domain_the_resident_is_sent_to_their_own(
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
):
    sign_in(TOM, host="south-norfolk.localhost")
    page = client_request.get("/bin-days/?postcode=NR2+2PE", host="south-norfolk.localhost")
    assert "You live in Norwich City Council's area." in banner(page).get_text(" ", strip=True)
    link = banner(page).select_one("a")
    assert link["href"] == "http://norwich.localhost/bin-days/?postcode=NR2+2PE"
    assert "Go to this page on Norwich's site" in link.get_text()
    assert banner(client_request.get("/account", host="south-norfolk.localhost")).select_one(
        "a[href='http://norwich.localhost/account']"
    )

    sign_in(TOM, host="norfolk.localhost")  # the county's domain is not his district's either
    assert banner(client_request.get("/", host="norfolk.localhost")) is not None

    sign_in(TOM, host="norwich.localhost")
    assert banner(client_request.get("/account", host="norwich.localhost")) is None


def test_nothing_is_said_to_a_guest_or_a_resident_without_a_home(
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
):
    assert banner(client_request.get("/", host="south-norfolk.localhost")) is None
    sign_in(TOM, host="south-norfolk.localhost", home=False)
    assert banner(client_request.get("/account", host="south-norfolk.localhost")) is None
