"""Open311 GeoReport v2 client, with the servicerequestupdates extension FixMyStreet uses for status updates.

One module for every council that speaks Open311: everything council-specific comes from the deployment file.

    [councils.norwich.street_reports]
    adapter = "open311"
    base_url = "https://open311.example.gov.uk/v2"      # the endpoint's root: services.json lives under it
    jurisdiction_id = "norwich.gov.uk"                  # optional: sent when the server hosts several
    format = "json"                                     # or "xml" (XML is the format every server must offer)
    credentials = { api_key = "PORTAL_NORWICH_OPEN311_KEY" }   # api_key in POST bodies; see below for GET
    api_key_on_get = "header"                           # or "query", for a server that reads no header
    api_key_header = "X-Api-Key"                        # the header GET servicerequestupdates sends it in
    service_codes = { missed_bin = "WASTE-01" }         # the council's own code for a report code

GeoReport v2 (https://wiki.open311.org/GeoReport_v2): GET services, GET services/<code> (service definition),
POST requests, GET requests, GET requests/<id>, GET tokens/<token>. The extension
(https://github.com/mysociety/fixmystreet, "Open311 updates"): GET servicerequestupdates (status changes in a
time window) and POST servicerequestupdates (an update from the resident). Optional fields may be absent or
empty in either format; this client treats both as None.

The API key never goes in a URL where the server allows otherwise, since URLs end up in access logs and
caches: POSTs carry it as the `api_key` form field GeoReport v2 defines, and GET servicerequestupdates (the
only read that needs it) sends it in a header. A server that only reads the `api_key` query parameter on GET
needs `api_key_on_get = "query"`, which puts the key in that one URL.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from connectors.http import HttpClient, MalformedResponse, json_body, xml_body
from connectors.models import (
    AttributeValue,
    CreatedServiceRequest,
    NewServiceRequest,
    Result,
    Service,
    ServiceAttribute,
    ServiceDefinition,
    ServiceRequest,
    ServiceRequestUpdate,
)

FORMATS = ("json", "xml")


MAX_LATITUDE, MAX_LONGITUDE = 90.0, 180.0

API_KEY_IN_HEADER = "header"
API_KEY_IN_QUERY = "query"
DEFAULT_API_KEY_HEADER = "X-Api-Key"


def build(settings, registry) -> Open311Client:
    fmt = settings.options.get("format", "json")
    if fmt not in FORMATS:
        from connectors.errors import ConfigurationError

        raise ConfigurationError(
            f"{settings.council} street_reports: format must be json or xml, not {fmt!r}"
        )
    api_key_on_get = settings.options.get("api_key_on_get", API_KEY_IN_HEADER)
    if api_key_on_get not in (API_KEY_IN_HEADER, API_KEY_IN_QUERY):
        from connectors.errors import ConfigurationError

        raise ConfigurationError(
            f"{settings.council} street_reports: api_key_on_get must be header or query, "
            f"not {api_key_on_get!r}"
        )
    return Open311Client(
        registry.http_client(settings),
        jurisdiction_id=settings.options.get("jurisdiction_id"),
        service_codes=_service_codes(settings),
        api_key=settings.credentials.get("api_key"),
        fmt=fmt,
        api_key_header=None
        if api_key_on_get == API_KEY_IN_QUERY
        else settings.options.get("api_key_header", DEFAULT_API_KEY_HEADER),
    )


def _service_codes(settings) -> dict[str, str]:
    """``service_codes = { missed_bin = "WASTE-01" }``: the council's own code for each report code the portal
    uses, where they differ; each of the council's codes stands for one report code only."""
    from connectors.errors import ConfigurationError

    codes = settings.options.get("service_codes", {})
    where = f"{settings.council} street_reports: service_codes"
    if not isinstance(codes, dict) or not all(
        isinstance(ours, str) and isinstance(theirs, str) and theirs.strip() for ours, theirs in codes.items()
    ):
        raise ConfigurationError(f"{where} is a table of report codes and the council's codes (text)")
    if len(set(codes.values())) != len(codes):
        raise ConfigurationError(f"{where} gives one of the council's codes to two report codes")
    return dict(codes)


