"""client_request's own checks: pages by endpoint name, signing in without the provider, and pages whose HTML
does not parse as written or repeats an id fail."""

import pytest
from flask import Response

from app.extensions import db
from app.models.identity import Resident
from tests.conftest import ClientRequest

PAGE = """<!DOCTYPE html><html lang="en"><head><title>Page – Norwich City Council</title></head>
<body><main id="main-content"><h1>Page</h1>{}</main></body></html>"""


def html_response(body: str) -> Response:
    return Response(PAGE.format(body), mimetype="text/html")


def test_a_page_by_its_endpoint_name(client_request):
    page = client_request.get("main.accessibility")
    assert page.h1.get_text(strip=True)


def test_a_signed_in_resident_without_the_provider(app, client_request):
    with app.app_context():
        resident = Resident(issuer="https://idp.test", subject="s-1", name="Ada", email="ada@example.com")
        db.session.add(resident)
        db.session.commit()
        resident_id = resident.id
    client_request.get("account.show", expected_status=302)
    client_request.sign_in(resident_id)
    assert "ada@example.com" in client_request.get("account.show").get_text()


@pytest.mark.parametrize(
    "body, problem",
    [
        ("<div><p>unclosed</div>", "</div> on line 2, where </p>"),
        ("<div>not closed", r"</main> on line 2, where </div> \(opened on line 2\) was due"),
        ("<br></br>", "</br> on line 2 closes an element that has no end tag"),
    ],
)
def test_a_page_whose_html_does_not_parse_fails(body, problem):
    with pytest.raises(AssertionError, match=problem):
        ClientRequest.check_page(html_response(body))


def test_a_page_with_an_id_twice_fails():
    with pytest.raises(AssertionError, match=r"ids used more than once: \['twice'\]"):
        ClientRequest.check_page(html_response('<p id="twice">a</p><p id="twice">b</p>'))


def test_a_page_that_parses_with_unique_ids_passes():
    page = ClientRequest.check_page(html_response('<p id="one">a<br>b</p><img src="/x.png" alt="">'))
    assert page.select_one("#one")
