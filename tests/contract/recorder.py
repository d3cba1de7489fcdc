"""Recorded back-office answers for the contract suites, and the loopback server that replays them.

Each file in recordings/ is one exchange: {"request": {"method", "path", "query", "json"}, "response":
{"status", "content_type", "body"}}. Files named ``sandbox-*.json`` are recorded from the sandbox on
CONTRACT_DAY by running ``.venv/bin/python -m tests.contract.recorder``; the others are written by hand to
stand for back offices that answer differently within the contract (every optional field absent, a 403).
"""

from __future__ import annotations

import json
import re
import tempfile
from datetime import date
from pathlib import Path
from urllib.parse import quote

from flask import Flask, Response, request

from sandbox.demo_residents import DEMO_RESIDENTS

RECORDINGS = Path(__file__).resolve().parent / "recordings"
CONTRACT_DAY = date(2026, 11, 21)
API_KEY_HEADER = "X-API-Key"


def _resident(given_name: str):
    return next(resident for resident in DEMO_RESIDENTS if resident.given_name == given_name)


def exchanges_to_record() -> list[tuple[str, str, str, dict, dict | None]]:
    """(name, method, path, query, json body) for every answer the suites replay."""
    exchanges = []
    for resident, council in (
        (_resident("Priya"), "south-norfolk"),
        (_resident("Tom"), "norwich"),
        (_resident("Margaret"), "great-yarmouth"),
        (_resident("David"), "north-norfolk"),
    ):
        slug = resident.given_name.lower()
        reference = resident.council_tax_reference
        exchanges += [
            (f"bins-{slug}", "GET", f"/bins/{council}/properties/{resident.uprn}/collections", {}, None),
            (f"council-tax-{slug}", "GET", f"/council-tax/{council}/accounts/{reference}", {}, None),
            (
                f"council-tax-bills-{slug}",
                "GET",
                f"/council-tax/{council}/accounts/{reference}/bills",
                {},
                None,
            ),
            (
                f"council-tax-verify-{slug}",
                "POST",
                f"/council-tax/{council}/accounts/verify",
                {},
                {"reference": reference, "postcode": resident.postcode, "surname": resident.family_name},
            ),
            (
                f"council-tax-verify-{slug}-wrong-surname",
                "POST",
                f"/council-tax/{council}/accounts/verify",
                {},
                {"reference": reference, "postcode": resident.postcode, "surname": "Smith"},
            ),
            (
                f"cases-{slug}-{council}",
                "POST",
                f"/cases/{council}/cases/search",
                {},
                {"email": resident.email},
            ),
            (f"cases-{slug}-norfolk", "POST", "/cases/norfolk/cases/search", {}, {"email": resident.email}),
        ]
    exchanges += [
        (
            "bins-unknown-uprn",
            "GET",
            "/bins/south-norfolk/properties/999999999999/collections",
            {},
            None,
        ),
        ("council-tax-unknown", "GET", "/council-tax/norwich/accounts/99999999", {}, None),
        (
            "planning-unknown",
            "GET",
            f"/planning/norwich/applications/{quote('26/99999/HH', safe='')}",
            {},
            None,
        ),
        (
            "cases-unknown",
            "POST",
            "/cases/norfolk/cases/NCC-XX-0000/lookup",
            {},
            {"email": "tom.blake@example.com"},
        ),
        (
            "cases-someone-elses",
            "POST",
            "/cases/norfolk/cases/NCC-CT-2026-110001/lookup",
            {},
            {"email": "tom.blake@example.com"},
        ),
        (
            "cases-tom-pothole",
            "POST",
            "/cases/norfolk/cases/NCC-HW-2026-114502/lookup",
            {},
            {"email": "tom.blake@example.com"},
        ),
        (
            "cases-changes-norfolk",
            "GET",
            "/cases/norfolk/cases/changes",
            {"since": "2026-11-19T12:00:00Z", "limit": "500"},
            None,
        ),
    ]
    # The county's changes since the start of the month, all at once and one by one.
    for since, limit in (
        ("2026-11-01T00:00:00Z", "500"),
        ("2026-11-01T00:00:00Z", "1"),
        ("2026-11-20T06:00:00Z", "1"),
        ("2026-11-20T16:00:00Z", "1"),
    ):
        name = f"cases-changes-norfolk-{since[:13].replace('T', '-')}-limit-{limit}"
        exchanges.append(
            (name, "GET", "/cases/norfolk/cases/changes", {"since": since, "limit": limit}, None)
        )
    tom = _resident("Tom").email
    exchanges += [
        ("cases-tom-graffiti", "POST", "/cases/norwich/cases/NCC-GR-2026-03317/lookup", {}, {"email": tom}),
        ("cases-contact-tom-pothole", "POST", "/cases/norfolk/cases/NCC-HW-2026-114502/contact", {}, None),
        ("cases-contact-unknown", "POST", "/cases/norfolk/cases/NCC-XX-0000/contact", {}, None),
    ]
    # Last, as they change the cases: what residents add to them.
    for name, council, reference, email, kind, update_id in CASE_UPDATES:
        exchanges.append(
            (
                name,
                "POST",
                f"/cases/{council}/cases/{reference}/updates",
                {},
                {"email": email, "kind": kind, "text": UPDATE_TEXT, "update_id": update_id},
            )
        )
    return exchanges


