"""The sandbox's Open311 GeoReport v2 server: one endpoint for every council, told apart by jurisdiction_id as
the connectors file gives it to each council (sandbox/councils.py): "norfolk.gov.uk" for the county's highways
and street lighting, "<district>.gov.uk" for each district's bins, fly-tipping and abandoned vehicles. It
speaks JSON and XML, with FixMyStreet's servicerequestupdates extension.

    GET  /open311/v2/discovery.json
    GET  /open311/v2/services.{json,xml}?jurisdiction_id=...
    GET  /open311/v2/services/<service_code>.{json,xml}?jurisdiction_id=...
    POST /open311/v2/requests.{json,xml}             api_key required
    GET  /open311/v2/requests.{json,xml}             service_request_id, service_code, status, start_date,
                                                     end_date; extension: lat, long, radius (metres)
    GET  /open311/v2/requests/<id>.{json,xml}
    GET  /open311/v2/tokens/<token>.{json,xml}
    GET  /open311/v2/servicerequestupdates.{json,xml}   api_key required (X-Api-Key); start_date, end_date
    POST /open311/v2/servicerequestupdates.{json,xml}   api_key required: a resident's update
    POST /open311/_admin/requests/<id>               the council's side: {status, description,
                                                     external_status_code} changes status and adds an update

Requests and updates are kept in instance/sandbox/open311.sqlite3, so a restart keeps them. A POST that
repeats a device_id already used for the same service within a day returns the request it created the first
time: the portal's outbox sends its own id as device_id, so a retried delivery never makes a duplicate report.
"""

from __future__ import annotations

import hmac
import json
import math
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, abort, current_app, request
from werkzeug.exceptions import HTTPException

from sandbox import faults, places, store
from sandbox.councils import council as sandbox_council
from sandbox.councils import councils
from sandbox.demo_residents import DEMO_RESIDENTS
from sandbox.gazetteer import by_uprn

bp = Blueprint("sandbox_open311", __name__, url_prefix="/open311")
faults.guard(bp, "open311")

FORMAT = "<any(json,xml):fmt>"
REOPENING_STATUSES = ("OPEN", "REOPENED")
FINAL_STATUSES = ("NOT_COUNCILS_RESPONSIBILITY", "DUPLICATE")


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    description: str
    required: bool = True
    values: tuple[tuple[str, str], ...] = ()
    variable: bool = True
    datatype_description: str = ""


@dataclass(frozen=True)
class SandboxService:
    code: str
    name: str
    description: str
    group: str
    keywords: str
    attributes: tuple[Attribute, ...]


