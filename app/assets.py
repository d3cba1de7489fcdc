"""Front-end assets: one stylesheet per council compiled by Sass from its theme, and vendored JS.

`flask assets build` (or `npm run build`) writes static/dist/ with static/build.mjs. Every asset is served by
the portal itself; URLs carry a content hash so browsers may cache them for a year.
"""

import hashlib
import os
import subprocess
from functools import cache, lru_cache
from pathlib import Path

from flask import Flask, current_app, has_request_context, request, url_for
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
def _content_hash(path: str, modified: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


@lru_cache(maxsize=256)
def _static_url(filename: str, version: str, script_root: str | None) -> str:
    return url_for("static", filename=filename, v=version)


def asset_url(filename: str) -> str:
    """The URL of a file under static/, with a content hash so that a changed file is a new URL. Every page
    asks for four: the file's modification time is read each time (a rebuilt file is seen at once), its hash
    and its URL only when the file or the application's root path changed."""
    path = os.path.join(current_app.static_folder, filename)
    try:
        version = _content_hash(path, os.stat(path).st_mtime)
    except FileNotFoundError:
        version = "missing"
    # Outside a request (an email rendered by the worker) url_for makes an absolute URL: kept apart.
    return _static_url(filename, version, request.script_root if has_request_context() else None)


def init_app(app: Flask) -> None:
    app.cli.add_command(assets_cli)
    app.jinja_env.globals["asset_url"] = asset_url
