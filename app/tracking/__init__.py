"""Tracking requests after they reach a council: status sync, followers, and what residents add to a case.

Case updates go to the councils through the outbox (app.tracking.updates declares their handler); the
delivery worker runs the status sync as one of its steps.
"""

from __future__ import annotations

from flask import Flask

# personal_data and updates register (personal data, the outbox's handler) on import
from app.tracking import cases, cli, personal_data, updates  # noqa: F401


def init_app(app: Flask) -> None:
    app.extensions.setdefault("worker_steps", []).append(cli.worker_step)
    app.cli.add_command(cli.tracking_cli)
    app.add_template_global(cases.crm_case_id, "crm_case_id")