YES_NO = (("yes", "Yes"), ("no", "No"))
DISTRICT_SERVICES = (
    SandboxService(
        "missed_bin",
        "Missed bin collection",
        "A bin that was put out on time but not emptied.",
        "Bins and recycling",
        "bin,collection,missed,rubbish,recycling",
        (
            Attribute(
                "bin_type",
                "singlevaluelist",
                "Which bin was missed?",
                values=(
                    ("refuse", "General rubbish"),
                    ("recycling", "Recycling"),
                    ("garden", "Garden waste"),
                    ("food", "Food waste"),
                ),
            ),
            Attribute(
                "put_out_by_7am",
                "singlevaluelist",
                "Was the bin out by 7am on collection day?",
                values=YES_NO,
            ),
            Attribute(
                "collection_note",
                "text",
                "We collect missed bins within two working days of the report.",
                required=False,
                variable=False,
            ),
        ),
    ),
    SandboxService(
        "fly_tipping",
        "Fly-tipping",
        "Rubbish dumped illegally on public land.",
        "Street cleaning",
        "fly-tipping,dumping,rubbish,waste",
        (
            Attribute(
                "waste_type",
                "multivaluelist",
                "What has been dumped?",
                values=(
                    ("household", "Household rubbish"),
                    ("garden", "Garden waste"),
                    ("building", "Building materials"),
                    ("furniture", "Furniture or white goods"),
                    ("tyres", "Tyres"),
                    ("asbestos", "Asbestos or chemicals"),
                    ("other", "Something else"),
                ),
            ),
            Attribute(
                "amount",
                "singlevaluelist",
                "How much is there?",
                values=(
                    ("bag", "A single bag or item"),
                    ("car_boot", "A car boot load"),
                    ("van", "A small van load"),
                    ("lorry", "A lorry load or more"),
                ),
            ),
            Attribute(
                "hazardous", "singlevaluelist", "Does it look dangerous (needles, chemicals)?", values=YES_NO
            ),
        ),
    ),
    SandboxService(
        "abandoned_vehicle",
        "Abandoned vehicle",
        "A vehicle that seems to have been left on the street or public land.",
        "Vehicles",
        "car,vehicle,abandoned",
        (
            Attribute("registration", "string", "The registration number, if it has one", required=False),
            Attribute("make_and_colour", "string", "The make and colour of the vehicle", required=False),
            Attribute(
                "how_long",
                "singlevaluelist",
                "How long has it been there?",
                values=(
                    ("days", "Less than a week"),
                    ("weeks", "One to four weeks"),
                    ("months", "More than a month"),
                ),
            ),
        ),
    ),
)
COUNTY_SERVICES = (
    SandboxService(
        "pothole",
        "Pothole or road defect",
        "A hole, crack or sunken surface on a road or pavement.",
        "Roads and pavements",
        "pothole,road,pavement,defect",
        (
            Attribute(
                "defect_type",
                "singlevaluelist",
                "What is the problem?",
                values=(
                    ("pothole", "A pothole"),
                    ("cracked", "A cracked or broken surface"),
                    ("sunken", "A sunken or raised drain or cover"),
                    ("other", "Something else"),
                ),
            ),
            Attribute(
                "location_on_road",
                "singlevaluelist",
                "Where is it?",
                values=(
                    ("road", "On the road"),
                    ("pavement", "On the pavement"),
                    ("cycle_lane", "In a cycle lane"),
                ),
            ),
            Attribute(
                "depth",
                "singlevaluelist",
                "About how deep is it?",
                required=False,
                values=(("shallow", "Less than 4cm"), ("medium", "4cm to 10cm"), ("deep", "More than 10cm")),
            ),
        ),
    ),
    SandboxService(
        "street_light",
        "Street light fault",
        "A street light that is out, on during the day, flickering or damaged.",
        "Street lighting",
        "street light,lamp,lighting",
        (
            Attribute(
                "fault",
                "singlevaluelist",
                "What is wrong with the light?",
                values=(
                    ("out", "It is out at night"),
                    ("day_burning", "It is on during the day"),
                    ("flickering", "It is flickering"),
                    ("damaged", "It is damaged or leaning"),
                ),
            ),
            Attribute(
                "column_number",
                "string",
                "The number on the lamp post, if you can see one",
                required=False,
                datatype_description="Usually a short number on a plate, for example 24 or NC112",
            ),
        ),
    ),
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_request_id TEXT UNIQUE,
    jurisdiction TEXT NOT NULL,
    service_code TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    status_notes TEXT,
    description TEXT,
    lat REAL,
    long REAL,
    address_string TEXT,
    address_id TEXT,
    zipcode TEXT,
    email TEXT,
    first_name TEXT,
    last_name TEXT,
    phone TEXT,
    media_url TEXT,
    device_id TEXT,
    account_id TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    requested_datetime TEXT NOT NULL,
    updated_datetime TEXT NOT NULL,
    expected_datetime TEXT
);
CREATE INDEX IF NOT EXISTS ix_requests_jurisdiction ON requests (jurisdiction, requested_datetime);
CREATE TABLE IF NOT EXISTS updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    update_id TEXT UNIQUE,
    external_update_id TEXT UNIQUE,
    service_request_id TEXT NOT NULL REFERENCES requests (service_request_id),
    jurisdiction TEXT NOT NULL,
    status TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    media_url TEXT,
    external_status_code TEXT,
    updated_datetime TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS referrals (
    service_request_id TEXT PRIMARY KEY REFERENCES requests (service_request_id),
    agency TEXT NOT NULL
);
"""


def services_for(council: str) -> tuple[SandboxService, ...]:
    """The council's services, under its own codes where the connectors file gives them (service_codes)."""
    found = sandbox_council(council)
    services = COUNTY_SERVICES if found.is_county else DISTRICT_SERVICES
    return tuple(replace(service, code=found.service_code(service.code)) for service in services)


def _w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# --- seed data: the demo residents' stories ----------------------------------------------------------------


def _resident(family_name: str):
    return next(resident for resident in DEMO_RESIDENTS if resident.family_name == family_name)


