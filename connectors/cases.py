"""A resident's cases over the My Norfolk CRM contract (docs/api/cases.yaml), for any council, county or
district. Only call it with an email address the identity provider has verified.

Deployment file: ``adapter = "cases_rest"`` with ``base_url`` and ``credentials = { api_key = ... }``.
"""

from __future__ import annotations

from connectors import errors
from connectors.council_rest import Fields, document, rest_client, segment, with_message
from connectors.http import HttpClient
from connectors.models import Case, CaseDetail, CaseNote, CaseStatusChange, Result


class RestCases:
    def __init__(self, http: HttpClient):
        self.http = http

    def cases_for_email(self, email: str) -> Result[tuple[Case, ...]]:
        return self.http.get("cases", params={"email": normalised(email)}, parse=parse_cases)

    def case(self, reference: str, email: str) -> Result[CaseDetail]:
        reference = reference.strip()
        if not reference:
            raise errors.NotFound(self.http.council, self.http.kind, "This is not a case reference")
        try:
            return self.http.get(
                f"cases/{segment(reference)}", params={"email": normalised(email)}, parse=parse_case
            )
        except errors.NotFound as error:
            raise with_message(error, "The council has no case with this reference for you") from None


def normalised(email: str) -> str:
    """One spelling per address, so one resident's answers share a cache entry."""
    return email.strip().casefold()


def case_from(fields: Fields) -> Case:
    return Case(
        reference=fields.text("reference"),
        title=fields.text("title"),
        category=fields.text("category"),
        status=fields.text("status"),
        status_label=fields.text("status_label"),
        opened_at=fields.moment("opened_at"),
        updated_at=fields.moment("updated_at"),
        closed=fields.boolean("closed"),
    )


def parse_cases(response) -> tuple[Case, ...]:
    cases = (case_from(fields) for fields in document(response).objects("cases"))
    return tuple(sorted(cases, key=lambda case: case.updated_at, reverse=True))


def parse_case(response) -> CaseDetail:
    detail = document(response)
    notes = (
        CaseNote(
            created_at=note.moment("created_at"), text=note.text("text"), author=note.optional_text("author")
        )
        for note in detail.objects("notes")
    )
    history = (
        CaseStatusChange(
            status=change.text("status"),
            status_label=change.text("status_label"),
            changed_at=change.moment("changed_at"),
        )
        for change in detail.objects("status_history")
    )
    return CaseDetail(
        case=case_from(detail),
        notes=tuple(sorted(notes, key=lambda note: note.created_at)),
        description=detail.optional_text("description"),
        history=tuple(sorted(history, key=lambda change: change.changed_at)),
    )


def build(settings, registry) -> RestCases:
    return RestCases(rest_client(settings, registry))
