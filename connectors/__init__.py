"""Connectors to the councils' back offices, behind one typed interface per kind of service.

- connectors.protocols: the interfaces (AddressLookup, BinCollections, CouncilTax, Planning, StreetReports,
  Cases), each pointing at a worked example adapter and its contract tests;
- connectors.models: the typed models they return, and ``Result`` (fresh or stale, fetched when, from whom);
- connectors.errors: ConnectorError and NotFound, NotAuthorised, Unavailable, BadData;
- connectors.http: the resilient HTTP layer (cache, stale-if-error, timeouts, retries, circuit breaker);
- connectors.registry: builds the connector for (council, kind) from the deployment file.

The portal reaches them through app.backoffice (``registry()``), never by constructing adapters itself.
"""
