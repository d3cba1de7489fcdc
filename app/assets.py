"""Front-end assets: one stylesheet per council compiled by Sass from its theme, and vendored JS.

`flask assets build` (or `npm run build`) writes static/dist/ with static/build.mjs. Every asset is served by
the portal itself; URLs carry a content hash so browsers may cache them for a year.
"""

import hashlib
import os
import subprocess
from functools import cache
from pathlib import Path

from flask import Flask, current_app, url_for
from flask.cli import AppGroup

from app.config import PROJECT_ROOT

DIST_DIR = PROJECT_ROOT / "static" / "dist"
BUILD_SCRIPT = PROJECT_ROOT / "static" / "build.mjs"

assets_cli = AppGroup("assets", help="Build the front-end assets.")


@assets_cli.command("build")
def build_assets() -> None:
    """Compile every council's stylesheet and copy the vendored scripts into static/dist/ (static/build.mjs,
    which `npm run build` also runs)."""
    subprocess.run(  # noqa: S603 - node running our own build script
        ["node", str(BUILD_SCRIPT)],  # noqa: S607 - node from PATH, as npm finds it
        check=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PORTAL_THEMES_DIR": str(current_app.config["THEMES_DIR"])},
    )


@cache
def _content_hash(path: Path, modified: float) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def asset_url(filename: str) -> str:
    """The URL of a file under static/, with a content hash so that a changed file is a new URL."""
    path = Path(current_app.static_folder) / filename
    try:
        version = _content_hash(path, path.stat().st_mtime)
    except FileNotFoundError:
        version = "missing"
    return url_for("static", filename=filename, v=version)


def init_app(app: Flask) -> None:
    app.cli.add_command(assets_cli)
    app.jinja_env.globals["asset_url"] = asset_url
