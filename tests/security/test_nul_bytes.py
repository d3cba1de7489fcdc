"""Issue 11, item 9: a NUL character is refused in every text field by the forms themselves (app.forms), with
an error on the field and the rest of the answer kept; and in a web address, before any view sees it."""

from bs4 import BeautifulSoup

HOST = "norwich.localhost"


def test_a_nul_in_a_text_field_is_refused_on_that_field_and_the_answer_kept(client_request):
    page = client_request.post_form(
        "/find-your-council/", {"postcode": "NR1\x00 1GS"}, host=HOST, expected_status=200
    )
    error = page.select_one(".govuk-error-message").get_text()
    assert "contained a hidden character we cannot accept" in error
    assert page.select_one(".govuk-error-summary"), "the error summary lists it too"
    assert page.select_one("input[name=postcode]")["value"] == "NR1 1GS"


def test_a_nul_in_a_web_address_is_refused_clearly(client):
    response = client.get("/find-your-council/?postcode=NR1%00", headers={"Host": HOST})
    assert response.status_code == 400
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert "hidden character we cannot accept" in page.get_text()
    assert client.get("/report/photos/ab%00cd", headers={"Host": HOST}).status_code == 404
