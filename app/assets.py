"""Front-end assets: one stylesheet per council compiled by Sass from its theme, and vendored JS.

`flask assets build` writes static/dist/. Every asset is served by the portal itself; URLs carry a
content hash so browsers may cache them for a year.
"""

import hashlib
import shutil
import subprocess
from functools import cache
from pathlib import Path

import click
from flask import Flask, current_app, url_for
from flask.cli import AppGroup

from app.config import PROJECT_ROOT
from app.themes import Brand

STATIC_DIR = PROJECT_ROOT / "static"
DIST_DIR = STATIC_DIR / "dist"
NODE_MODULES = PROJECT_ROOT / "node_modules"
# The brand of pages that belong to no council (the list of councils, an unknown address).
PORTAL_BRAND = Brand(primary="#2b3a42", link="#1a5276")
VENDORED_FILES = {
    NODE_MODULES / "htmx.org/dist/htmx.min.js": "htmx.min.js",
    NODE_MODULES / "govuk-frontend/dist/govuk/govuk-frontend.min.js": "govuk-frontend.min.js",
    STATIC_DIR / "src/portal.mjs": "portal.mjs",
}

assets_cli = AppGroup("assets", help="Build the front-end assets.")


def _sass_entry(brand: Brand, extra_use: str = "") -> str:
    return (
        "// Written by `flask assets build` from a theme.toml: do not edit.\n"
        f'@use "static/src/portal" with ($brand-colour: {brand.primary}, $link-colour: {brand.link});\n'
        f"{extra_use}"
    )


@assets_cli.command("build")
def build_assets() -> None:
    """Compile every council's stylesheet and copy the vendored scripts into static/dist/."""
    build_dir = PROJECT_ROOT / "build" / "sass"
    build_dir.mkdir(parents=True, exist_ok=True)
    DIST_DIR.mkdir(parents=True, exist_ok=True)
    pairs = []
    entry = build_dir / "portal.scss"
    entry.write_text(_sass_entry(PORTAL_BRAND))
    pairs.append(f"{entry}:{DIST_DIR / 'portal.css'}")
    for theme in current_app.extensions["themes"]:
        brand_scss = theme.directory / "brand.scss"
        extra = (
            f'@use "{brand_scss.relative_to(PROJECT_ROOT).with_suffix("")}";\n'
            if brand_scss.is_file()
            else ""
        )
        entry = build_dir / f"{theme.slug}.scss"
        entry.write_text(_sass_entry(theme.brand, extra))
        pairs.append(f"{entry}:{DIST_DIR / (theme.slug + '.css')}")
        wordmarks = DIST_DIR / "wordmarks"
        wordmarks.mkdir(exist_ok=True)
        shutil.copyfile(theme.wordmark_path, wordmarks / f"{theme.slug}.svg")
    subprocess.run(  # noqa: S603 - our own node_modules binary with paths we built
        [
            str(NODE_MODULES / ".bin/sass"),
            "--no-source-map",
            "--style=compressed",
            "--quiet-deps",
            f"--load-path={PROJECT_ROOT}",
            *pairs,
        ],
        check=True,
        cwd=PROJECT_ROOT,
    )
    for source, name in VENDORED_FILES.items():
        shutil.copyfile(source, DIST_DIR / name)
    click.echo(f"Built {len(pairs)} stylesheets and {len(VENDORED_FILES)} scripts into {DIST_DIR}")


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
