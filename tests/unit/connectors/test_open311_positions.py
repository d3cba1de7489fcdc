"""Where a back office says its requests are (GeoReport v2 `lat` and `long`), as connectors/open311.py reads
them from GET requests in JSON and XML: a position is a pair of numbers in WGS84's range, or no position at
all; a broken position never loses the request, and never puts it on a map somewhere wrong."""

from __future__ import annotations

import json

import pytest
import requests

from connectors.open311 import Open311Client


def answer(body: str, content_type: str) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.headers["Content-Type"] = content_type
    response._content = body.encode()
    return response


def parsed(fmt: str, lat, long) -> tuple[float | None, float | None]:
    """The position of one open pothole request whose `lat` and `long` are these (None: absent)."""
    record = {"service_request_id": "NCC-1", "status": "open", "service_code": "pothole"}
    if fmt == "json":
        record |= {key: value for key, value in (("lat", lat), ("long", long)) if value is not None}
        response = answer(json.dumps([record]), "application/json")
    else:
        fields = "".join(
            f"<{key}>{value}</{key}>"
            for key, value in {**record, "lat": lat, "long": long}.items()
            if value is not None
        )
        response = answer(f"<service_requests><request>{fields}</request></service_requests>", "text/xml")
    client = Open311Client(http=None, jurisdiction_id=None, api_key=None, fmt=fmt)
    [request] = client._parse_requests(response)
    assert (request.service_request_id, request.status) == ("NCC-1", "open"), "the request itself is kept"
    return request.latitude, request.longitude


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("lat", "long", "position"),
    [
        ("52.62711", "1.27833", (52.62711, 1.27833)),
        (" 52.5 ", "-0.25", (52.5, -0.25)),
        (None, None, (None, None)),
        ("", "", (None, None)),
        ("52.62711", None, (None, None)),  # half a position says nothing
        (None, "1.27833", (None, None)),
        ("north", "1.27833", (None, None)),
        ("52,627", "1,278", (None, None)),  # a decimal comma is not GeoReport's number
        ("95", "1.2", (None, None)),  # beyond the poles
        ("52.6", "181", (None, None)),
        ("nan", "1.2", (None, None)),
        ("52.6", "inf", (None, None)),
    ],
)
def test_a_position_is_a_pair_of_numbers_in_range_or_none(fmt, lat, long, position):
    assert parsed(fmt, lat, long) == position


def test_json_numbers_and_nulls_are_read_and_objects_are_not_a_position():
    assert parsed("json", 52.62711, 1.27833) == (52.62711, 1.27833)
    assert parsed("json", 52.6, {"value": 1.2}) == (None, None)
    assert parsed("json", [52.6], 1.2) == (None, None)
    assert parsed("json", True, 1.2) == (None, None)
