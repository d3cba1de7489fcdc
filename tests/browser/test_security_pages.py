"""The pages that refuse hostile requests, in Chromium: a form posted from another site is refused with a
page that says why (the browser itself sends Sec-Fetch-Site), and a web address with a NUL character gets
its own page; both pass axe and reflow at 320px."""

import pytest

from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import new_shared_context, reused_page
from tests.browser.test_accessibility import _assert_fits_horizontally

SLUG = "south-norfolk"


@pytest.fixture(scope="module")
def axe_page(browser, browser_context_args):
    context = new_shared_context(browser, browser_context_args, axe=True)
    with reused_page(context) as page:
        yield page
    context.close()


def test_a_form_posted_from_another_site_is_refused_clearly(axe_page, council_url):
    page = axe_page()
    target = council_url(SLUG, "/find-your-council/")
    page.set_content(
        f'<form method="post" action="{target}"><input name="postcode" value="NR1 1GS">'
        '<button type="submit">Send</button></form>'
    )
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Send").click()
    assert navigation.value.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Sorry, we could not accept a form sent from another website"
    )
    assert_no_axe_violations(page)
    page.set_viewport_size({"width": 320, "height": 640})
    _assert_fits_horizontally(page, target)


def test_a_web_address_with_a_nul_character_gets_its_own_page(axe_page, council_url):
    page = axe_page()
    url = council_url(SLUG, "/find-your-council/?postcode=NR1%00")
    response = page.goto(url)
    assert response.status == 400
    assert "hidden character" in page.get_by_role("main").inner_text()
    assert_no_axe_violations(page)
    page.set_viewport_size({"width": 320, "height": 640})
    _assert_fits_horizontally(page, url)
