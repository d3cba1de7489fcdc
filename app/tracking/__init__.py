"""Tracking requests after they reach a council: status sync, followers, and what residents add to a case.

init_app plugs it into the reports colleague's machinery without changing it: the outbox learns to deliver
case updates, and the delivery worker runs the status sync as one of its steps.
"""

from __future__ import annotations

from flask import Flask

from app.tracking import cases, cli, personal_data, updates  # noqa: F401 - personal_data registers on import


def init_app(app: Flask) -> None:
    updates.register()
    app.extensions.setdefault("worker_steps", []).append(cli.worker_step)
    app.cli.add_command(cli.tracking_cli)
    app.add_template_global(cases.crm_case_id, "crm_case_id")