def seed(connection) -> None:
    now = _now()
    tom, david, margaret, priya = (_resident(name) for name in ("Blake", "Okafor", "Hill", "Shah"))
    tom_home, david_home, margaret_home, priya_home = (
        by_uprn(resident.uprn) for resident in (tom, david, margaret, priya)
    )
    county = councils().county().slug
    seeds = [
        # (council, service, status, status notes, description, lat, long, address, resident, age, attributes,
        #  updates as (days after the report, status, text))
        (
            county,
            "pothole",
            "open",
            "Inspected: a repair is booked.",
            "Deep pothole in the nearside lane outside the shop, cyclists are swerving round it.",
            tom_home.latitude + 0.0003,
            tom_home.longitude - 0.0004,
            "Unthank Road, Norwich",
            tom,
            9,
            {"defect_type": "pothole", "location_on_road": "road", "depth": "deep"},
            [
                (1, "INVESTIGATING", "An inspector will visit within five working days."),
                (4, "ACTION_SCHEDULED", "Inspected: a repair is booked."),
            ],
        ),
        (
            county,
            "pothole",
            "open",
            None,
            "Broken surface at the junction, water collects in it.",
            tom_home.latitude - 0.0011,
            tom_home.longitude + 0.0009,
            "Mill Hill Road, Norwich",
            None,
            3,
            {"defect_type": "cracked", "location_on_road": "road"},
            [],
        ),
        (
            county,
            "street_light",
            "open",
            "Reported to our lighting contractor.",
            "The street light opposite the church has been out for a week.",
            david_home.latitude + 0.0002,
            david_home.longitude + 0.0003,
            "Church Street, Cromer",
            david,
            6,
            {"fault": "out", "column_number": "CR14"},
            [(2, "IN_PROGRESS", "Reported to our lighting contractor.")],
        ),
        (
            places.district_of(margaret.uprn),
            "fly_tipping",
            "closed",
            "Cleared by our street cleansing team.",
            "Mattress and bags of rubbish dumped by the beach shelter.",
            margaret_home.latitude + 0.0006,
            margaret_home.longitude + 0.0004,
            "Marine Parade, Great Yarmouth",
            margaret,
            24,
            {"waste_type": ["household", "furniture"], "amount": "car_boot", "hazardous": "no"},
            [
                (1, "INVESTIGATING", "Passed to our street cleansing team."),
                (3, "FIXED", "Cleared by our street cleansing team."),
            ],
        ),
        (
            places.district_of(priya.uprn),
            "missed_bin",
            "open",
            "A crew will return within two working days.",
            "Garden waste bin not emptied on collection day.",
            priya_home.latitude,
            priya_home.longitude,
            priya_home.single_line,
            priya,
            5,
            {"bin_type": "garden", "put_out_by_7am": "yes"},
            [(1, "ACTION_SCHEDULED", "A crew will return within two working days.")],
        ),
    ]
    for (council, code, status, notes, description, lat, long, address, resident, age, attributes,
         updates) in seeds:  # fmt: skip
        if council is None:
            continue  # the resident's district has no theme in this deployment
        requested = now - timedelta(days=age)
        request_id = _insert_request(
            connection,
            council,
            {
                "service_code": sandbox_council(council).service_code(code),
                "status": status,
                "status_notes": notes,
                "description": description,
                "lat": round(lat, 6),
                "long": round(long, 6),
                "address_string": address,
                "email": resident.email if resident else None,
                "first_name": resident.given_name if resident else None,
                "last_name": resident.family_name if resident else None,
                "attributes": json.dumps(attributes),
            },
            requested,
        )
        for days, update_status, text in updates:
            moment = requested + timedelta(days=days)
            _insert_update(connection, council, request_id, update_status, text, moment)
            connection.execute(
                "UPDATE requests SET updated_datetime = ? WHERE service_request_id = ?",
                (_w3c(moment), request_id),
            )


def _insert_request(connection, council: str, fields: dict, requested: datetime) -> str:
    columns = {**fields, "jurisdiction": council, "requested_datetime": _w3c(requested)}
    columns["updated_datetime"] = columns["requested_datetime"]
    cursor = connection.execute(
        f"INSERT INTO requests ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",  # noqa: S608
        tuple(columns.values()),
    )
    request_id = f"{sandbox_council(council).demo.open311_prefix}-{cursor.lastrowid:06d}"
    connection.execute(
        "UPDATE requests SET service_request_id = ? WHERE id = ?", (request_id, cursor.lastrowid)
    )
    return request_id


