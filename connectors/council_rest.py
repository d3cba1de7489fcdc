"""What the adapters for My Norfolk's own REST contracts share (docs/api/bins.yaml, council-tax.yaml,
planning.yaml, cases.yaml): the API key header, safe path segments, and reading a JSON document field by field
so that anything off-contract becomes MalformedResponse (the HTTP layer turns it into ``BadData``) with a
message naming the field.

Deployment file options every one of them understands:

    credentials = { api_key = "PORTAL_..." }   # the variable holding the key (optional: a council may
                                                # use mTLS or an allow-list in front of its API instead)
    api_key_header = "X-API-Key"                # the header the council's gateway expects
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

from connectors import errors
from connectors.http import HttpClient, MalformedResponse, json_body

DEFAULT_API_KEY_HEADER = "X-API-Key"
T = TypeVar("T")


def rest_client(settings, registry) -> HttpClient:
    """The resilient HTTP client for one council's service, sending its API key when one is configured."""
    headers = {"Accept": "application/json"}
    if settings.credentials.get("api_key"):
        headers[settings.options.get("api_key_header", DEFAULT_API_KEY_HEADER)] = settings.credentials[
            "api_key"
        ]
    return registry.http_client(settings, headers=headers)


def segment(value: str) -> str:
    """One path segment: every reserved character escaped, so "26/01187/HH" stays one segment."""
    return quote(value, safe="")


def document(response) -> Fields:
    """The JSON object a contract operation answers with."""
    body = json_body(response)
    if not isinstance(body, dict):
        raise MalformedResponse(f"expected a JSON object, got {type(body).__name__}")
    return Fields(body, "response")


def with_message(error: errors.ConnectorError, message: str) -> errors.ConnectorError:
    """The same error, saying what was not found or refused in words a resident understands."""
    return type(error)(error.council, error.kind, message, detail=error.detail)


class Fields:
    """A JSON object read against its contract; ``where`` names it in error messages ("collections[2]")."""

    def __init__(self, mapping: dict, where: str):
        self._mapping = mapping
        self.where = where

    def _get(self, name: str, required: bool) -> Any:
        value = self._mapping.get(name)
        if value is None and required:
            raise MalformedResponse(f"{self.where}.{name} is missing")
        return value

    def _typed(self, name: str, kind: type | tuple[type, ...], required: bool) -> Any:
        value = self._get(name, required)
        if value is not None and (
            not isinstance(value, kind) or isinstance(value, bool) and kind is not bool
        ):
            raise MalformedResponse(f"{self.where}.{name} is not a {getattr(kind, '__name__', kind)}")
        return value

    def text(self, name: str) -> str:
        return self._typed(name, str, True)

    def optional_text(self, name: str) -> str | None:
        return self._typed(name, str, False)

    def boolean(self, name: str) -> bool:
        return self._typed(name, bool, True)

    def number(self, name: str) -> float:
        return float(self._typed(name, (int, float), True))

    def optional_number(self, name: str) -> float | None:
        value = self._typed(name, (int, float), False)
        return None if value is None else float(value)

    def pence(self, name: str) -> Decimal:
        """Whole pence in the contract, Decimal pounds in the models."""
        return Decimal(self._typed(name, int, True)) / 100

    def date(self, name: str) -> date:
        return self._parse(name, True, date.fromisoformat)

    def optional_date(self, name: str) -> date | None:
        return self._parse(name, False, date.fromisoformat)

    def moment(self, name: str) -> datetime:
        moment = self._parse(name, True, lambda text: datetime.fromisoformat(text.replace("Z", "+00:00")))
        if moment.tzinfo is None:
            raise MalformedResponse(f"{self.where}.{name} has no time zone")
        return moment

    def _parse(self, name: str, required: bool, parse: Callable[[str], T]) -> T | None:
        text = self._typed(name, str, required)
        if text is None:
            return None
        try:
            return parse(text)
        except ValueError:
            raise MalformedResponse(f"{self.where}.{name} is not a valid date: {text[:40]!r}") from None

    def dates(self, name: str) -> tuple[date, ...]:
        values = self._typed(name, list, False) or []
        try:
            return tuple(date.fromisoformat(value) for value in values)
        except (TypeError, ValueError):
            raise MalformedResponse(f"{self.where}.{name} holds something that is not a date") from None

    def object(self, name: str) -> Fields:
        return Fields(self._typed(name, dict, True), f"{self.where}.{name}")

    def optional_object(self, name: str) -> Fields | None:
        value = self._typed(name, dict, False)
        return None if value is None else Fields(value, f"{self.where}.{name}")

    def objects(self, name: str) -> Iterator[Fields]:
        for index, item in enumerate(self._typed(name, list, True)):
            if not isinstance(item, dict):
                raise MalformedResponse(f"{self.where}.{name}[{index}] is not an object")
            yield Fields(item, f"{self.where}.{name}[{index}]")

    def texts(self, name: str) -> tuple[str, ...]:
        values = self._typed(name, list, False) or []
        if not all(isinstance(value, str) for value in values):
            raise MalformedResponse(f"{self.where}.{name} holds something that is not text")
        return tuple(values)
