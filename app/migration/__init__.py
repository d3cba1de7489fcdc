"""Bringing a district portal's accounts into the shared sign-in (docs/migration.md): the exports, the plan,
announcing, migrating, and the legacy password check the identity provider calls at first sign-in."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.migration import cli, views

    cli.init_app(app)
    app.register_blueprint(views.bp)
