"""gunicorn's own logs (its error log and its access log) as the portal's JSON lines on standard output
(gunicorn.conf.py names this class as ``logger_class``).

An access line carries what the portal put in the WSGI environ (app/observability/logs.py): the request id,
council and URL rule, never the path or the query string, which may hold a tracking token or a search; no
client address either.
"""

from __future__ import annotations

import logging

from gunicorn.glogging import Logger

from app.observability import logs


class JsonLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        logs.configure(cfg.loglevel)
        for logger in (self.error_log, self.access_log):
            logger.handlers[:] = []
            logger.propagate = True
        # Access lines are INFO: a server started with --log-level warning logs none.
        self.access_log.setLevel(max(logging.INFO, logging.getLogger().level))

    def access(self, resp, req, environ, request_time) -> None:
        if not self.cfg.accesslog:
            return
        self.access_log.info(
            "access",
            extra={
                "fields": {
                    "request_id": environ.get(logs.ENVIRON_REQUEST_ID),
                    "council": environ.get(logs.ENVIRON_COUNCIL) or None,
                    "route": environ.get(logs.ENVIRON_ROUTE, "(not routed)"),
                    "method": environ.get("REQUEST_METHOD"),
                    "status": resp.status_code if hasattr(resp, "status_code") else int(str(resp.status)[:3]),
                    "duration_ms": round(request_time.total_seconds() * 1000, 1),
                    "bytes": getattr(resp, "sent", None),
                }
            },
        )
