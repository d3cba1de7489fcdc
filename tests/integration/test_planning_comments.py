"""Commenting on a planning application near home: the council's rules first, a GOV.UK form, and the comment
in the district's planning system (the sandbox's planning back office) with its reference."""

import pytest
import requests

from sandbox.demo_residents import DEMO_RESIDENTS
from tests.integration.test_dashboard import tile
from tests.support.sandbox import API_KEY

pytestmark = pytest.mark.database_independent

PRIYA, TOM, MARGARET, DAVID = DEMO_RESIDENTS
HOST = "norwich.localhost"
NEIGHBOURS = "26/01187/HH"
COMMENT_PAGE = "/planning/26/01187/HH/comment"


def received(sandbox, council: str, reference: str) -> list[dict]:
    answer = requests.get(
        f"{sandbox.url}/planning/{council}/applications/{reference.replace('/', '%2F')}/received-comments",
        headers={"X-API-Key": API_KEY},
        timeout=5,
    )
    answer.raise_for_status()
    return answer.json()["comments"]


def test_tom_comments_on_his_neighbours_application_and_the_council_receives_it(
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
    sandbox,
):
    sign_in(TOM, host=HOST)
    before = received(sandbox, "norwich", NEIGHBOURS)
    dashboard = client_request.get("/dashboard?javascript=off", host=HOST)
    link = tile(dashboard, "planning").find("a", string=lambda text: text and text.startswith("Comment on"))
    assert link["href"] == COMMENT_PAGE

    page = client_request.get(COMMENT_PAGE, host=HOST)
    text = page.select_one("main").get_text(" ", strip=True)
    rules = text.index("publishes every comment on a planning application on its website")
    assert rules < text.index("What do you think of the application?"), "the rules come first"
    assert {radio["value"] for radio in page.select("input[name=stance]")} == {"object", "support", "neutral"}
    assert page.select_one("input[name=name]")["value"] == TOM.name

    sent = client_request.post_form(
        COMMENT_PAGE,
        {"stance": "object", "text": "The new wall would shade our vegetable beds.", "name": "Tom Blake"},
        host=HOST,
    )
    confirmation = client_request.get(sent.location, host=HOST)

    after = received(sandbox, "norwich", NEIGHBOURS)
    assert after[: len(before)] == before and len(after) == len(before) + 1
    comment = after[-1]
    assert (comment["name"], comment["stance"], comment["text"]) == (
        "Tom Blake",
        "object",
        "The new wall would shade our vegetable beds.",
    )
    assert comment["address"].startswith("41 Unthank Road")
    panel = confirmation.select_one(".govuk-panel").get_text(" ", strip=True)
    assert "Comment sent" in panel and comment["comment_reference"] in panel


def test_mistakes_are_explained_and_nothing_typed_is_lost(
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
    sandbox,
):
    sign_in(TOM, host=HOST)
    before = received(sandbox, "norwich", NEIGHBOURS)

    page = client_request.post_form(
        COMMENT_PAGE, {"text": "Too tall.", "name": ""}, host=HOST, expected_status=200
    )

    summary = page.select_one(".govuk-error-summary").get_text(" ", strip=True)
    assert "Select whether you object, support or are neutral" in summary and "Enter your name" in summary
    assert page.select_one("textarea[name=text]").get_text() == "Too tall."
    assert page.title.get_text().startswith("Error:")
    assert received(sandbox, "norwich", NEIGHBOURS) == before


def test_comments_are_not_offered_once_they_are_closed(
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
    sandbox,
):
    sign_in(MARGARET, host="great-yarmouth.localhost")
    page = client_request.get("/planning/06/26/0412/F/comment", host="great-yarmouth.localhost")

    assert page.select_one("h1").get_text(strip=True) == "Comments on this application are closed"
    assert not page.select("form textarea")