def _insert_update(
    connection,
    council: str,
    request_id: str,
    status: str,
    description: str,
    moment: datetime,
    external_status_code: str | None = None,
    external_update_id: str | None = None,
) -> str:
    cursor = connection.execute(
        "INSERT INTO updates (service_request_id, jurisdiction, status, description, updated_datetime, "
        "external_status_code, external_update_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (request_id, council, status, description, _w3c(moment), external_status_code, external_update_id),
    )
    update_id = f"UPD-{cursor.lastrowid:06d}"
    connection.execute("UPDATE updates SET update_id = ? WHERE id = ?", (update_id, cursor.lastrowid))
    return update_id


def reports():
    return store.for_app(current_app._get_current_object(), "open311", SCHEMA, seed)


# --- rendering ---------------------------------------------------------------------------------------------


class Open311Error(HTTPException):
    def __init__(self, code: int, description: str):
        super().__init__(description=description)
        self.code = code


def _render(fmt: str, root: str, item: str, records: list[dict], status: int = 200) -> Response:
    if fmt == "json":
        return Response(json.dumps(records), status, mimetype="application/json")
    element = ElementTree.Element(root)
    for record in records:
        child = ElementTree.SubElement(element, item)
        _xml_fields(child, record)
    body = ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)
    return Response(body, status, content_type="text/xml; charset=utf-8")


def _xml_fields(parent: ElementTree.Element, record: dict) -> None:
    for key, value in record.items():
        if isinstance(value, list):
            holder = ElementTree.SubElement(parent, key)
            for entry in value:
                _xml_fields(ElementTree.SubElement(holder, key[:-1]), entry)
        else:
            leaf = ElementTree.SubElement(parent, key)
            if value is not None:
                leaf.text = str(value).lower() if isinstance(value, bool) else str(value)


@bp.errorhandler(Open311Error)
@bp.errorhandler(HTTPException)
def _error(error: HTTPException):
    fmt = (request.view_args or {}).get("fmt", "json")
    records = [{"code": error.code, "description": error.description}]
    return _render(fmt, "errors", "error", records, error.code or 500)


def _council() -> str:
    jurisdiction = request.values.get("jurisdiction_id", "")
    if not jurisdiction:
        raise Open311Error(400, "jurisdiction_id is required: this server serves several councils")
    council = councils().by_jurisdiction(jurisdiction)
    if council is None:
        raise Open311Error(404, f"Unknown jurisdiction_id {jurisdiction!r}")
    return council.slug


def _check_api_key() -> None:
    """The key as a client may send it: the X-Api-Key header, the api_key form field of a POST, or (servers
    that read only the parameter do this) the api_key query parameter."""
    given = request.headers.get("X-Api-Key") or request.values.get("api_key", "")
    expected = current_app.config["SANDBOX_API_KEY"]
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Open311Error(403, "Invalid or missing api_key")


def _service(council: str, code: str) -> SandboxService:
    service = next((service for service in services_for(council) if service.code == code), None)
    if service is None:
        raise Open311Error(404, f"Unknown service_code {code!r} for this jurisdiction")
    return service


def _service_record(service: SandboxService) -> dict:
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description,
        "metadata": True,
        "type": "realtime",
        "keywords": service.keywords,
        "group": service.group,
    }


def _request_record(row) -> dict:
    return {
        "service_request_id": row["service_request_id"],
        "status": row["status"],
        "status_notes": row["status_notes"],
        "service_name": next(
            (s.name for s in services_for(row["jurisdiction"]) if s.code == row["service_code"]), None
        ),
        "service_code": row["service_code"],
        "description": row["description"],
        "agency_responsible": _referred_to(row["service_request_id"])
        or sandbox_council(row["jurisdiction"]).name,
        "service_notice": None,
        "address_id": row["address_id"],
        "requested_datetime": row["requested_datetime"],
        "updated_datetime": row["updated_datetime"],
        "expected_datetime": row["expected_datetime"],
        "address": row["address_string"],
        "zipcode": row["zipcode"],
        "lat": row["lat"],
        "long": row["long"],
        "media_url": row["media_url"],
    }


def _referred_to(service_request_id: str) -> str | None:
    """The organisation the council passed the request to, when it closed it as not its responsibility."""
    with reports().connect() as connection:
        row = connection.execute(
            "SELECT agency FROM referrals WHERE service_request_id = ?", (service_request_id,)
        ).fetchone()
    return row["agency"] if row else None


