"""A resident's cases over the My Norfolk CRM contract (docs/api/cases.yaml), for any council, county or
district: reading them, and adding the resident's update or "not fixed" where the CRM accepts it. Only call it
with an email address the identity provider has verified; ``changes`` (the cases changed since a moment,
anyone's) is for the status sync alone, and ``contact_email`` (anyone's case) for council staff alone.

Deployment file: ``adapter = "cases_rest"`` with ``base_url`` and ``credentials = { api_key = ... }``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from requests_cache import BaseCache

from connectors import errors
from connectors.council_rest import Fields, document, rest_client, segment, with_message
from connectors.http import HttpClient
from connectors.models import (
    Case,
    CaseAccepts,
    CaseChange,
    CaseChanges,
    CaseDetail,
    CaseNote,
    CaseStatusChange,
    CaseUpdateReceipt,
    NewCaseUpdate,
    Result,
    UpdateNotAccepted,
)

# The contract allows 1 to 1000 changes an answer.
MAX_CHANGES = 1000


class RestCases:
    def __init__(self, http: HttpClient, feed: HttpClient | None = None):
        self.http = http
        self.feed = feed or http

    # The email address goes in a POST body, never in a URL (docs/api/cases.yaml).
    def cases_for_email(self, email: str) -> Result[tuple[Case, ...]]:
        return self.http.get("cases/search", question={"email": normalised(email)}, parse=parse_cases)

    def case(self, reference: str, email: str, *, as_of: datetime | None = None) -> Result[CaseDetail]:
        reference = self._reference(reference)
        question = {"email": normalised(email)}
        if as_of is not None:
            # Part of the question, so part of the cache key: an answer cached before the change never
            # answers for the case after it.
            question["as_of"] = rfc3339(as_of)
        try:
            return self.http.get(f"cases/{segment(reference)}/lookup", question=question, parse=parse_case)
        except errors.NotFound as error:
            raise with_message(error, "The council has no case with this reference for you") from None

    def changes(self, since: datetime, *, limit: int = 500) -> Result[CaseChanges]:
        params = {"since": rfc3339(since), "limit": max(1, min(limit, MAX_CHANGES))}
        return self.feed.get("cases/changes", params=params, parse=parse_changes)

    def add_update(self, reference: str, update: NewCaseUpdate) -> CaseUpdateReceipt:
        reference = self._reference(reference)
        email = normalised(update.email)
        body = {"email": email, "kind": update.kind, "text": update.text, "update_id": update.update_id}
        if update.assisted_by is not None:
            council, channel = update.assisted_by
            body["assisted"] = {"council": council, "channel": channel}
        try:
            receipt = self.http.post(f"cases/{segment(reference)}/updates", json=body, parse=parse_receipt)
        except errors.BadData as error:
            if error.code == "not_accepted":
                raise UpdateNotAccepted(reference) from None
            raise
        except errors.NotFound as error:
            raise with_message(error, "The council has no case with this reference for you") from None
        # The case and the list changed: the resident's next look asks the CRM, not the cache.
        self.http.forget(f"cases/{segment(reference)}/lookup", question={"email": email})
        self.http.forget("cases/search", question={"email": email})
        return receipt

    def contact_email(self, reference: str) -> str | None:
        reference = self._reference(reference)
        try:
            return self.feed.post(f"cases/{segment(reference)}/contact", parse=parse_contact)
        except errors.NotFound as error:
            raise with_message(error, "The council has no case with this reference") from None

    def _reference(self, reference: str) -> str:
        reference = reference.strip()
        if not reference:
            raise errors.NotFound(self.http.council, self.http.kind, "This is not a case reference")
        return reference


def rfc3339(moment: datetime) -> str:
    """A moment in UTC to the second: whole seconds are what the contract's moments carry, and rounding down
    asks for a little more, never less."""
    if moment.tzinfo is None:
        raise ValueError("a moment without a time zone")
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


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


def parse_changes(response) -> CaseChanges:
    answer = document(response)
    changes = (
        CaseChange(
            reference=change.text("reference"),
            email=normalised(change.text("email")),
            updated_at=change.moment("updated_at"),
        )
        for change in answer.objects("changes")
    )
    return CaseChanges(
        changes=tuple(sorted(changes, key=lambda change: change.updated_at)),
        until=answer.moment("until"),
        more=answer.boolean("more"),
    )


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
    accepts = detail.optional_object("accepts")
    return CaseDetail(
        case=case_from(detail),
        notes=tuple(sorted(notes, key=lambda note: note.created_at)),
        description=detail.optional_text("description"),
        history=tuple(sorted(history, key=lambda change: change.changed_at)),
        accepts=CaseAccepts(update=accepts.boolean("update"), not_fixed=accepts.boolean("not_fixed"))
        if accepts is not None
        else CaseAccepts(),
    )


def parse_contact(response) -> str | None:
    return document(response).optional_text("email")


def parse_receipt(response) -> CaseUpdateReceipt:
    receipt = document(response)
    return CaseUpdateReceipt(
        reference=receipt.text("reference"),
        update_reference=receipt.text("update_reference"),
        status=receipt.text("status"),
        status_label=receipt.text("status_label"),
    )


class KeepNothing(BaseCache):
    """A cache that keeps no answer, for the changes feed: it names anyone's cases and email addresses, which
    the portal has no business keeping, and a cached answer asked again a minute later would hold the sync's
    cursor still. With nothing cached, a CRM that does not answer is an error: the sync backs off and its
    cursor stays."""

    def save_response(self, response, cache_key=None, expires=None) -> None:
        return None


def build(settings, registry) -> RestCases:
    feed = rest_client(settings, registry)
    feed.cache = KeepNothing()  # the same breaker, timeouts and retries as the other calls, and no cache
    return RestCases(rest_client(settings, registry), feed)
