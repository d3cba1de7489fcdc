"""The planning contract suite (docs/api/planning.yaml), against the sandbox and recorded answers."""

import pytest
import requests

from connectors.council_rest import segment
from connectors.errors import NotFound
from connectors.models import (
    CommentsClosed,
    NewPlanningComment,
    PlanningApplication,
    PlanningComment,
    ServiceKind,
)
from sandbox import places
from tests.contract.conftest import resident_named
from tests.contract.recorder import CONTRACT_DAY
from tests.support.sandbox import API_KEY

NEIGHBOURS_APPLICATION = "26/01187/HH"
CLOSED_APPLICATION = "06/26/0412/F"  # Margaret's neighbour: the consultation ended before CONTRACT_DAY


def test_applications_near_toms_home_nearest_first_with_his_neighbours(source_registry):
    latitude, longitude = places.location_of(resident_named("Tom").uprn)
    result = source_registry.planning("norwich").applications_near(latitude, longitude, 500)

    assert (result.council, result.kind, result.stale) == ("norwich", ServiceKind.PLANNING, False)
    assert all(isinstance(application, PlanningApplication) for application in result.value)
    distances = [application.distance_m for application in result.value]
    assert distances == sorted(distances) and all(0 <= distance <= 500 for distance in distances)
    neighbour = next(a for a in result.value if a.reference == NEIGHBOURS_APPLICATION)
    assert "rear extension" in neighbour.description
    assert neighbour.open_for_comment(CONTRACT_DAY) and neighbour.comment_url.startswith("https://")
    assert neighbour.distance_m < 50


def test_one_application_in_full_and_its_comments(source_registry):
    planning = source_registry.planning("norwich")

    application = planning.application(NEIGHBOURS_APPLICATION).value
    comments = planning.comments(NEIGHBOURS_APPLICATION).value

    assert application.reference == NEIGHBOURS_APPLICATION and application.decision is None
    assert application.address.startswith("43 Unthank Road")
    assert all(isinstance(comment, PlanningComment) for comment in comments)
    assert [comment.stance for comment in comments] == ["object", "support"], "oldest first"
    assert {comment.application_reference for comment in comments} == {NEIGHBOURS_APPLICATION}


def test_an_unknown_reference_is_not_found_with_a_clear_message(source_registry):
    with pytest.raises(NotFound) as raised:
        source_registry.planning("norwich").application("26/99999/HH")
    assert raised.value.message == "The council has no planning application with this reference"


def test_a_back_office_that_leaves_optional_fields_out(recorded_registry):
    (application,) = recorded_registry.planning("breckland").applications_near(52.648, 0.687).value

    assert application.reference == "3PL/2026/0001/F"
    assert (application.latitude, application.comment_url, application.comments_until) == (None, None, None)
    assert not application.open_for_comment(CONTRACT_DAY)


def _received(sandbox, council: str, reference: str) -> list[dict]:
    answer = requests.get(
        f"{sandbox.url}/planning/{council}/applications/{segment(reference)}/received-comments",
        headers={"X-API-Key": API_KEY},
        timeout=5,
    )
    answer.raise_for_status()
    return answer.json()["comments"]


def test_a_comment_is_received_with_a_reference_while_comments_are_open(contract_sandbox, contract_registry):
    before = _received(contract_sandbox, "norwich", NEIGHBOURS_APPLICATION)
    comment = NewPlanningComment(
        name="Tom Baker",
        address="41 Unthank Road, Norwich, NR2 2PE",
        stance="neutral",
        text="Please keep the wall at its present height.",
    )

    comment_reference = contract_registry.planning("norwich").comment(NEIGHBOURS_APPLICATION, comment)

    received = _received(contract_sandbox, "norwich", NEIGHBOURS_APPLICATION)
    assert received[: len(before)] == before and len(received) == len(before) + 1
    assert received[-1]["comment_reference"] == comment_reference
    assert (received[-1]["name"], received[-1]["stance"], received[-1]["text"]) == (
        "Tom Baker",
        "neutral",
        "Please keep the wall at its present height.",
    )


def test_a_comment_after_the_consultation_is_refused_as_closed(contract_sandbox, contract_registry):
    comment = NewPlanningComment(name="Margaret", address="Great Yarmouth", stance="support", text="Yes.")

    with pytest.raises(CommentsClosed):
        contract_registry.planning("great-yarmouth").comment(CLOSED_APPLICATION, comment)
    assert _received(contract_sandbox, "great-yarmouth", CLOSED_APPLICATION) == []


def test_a_comment_without_text_is_refused_as_an_invalid_parameter(contract_sandbox):
    answer = requests.post(
        f"{contract_sandbox.url}/planning/norwich/applications/{segment(NEIGHBOURS_APPLICATION)}/comments",
        json={"name": "Tom", "address": "Norwich", "stance": "object", "text": " "},
        headers={"X-API-Key": API_KEY},
        timeout=5,
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_parameter"