def _parse_w3c(name: str) -> datetime | None:
    value = request.values.get(name)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Open311Error(400, f"{name} must be a W3C date-time, like 2026-11-21T09:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- GeoReport v2 -------------------------------------------------------------------------------------------


@bp.get("/v2/discovery.json")
def discovery():
    base = request.host_url.rstrip("/") + "/open311/v2/"
    return {
        "changeset": "2026-11-21T00:00:00Z",
        "contact": "My Norfolk development sandbox (made-up data)",
        "key_service": "Ask the sandbox operator; the development key is in PORTAL_SANDBOX_API_KEY.",
        "endpoints": [
            {"specification": "http://wiki.open311.org/GeoReport_v2", "url": base, "type": "test",
             "formats": ["application/json", "text/xml"], "changeset": "2026-11-21T00:00:00Z"}
        ],
    }  # fmt: skip


@bp.get(f"/v2/services.{FORMAT}")
def list_services(fmt: str):
    council = _council()
    return _render(
        fmt, "services", "service", [_service_record(service) for service in services_for(council)]
    )


@bp.get(f"/v2/services/<service_code>.{FORMAT}")
def service_definition(service_code: str, fmt: str):
    service = _service(_council(), service_code)
    attributes = [
        {
            "variable": attribute.variable,
            "code": attribute.code,
            "datatype": attribute.datatype,
            "required": attribute.required,
            "datatype_description": attribute.datatype_description or None,
            "order": order,
            "description": attribute.description,
            "values": [{"key": key, "name": name} for key, name in attribute.values],
        }
        for order, attribute in enumerate(service.attributes, start=1)
    ]
    if fmt == "json":
        return Response(
            json.dumps({"service_code": service.code, "attributes": attributes}), mimetype="application/json"
        )
    root = ElementTree.Element("service_definition")
    ElementTree.SubElement(root, "service_code").text = service.code
    _xml_fields(root, {"attributes": attributes})
    body = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, content_type="text/xml; charset=utf-8")


def _attribute_answers(service: SandboxService) -> dict[str, str | list[str]]:
    answers: dict[str, str | list[str]] = {}
    for attribute in service.attributes:
        if not attribute.variable:
            continue
        if attribute.datatype == "multivaluelist":
            value: str | list[str] = request.form.getlist(f"attribute[{attribute.code}][]") or [
                item for item in request.form.getlist(f"attribute[{attribute.code}]") if item
            ]
        else:
            value = request.form.get(f"attribute[{attribute.code}]", "").strip()
        if attribute.required and not value:
            raise Open311Error(400, f"attribute[{attribute.code}] is required: {attribute.description}")
        allowed = {key for key, _ in attribute.values}
        chosen = value if isinstance(value, list) else [value] if value else []
        if allowed and any(item not in allowed for item in chosen):
            raise Open311Error(
                400, f"attribute[{attribute.code}] must be one of {', '.join(sorted(allowed))}"
            )
        if value:
            answers[attribute.code] = value
    return answers


@bp.post(f"/v2/requests.{FORMAT}")
def create_request(fmt: str):
    council = _council()
    _check_api_key()
    service = _service(council, request.form.get("service_code", ""))
    form = request.form
    try:
        lat = float(form["lat"]) if form.get("lat") else None
        long = float(form["long"]) if form.get("long") else None
    except ValueError:
        raise Open311Error(400, "lat and long must be decimal degrees") from None
    if (lat is None) != (long is None):
        raise Open311Error(400, "Send both lat and long, or neither")
    if lat is None and not form.get("address_string") and not form.get("address_id"):
        raise Open311Error(400, "A location is required: lat and long, address_string or address_id")
    if len(form.get("description", "")) > 4000:
        raise Open311Error(400, "description must be 4000 characters or fewer")
    answers = _attribute_answers(service)
    device_id = form.get("device_id") or None
    with reports().connect() as connection:
        if device_id:
            earlier = connection.execute(
                "SELECT service_request_id FROM requests WHERE jurisdiction = ? AND service_code = ? "
                "AND device_id = ? AND requested_datetime >= ?",
                (council, service.code, device_id, _w3c(_now() - timedelta(days=1))),
            ).fetchone()
            if earlier:
                return _render(fmt, "service_requests", "request", [_created(earlier["service_request_id"])])
        address_id = form.get("address_id") or None
        home = by_uprn(address_id) if address_id else None
        request_id = _insert_request(
            connection,
            council,
            {
                "service_code": service.code,
                "description": form.get("description", ""),
                "lat": lat if lat is not None else (home.latitude if home else None),
                "long": long if long is not None else (home.longitude if home else None),
                "address_string": form.get("address_string") or (home.single_line if home else None),
                "address_id": address_id,
                "zipcode": home.postcode if home else None,
                "email": form.get("email") or None,
                "first_name": form.get("first_name") or None,
                "last_name": form.get("last_name") or None,
                "phone": form.get("phone") or None,
                "media_url": form.get("media_url") or None,
                "device_id": device_id,
                "account_id": form.get("account_id") or None,
                "attributes": json.dumps(answers),
            },
            _now(),
        )
    return _render(fmt, "service_requests", "request", [_created(request_id)], 201)


