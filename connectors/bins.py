"""Bin collections over the My Norfolk bins contract (docs/api/bins.yaml), for any district that serves it.

Deployment file: ``adapter = "bins_rest"`` with ``base_url`` and, usually,
``credentials = { api_key = ... }``.
"""

from __future__ import annotations

import re

from connectors import errors
from connectors.council_rest import Fields, document, rest_client, segment, with_message
from connectors.http import HttpClient
from connectors.models import BinCollection, Result

UPRN = re.compile(r"^[0-9]{1,12}$")


class RestBinCollections:
    def __init__(self, http: HttpClient):
        self.http = http

    def collections(self, uprn: str) -> Result[tuple[BinCollection, ...]]:
        uprn = uprn.strip()
        if not UPRN.match(uprn):
            raise errors.NotFound(
                self.http.council, self.http.kind, "This is not a property reference (UPRN)"
            )
        try:
            return self.http.get(f"properties/{segment(uprn)}/collections", parse=parse_collections)
        except errors.NotFound as error:
            raise with_message(error, "The council has no bin collections for this address") from None


def parse_collections(response) -> tuple[BinCollection, ...]:
    collections = tuple(parse_collection(entry) for entry in document(response).objects("collections"))
    return tuple(sorted(collections, key=lambda collection: (collection.next_date, collection.name)))


def parse_collection(entry: Fields) -> BinCollection:
    last = entry.optional_object("last_collection")
    return BinCollection(
        bin_type=entry.text("bin_type"),
        name=entry.text("name"),
        next_date=entry.date("next_date"),
        upcoming=(entry.date("next_date"), *entry.dates("following_dates")),
        last_date=last.date("date") if last else None,
        last_collection_missed=last is not None and last.text("outcome") == "missed",
        notes=entry.optional_text("notes"),
        container=entry.optional_text("container"),
        frequency=entry.optional_text("frequency"),
        round=entry.optional_text("round"),
    )


def build(settings, registry) -> RestBinCollections:
    return RestBinCollections(rest_client(settings, registry))