class Open311Client:
    """connectors.protocols.StreetReports over GeoReport v2. The portal speaks its own report codes
    ("missed_bin"); ``service_codes`` translates those a council's server names otherwise, both ways."""

    def __init__(
        self,
        http: HttpClient,
        *,
        jurisdiction_id: str | None,
        api_key: str | None,
        fmt: str = "json",
        api_key_header: str | None = DEFAULT_API_KEY_HEADER,
        service_codes: Mapping[str, str] | None = None,
    ):
        self.http = http
        self.jurisdiction_id = jurisdiction_id
        self._theirs = dict(service_codes or {})
        self._ours = {theirs: ours for ours, theirs in self._theirs.items()}
        self.api_key = api_key
        self.fmt = fmt
        # Where GET requests carry the key: this header, or (None) the api_key query parameter.
        self.api_key_header = api_key_header

    def their_code(self, code: str | None) -> str | None:
        return self._theirs.get(code, code) if code else code

    def our_code(self, code: str) -> str:
        return self._ours.get(code, code)

    # --- reads ---------------------------------------------------------------------------------------------

    def _params(self, **params: Any) -> dict[str, Any]:
        merged = {"jurisdiction_id": self.jurisdiction_id} if self.jurisdiction_id else {}
        merged.update({key: value for key, value in params.items() if value not in (None, "", ())})
        return merged

    def _records(self, response, *, xml_item: str, json_key: str | None = None) -> list[dict[str, Any]]:
        """The list of records in a response, as dicts of strings (XML) or JSON values."""
        if self.fmt == "xml":
            return [_xml_record(element) for element in xml_body(response).iter(xml_item)]
        body = json_body(response)
        if isinstance(body, dict) and json_key and isinstance(body.get(json_key), list):
            body = body[json_key]
        if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
            raise MalformedResponse("expected a JSON array of objects")
        return body

    def _get(
        self, path: str, parse: Callable[[Any], Any], *, with_key: bool = False, **params: Any
    ) -> Result:
        headers = {}
        if with_key and self.api_key:
            if self.api_key_header:
                headers[self.api_key_header] = self.api_key
            else:
                params["api_key"] = self.api_key
        return self.http.get(
            f"{path}.{self.fmt}", parse=parse, params=self._params(**params), headers=headers
        )

    def services(self) -> Result[tuple[Service, ...]]:
        return self._get(
            "services",
            lambda response: tuple(
                replace(service, code=self.our_code(service.code))
                for service in (_service(record) for record in self._records(response, xml_item="service"))
            ),
        )

    def service_definition(self, service_code: str) -> Result[ServiceDefinition]:
        def parse(response) -> ServiceDefinition:
            if self.fmt == "xml":
                root = xml_body(response)
                code = _text(root.find("service_code")) or service_code
                attributes = [_xml_record(element) for element in root.iter("attribute")]
            else:
                body = json_body(response)
                if not isinstance(body, dict):
                    raise MalformedResponse("expected a service definition object")
                code = str(body.get("service_code") or service_code)
                attributes = body.get("attributes") or []
            return ServiceDefinition(
                service_code=self.our_code(code),
                attributes=tuple(sorted((_attribute(item) for item in attributes), key=lambda a: a.order)),
            )

        return self._get(f"services/{_segment(self.their_code(service_code))}", parse)

    def requests(
        self,
        *,
        service_request_ids: Sequence[str] = (),
        service_code: str | None = None,
        status: str | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Result[tuple[ServiceRequest, ...]]:
        return self._get(
            "requests",
            self._parse_requests,
            service_request_id=",".join(service_request_ids),
            service_code=self.their_code(service_code),
            status=status,
            start_date=_w3c(start_date),
            end_date=_w3c(end_date),
            **(extra or {}),
        )

    def request(self, service_request_id: str) -> Result[ServiceRequest]:
        def parse(response) -> ServiceRequest:
            found = self._parse_requests(response)
            if not found:
                raise MalformedResponse("an empty list for one request")
            return found[0]

        return self._get(f"requests/{_segment(service_request_id)}", parse)

    def requests_near(
        self,
        latitude: float,
        longitude: float,
        radius_m: int = 250,
        *,
        service_code: str | None = None,
        status: str | None = "open",
    ) -> Result[tuple[ServiceRequest, ...]]:
        """GeoReport v2 has no location filter: lat, long and radius are sent for servers that support them
        (the sandbox and several vendors do), and the answer is always filtered here too."""
        result = self.requests(
            service_code=service_code,
            status=status,
            extra={"lat": f"{latitude:.6f}", "long": f"{longitude:.6f}", "radius": radius_m},
        )
        near = sorted(
            (
                (distance, request)
                for request in result.value
                if (distance := request.distance_m(latitude, longitude)) is not None and distance <= radius_m
            ),
            key=lambda pair: pair[0],
        )
        return Result(
            value=tuple(request for _, request in near),
            council=result.council,
            kind=result.kind,
            fetched_at=result.fetched_at,
            stale=result.stale,
            problem=result.problem,
        )

    def updates(
        self, *, start_date: datetime | None = None, end_date: datetime | None = None
    ) -> Result[tuple[ServiceRequestUpdate, ...]]:
        def parse(response) -> tuple[ServiceRequestUpdate, ...]:
            records = self._records(response, xml_item="request_update", json_key="service_requests_updates")
            return tuple(_update(record) for record in records)

        # Whole minutes, so that repeated polls within a minute share a cache entry.
        end = end_date or datetime.now(UTC).replace(second=0, microsecond=0)
        start = start_date or end - timedelta(days=1)
        return self._get(
            "servicerequestupdates",
            parse,
            with_key=True,
            start_date=_w3c(start),
            end_date=_w3c(end),
        )

    # --- writes (never retried here: the portal's outbox retries them) --------------------------------------

    def create_request(self, request: NewServiceRequest) -> CreatedServiceRequest:
        fields: list[tuple[str, str]] = list(self._params(api_key=self.api_key).items())
        fields += [
            (name, str(value))
            for name, value in (
                ("service_code", self.their_code(request.service_code)),
                ("lat", None if request.latitude is None else f"{request.latitude:.6f}"),
                ("long", None if request.longitude is None else f"{request.longitude:.6f}"),
                ("address_string", request.address_string),
                ("address_id", request.address_id),
                ("description", request.description),
                ("email", request.email),
                ("first_name", request.first_name),
                ("last_name", request.last_name),
                ("phone", request.phone),
                ("media_url", request.media_url),
                ("device_id", request.device_id),
                ("account_id", request.account_id),
            )
            if value not in (None, "")
        ]
        for code, value in request.attributes.items():
            if isinstance(value, tuple | list):
                fields += [(f"attribute[{code}][]", str(item)) for item in value]
            else:
                fields.append((f"attribute[{code}]", str(value)))

        def parse(response) -> CreatedServiceRequest:
            records = self._records(response, xml_item="request")
            if not records:
                raise MalformedResponse("no request in the answer")
            record = records[0]
            request_id, token = _str(record.get("service_request_id")), _str(record.get("token"))
            if not request_id and not token:
                raise MalformedResponse("neither service_request_id nor token in the answer")
            return CreatedServiceRequest(
                service_request_id=request_id,
                token=token,
                service_notice=_str(record.get("service_notice")),
                account_id=_str(record.get("account_id")),
            )

        return self.http.post(f"requests.{self.fmt}", parse=parse, data=fields)

    def post_update(
        self,
        service_request_id: str,
        description: str,
        *,
        update_id: str,
        status: str = "OPEN",
        email: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        media_url: str | None = None,
    ) -> str:
        """Send a resident's update on a request (FixMyStreet's POST servicerequestupdates); ``update_id`` is
        the portal's own id for it, so that a retried post is recognised. Returns the server's update id."""
        fields = self._params(
            api_key=self.api_key,
            service_request_id=service_request_id,
            update_id=update_id,
            status=status,
            description=description,
            updated_datetime=_w3c(datetime.now(UTC)),
            email=email,
            first_name=first_name,
            last_name=last_name,
            media_url=media_url,
        )

        def parse(response) -> str:
            records = self._records(response, xml_item="request_update", json_key="service_request_updates")
            if not records or not _str(records[0].get("update_id")):
                raise MalformedResponse("no update_id in the answer")
            return str(records[0]["update_id"])

        return self.http.post(f"servicerequestupdates.{self.fmt}", parse=parse, data=fields)

    def _parse_requests(self, response) -> tuple[ServiceRequest, ...]:
        return tuple(
            replace(request, service_code=self.our_code(request.service_code))
            for request in (_request(record) for record in self._records(response, xml_item="request"))
        )


# --- parsing helpers: every optional field may be absent, empty, or (in JSON) null ------------------------


def _segment(value: str) -> str:
    return quote(value, safe="")


def _w3c(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(element: ElementTree.Element | None) -> str | None:
    return element.text.strip() if element is not None and element.text and element.text.strip() else None


def _xml_record(element: ElementTree.Element) -> dict[str, Any]:
    """An XML record as a dict: leaf children become strings; <keywords> and <values> lists are kept."""
    record: dict[str, Any] = {}
    for child in element:
        if child.tag == "values":
            record["values"] = [_xml_record(value) for value in child.iter("value")]
        elif len(child) == 0:
            record[child.tag] = _text(child)
    return record


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict | list):
        raise MalformedResponse(f"expected a value, got {type(value).__name__}")
    text = str(value).strip()
    return text or None


def _required(record: dict[str, Any], name: str) -> str:
    value = _str(record.get(name))
    if value is None:
        raise MalformedResponse(f"missing {name}")
    return value


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes")


def _position(record: dict[str, Any]) -> tuple[float | None, float | None]:
    """The request's latitude and longitude, or (None, None). GeoReport v2 makes the position optional, and
    a back office that sends half a position, text, or numbers outside WGS84's range has not said where the
    request is: the request is kept (its id, status and description are still true) without a place."""
    try:
        latitude, longitude = (_coordinate(record.get(name)) for name in ("lat", "long"))
    except ValueError:  # MalformedResponse (a list or an object) too
        return None, None
    if latitude is None or longitude is None:
        return None, None
    if abs(latitude) > MAX_LATITUDE or abs(longitude) > MAX_LONGITUDE:
        return None, None
    return latitude, longitude


def _coordinate(value: Any) -> float | None:
    text = _str(value)
    number = None if text is None else float(text)
    return number if number is not None and math.isfinite(number) else None


def _datetime(value: Any) -> datetime | None:
    text = _str(value)
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _keywords(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(item).strip() for item in value if str(item).strip())
    text = _str(value)
    return tuple(word.strip() for word in text.split(",") if word.strip()) if text else ()


def _service(record: dict[str, Any]) -> Service:
    return Service(
        code=_required(record, "service_code"),
        name=_required(record, "service_name"),
        description=_str(record.get("description")) or "",
        metadata=_bool(record.get("metadata", False)),
        type=_str(record.get("type")) or "realtime",
        keywords=_keywords(record.get("keywords")),
        group=_str(record.get("group")),
    )


def _attribute(record: dict[str, Any]) -> ServiceAttribute:
    values: Iterable[dict[str, Any]] = record.get("values") or []
    return ServiceAttribute(
        code=_required(record, "code"),
        datatype=_required(record, "datatype"),
        description=_str(record.get("description")) or "",
        required=_bool(record.get("required", False)),
        variable=_bool(record.get("variable", True)),
        order=int(_str(record.get("order")) or 0),
        datatype_description=_str(record.get("datatype_description")),
        values=tuple(
            AttributeValue(key=_required(value, "key"), name=_required(value, "name")) for value in values
        ),
    )


def _request(record: dict[str, Any]) -> ServiceRequest:
    status = (_str(record.get("status")) or "").lower()
    if status not in ("open", "closed"):
        raise MalformedResponse(f"status must be open or closed, not {status!r}")
    latitude, longitude = _position(record)
    return ServiceRequest(
        service_request_id=_required(record, "service_request_id"),
        status=status,  # type: ignore[arg-type]
        service_code=_required(record, "service_code"),
        service_name=_str(record.get("service_name")),
        status_notes=_str(record.get("status_notes")),
        description=_str(record.get("description")),
        agency_responsible=_str(record.get("agency_responsible")),
        service_notice=_str(record.get("service_notice")),
        requested_datetime=_datetime(record.get("requested_datetime")),
        updated_datetime=_datetime(record.get("updated_datetime")),
        expected_datetime=_datetime(record.get("expected_datetime")),
        address=_str(record.get("address")),
        address_id=_str(record.get("address_id")),
        zipcode=_str(record.get("zipcode")),
        latitude=latitude,
        longitude=longitude,
        media_url=_str(record.get("media_url")),
    )


def _update(record: dict[str, Any]) -> ServiceRequestUpdate:
    updated = _datetime(record.get("updated_datetime"))
    if updated is None:
        raise MalformedResponse("missing updated_datetime")
    return ServiceRequestUpdate(
        update_id=_required(record, "update_id"),
        service_request_id=_required(record, "service_request_id"),
        status=_required(record, "status").upper(),
        updated_datetime=updated,
        description=_str(record.get("description")) or "",
        media_url=_str(record.get("media_url")),
        external_status_code=_str(record.get("external_status_code")),
    )