def _created(request_id: str) -> dict:
    return {"service_request_id": request_id, "service_notice": None, "account_id": None}


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


@bp.get(f"/v2/requests.{FORMAT}")
def list_requests(fmt: str):
    council = _council()
    query, params = "SELECT * FROM requests WHERE jurisdiction = ?", [council]
    ids = [item.strip() for item in request.args.get("service_request_id", "").split(",") if item.strip()]
    if ids:
        query += f" AND service_request_id IN ({', '.join('?' for _ in ids)})"
        params += ids
    else:
        if request.args.get("service_code"):
            query += " AND service_code = ?"
            params.append(request.args["service_code"])
        if request.args.get("status"):
            statuses = [status.strip() for status in request.args["status"].split(",")]
            if not set(statuses) <= {"open", "closed"}:
                raise Open311Error(400, "status must be open, closed or both")
            query += f" AND status IN ({', '.join('?' for _ in statuses)})"
            params += statuses
        end = _parse_w3c("end_date") or _now()
        start = _parse_w3c("start_date") or end - timedelta(days=90)
        query += " AND requested_datetime >= ? AND requested_datetime <= ?"
        params += [_w3c(start), _w3c(end)]
    query += " ORDER BY requested_datetime DESC LIMIT 1000"
    with reports().connect() as connection:
        rows = connection.execute(query, params).fetchall()
    if not ids and request.args.get("lat") and request.args.get("long"):
        try:
            lat, long = float(request.args["lat"]), float(request.args["long"])
            radius = float(request.args.get("radius") or 500)
        except ValueError:
            raise Open311Error(400, "lat, long and radius must be numbers") from None
        rows = [
            row
            for row in rows
            if row["lat"] is not None and _distance_m(lat, long, row["lat"], row["long"]) <= radius
        ]
    return _render(fmt, "service_requests", "request", [_request_record(row) for row in rows])


@bp.get(f"/v2/requests/<service_request_id>.{FORMAT}")
def get_request(service_request_id: str, fmt: str):
    council = _council()
    with reports().connect() as connection:
        row = connection.execute(
            "SELECT * FROM requests WHERE jurisdiction = ? AND service_request_id = ?",
            (council, service_request_id),
        ).fetchone()
    if row is None:
        raise Open311Error(404, f"No request {service_request_id!r} in this jurisdiction")
    return _render(fmt, "service_requests", "request", [_request_record(row)])


@bp.get(f"/v2/tokens/<token>.{FORMAT}")
def get_token(token: str, fmt: str):
    # This server creates requests in real time, so a token is the request id itself.
    return get_request(token, fmt)


@bp.get(f"/v2/servicerequestupdates.{FORMAT}")
def list_updates(fmt: str):
    council = _council()
    _check_api_key()
    end = _parse_w3c("end_date") or _now()
    start = _parse_w3c("start_date") or end - timedelta(days=1)
    with reports().connect() as connection:
        rows = connection.execute(
            "SELECT * FROM updates WHERE jurisdiction = ? AND updated_datetime >= ? "
            "AND updated_datetime <= ? ORDER BY updated_datetime",
            (council, _w3c(start), _w3c(end)),
        ).fetchall()
    records = [
        {
            "update_id": row["update_id"],
            "service_request_id": row["service_request_id"],
            "status": row["status"],
            "updated_datetime": row["updated_datetime"],
            "description": row["description"],
            "media_url": row["media_url"],
            "external_status_code": row["external_status_code"],
        }
        for row in rows
    ]
    return _render(fmt, "service_requests_updates", "request_update", records)