UPDATE_TEXT = "The problem is back, worse than before."
# (recording, council, case, email, kind, update id) for each update the contract suite sends.
CASE_UPDATES = (
    (
        "cases-update-tom-pothole",
        "norfolk",
        "NCC-HW-2026-114502",
        "tom.blake@example.com",
        "update",
        "contract-1",
    ),
    (
        "cases-not-fixed-tom-graffiti",
        "norwich",
        "NCC-GR-2026-03317",
        "tom.blake@example.com",
        "not_fixed",
        "contract-2",
    ),
    (
        "cases-not-fixed-tom-pothole",
        "norfolk",
        "NCC-HW-2026-114502",
        "tom.blake@example.com",
        "not_fixed",
        "contract-3",
    ),
    (
        "cases-update-margaret-fly-tipping",
        "great-yarmouth",
        "GYBC-FT-2026-02211",
        "margaret.hill@example.com",
        "not_fixed",
        "contract-4",
    ),
    (
        "cases-update-someone-elses",
        "norfolk",
        "NCC-CT-2026-110001",
        "tom.blake@example.com",
        "update",
        "contract-5",
    ),
)


def planning_exchanges(latitude: float, longitude: float) -> list[tuple[str, str, str, dict, dict | None]]:
    reference = quote("26/01187/HH", safe="")
    query = {"latitude": f"{latitude:.5f}", "longitude": f"{longitude:.5f}", "radius_m": "500"}
    return [
        ("planning-near-tom", "GET", "/planning/norwich/applications", query, None),
        ("planning-tom-neighbour", "GET", f"/planning/norwich/applications/{reference}", {}, None),
        (
            "planning-tom-neighbour-comments",
            "GET",
            f"/planning/norwich/applications/{reference}/comments",
            {},
            None,
        ),
    ]


def _key(method: str, path: str, query: dict, body) -> str:
    return json.dumps([method, path, sorted(query.items()), body], sort_keys=True)


def replay_app(directory: Path, *, api_key: str) -> Flask:
    """A back office that answers only what was recorded (and 501, loudly, anything else)."""
    recorded = {}
    for file in sorted(directory.glob("*.json")):
        exchange = json.loads(file.read_text(encoding="utf-8"))
        asked = exchange["request"]
        recorded[_key(asked["method"], asked["path"], asked.get("query", {}), asked.get("json"))] = exchange
    app = Flask("replay")

    @app.route("/<path:path>", methods=["GET", "POST"])
    def replay(path):
        if request.headers.get(API_KEY_HEADER) != api_key:
            return Response(
                '{"error": {"code": "unauthenticated", "message": "No key."}}',
                401,
                content_type="application/json",
            )
        query = request.args.to_dict()
        body = request.get_json(silent=True) if request.method == "POST" else None
        # Werkzeug decodes %2F in the path; recordings keep the path as sent.
        raw_path = request.environ.get("RAW_URI", request.environ.get("REQUEST_URI", "/" + path)).split("?")[
            0
        ]
        exchange = recorded.get(_key(request.method, raw_path, query, body))
        if exchange is None:
            return Response(
                f"no recording for {request.method} {raw_path} {query}", 501, mimetype="text/plain"
            )
        answer = exchange["response"]
        body = answer["body"] if isinstance(answer["body"], str) else json.dumps(answer["body"])
        return Response(body, answer["status"], content_type=answer["content_type"])

    return app


def record(directory: Path = RECORDINGS) -> list[Path]:
    """Ask the sandbox (on CONTRACT_DAY) every exchange and write the answers."""
    from sandbox import create_sandbox_app, places

    with tempfile.TemporaryDirectory() as instance:
        app = create_sandbox_app(Path(instance), SANDBOX_TODAY=CONTRACT_DAY, SANDBOX_API_KEY="recorder")
        client = app.test_client()
        tom = _resident("Tom")
        with app.app_context():
            latitude, longitude = places.location_of(tom.uprn)
        written = []
        for name, method, path, query, body in exchanges_to_record() + planning_exchanges(
            latitude, longitude
        ):
            answer = client.open(
                path, method=method, query_string=query, json=body, headers={API_KEY_HEADER: "recorder"}
            )
            content = answer.get_json() if answer.is_json else answer.get_data(as_text=True)
            exchange = {
                "request": {"method": method, "path": path, "query": query, "json": body},
                "response": {
                    "status": answer.status_code,
                    "content_type": answer.content_type,
                    "body": content,
                },
            }
            file = directory / f"sandbox-{re.sub(r'[^a-z0-9-]', '-', name)}.json"
            file.write_text(json.dumps(exchange, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            written.append(file)
        return written


if __name__ == "__main__":
    for path in record():
        print(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)
