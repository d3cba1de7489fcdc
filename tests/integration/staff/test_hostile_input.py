"""Hostile input on the staff pages, as tests/security/test_hostile_input.py sends the residents' pages:
never a server error, and a NUL character refused on its field."""

import pytest

from tests.integration.staff.conftest import SUPERVISOR, open_record

HOSTILE = [
    "Bla\x00ke",
    "line\r\nSet-Cookie: planted=1",
    "<script>alert(1)</script>",
    "' OR '1'='1'; DROP TABLE residents; --",
    "%",
    "_",
    "\u202egnp.exe\u200b",
    "x" * 20_000,
]


@pytest.fixture
def supervisor(staff):
    browser = staff(SUPERVISOR)
    browser.submit("/staff/working-for", {"council": "norwich"})
    return browser


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_searches_and_filters_never_cause_a_server_error(supervisor, tom, value):
    for path, name in (("/staff/search", "q"), ("/staff/audit", "staff"), ("/staff/audit", "resident")):
        response = supervisor.get(path, query_string={name: value, "page": "-1"})
        assert response.status_code < 500, (path, name, response.status_code)
    response = supervisor.get("/staff/search", query_string={"q": "Bla\x00ke"})
    assert response.status_code == 400
    assert "hidden character" in response.get_data(as_text=True)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_form_answers_never_cause_a_server_error(supervisor, tom, value):
    open_record(supervisor, tom.resident_id)
    token = supervisor.csrf_token()
    for path, data in (
        (f"/staff/residents/{tom.resident_id}/reason", {"reason": value, "detail": value}),
        (f"/staff/residents/{tom.resident_id}/notes", {"channel": value, "summary": value}),
        ("/staff/report", {"report_type": value, "channel": value}),
        ("/staff/working-for", {"council": value}),
    ):
        response = supervisor.post(path, {"csrf_token": token, **data})
        assert response.status_code < 500, (path, response.status_code)


@pytest.mark.parametrize(
    "path",
    [
        "/staff/residents/" + "9" * 400,
        "/staff/residents/" + "9" * 400 + "/reason",
        "/staff/residents/1/cases/%00/comment",
        "/staff/report?resident=" + "9" * 400,
        "/staff/report?resident=%00",
        "/staff/report/%00/postcode",
        "/staff/search?q=NR2+2PE&page=" + "9" * 400,
        "/staff/audit?page=" + "9" * 400,
    ],
)
def test_hostile_paths_never_cause_a_server_error(supervisor, tom, path):
    assert supervisor.get(path).status_code < 500
    token = supervisor.csrf_token()
    huge = "/staff/deliveries/" + "9" * 400 + "/retry"
    assert supervisor.post(huge, {"csrf_token": token}).status_code == 404