@bp.post(f"/v2/servicerequestupdates.{FORMAT}")
def post_update(fmt: str):
    council = _council()
    _check_api_key()
    form = request.form
    for name in ("service_request_id", "update_id", "status", "description"):
        if not form.get(name):
            raise Open311Error(400, f"{name} is required")
    status = form["status"].upper()
    with reports().connect() as connection:
        row = connection.execute(
            "SELECT status FROM requests WHERE jurisdiction = ? AND service_request_id = ?",
            (council, form["service_request_id"]),
        ).fetchone()
        if row is None:
            raise Open311Error(404, f"No request {form['service_request_id']!r} in this jurisdiction")
        earlier = connection.execute(
            "SELECT update_id FROM updates WHERE external_update_id = ?", (f"{council}:{form['update_id']}",)
        ).fetchone()
        if earlier:
            update_id = earlier["update_id"]
        else:
            if status in REOPENING_STATUSES and row["status"] == "closed":
                _check_reopenable(connection, form["service_request_id"])
            update_id = _insert_update(
                connection,
                council,
                form["service_request_id"],
                status,
                form["description"],
                _now(),
                external_update_id=f"{council}:{form['update_id']}",
            )
            if form.get("media_url"):
                connection.execute(
                    "UPDATE updates SET media_url = ? WHERE update_id = ?", (form["media_url"], update_id)
                )
            if status in REOPENING_STATUSES and row["status"] == "closed":
                # FixMyStreet's "not fixed": an update saying OPEN on a closed request reopens it.
                connection.execute(
                    "UPDATE requests SET status = 'open', updated_datetime = ? WHERE service_request_id = ?",
                    (_w3c(_now()), form["service_request_id"]),
                )
    return _render(fmt, "service_request_updates", "request_update", [{"update_id": update_id}])


def _check_reopenable(connection, service_request_id: str) -> None:
    """A request closed as someone else's, or as a duplicate, is not reopened: it must be reported again."""
    last = connection.execute(
        "SELECT status FROM updates WHERE service_request_id = ? ORDER BY id DESC LIMIT 1",
        (service_request_id,),
    ).fetchone()
    if last is not None and last["status"] in FINAL_STATUSES:
        raise Open311Error(
            400, f"A request closed as {last['status']} cannot be reopened: make a new request"
        )


@bp.post("/_admin/requests/<service_request_id>")
def council_update(service_request_id: str):
    """The council's side of the sandbox: change a request's status, as an officer would.
    ``agency_responsible`` names who the request was passed to."""
    values = request.get_json(silent=True) or request.form
    status = (values.get("status") or "").lower()
    if status not in ("open", "closed"):
        abort(400, "status must be open or closed")
    description = values.get("description") or ""
    update_status = values.get("update_status") or ("FIXED" if status == "closed" else "IN_PROGRESS")
    with reports().connect() as connection:
        row = connection.execute(
            "SELECT jurisdiction FROM requests WHERE service_request_id = ?", (service_request_id,)
        ).fetchone()
        if row is None:
            abort(404, f"No request {service_request_id!r}")
        now = _now()
        connection.execute(
            "UPDATE requests SET status = ?, status_notes = ?, updated_datetime = ? "
            "WHERE service_request_id = ?",
            (status, description or None, _w3c(now), service_request_id),
        )
        update_id = _insert_update(
            connection,
            row["jurisdiction"],
            service_request_id,
            update_status,
            description,
            now,
            external_status_code=values.get("external_status_code"),
        )
        if values.get("agency_responsible"):
            connection.execute(
                "INSERT OR REPLACE INTO referrals (service_request_id, agency) VALUES (?, ?)",
                (service_request_id, values["agency_responsible"]),
            )
    return {"update_id": update_id, "status": status}


@bp.get("/_admin/requests/<service_request_id>")
def council_view(service_request_id: str):
    """Everything the back office holds about a request, including the reporter's contact details and the
    answers to the service's questions (GeoReport v2 never returns these): for tests and the developer."""
    with reports().connect() as connection:
        row = connection.execute(
            "SELECT * FROM requests WHERE service_request_id = ?", (service_request_id,)
        ).fetchone()
    if row is None:
        abort(404, f"No request {service_request_id!r}")
    record = dict(row)
    record["attributes"] = json.loads(record["attributes"])
    return record
