"""The weight of "where is the problem?" with its map: the place page of a pothole report, as a browser with
JavaScript fetches it (HTML, stylesheets, scripts and the modules they import; map tiles excluded), each
gzipped. Prints `report map page weight (gzip, KB)`; the target is 100 KB.

    .venv/bin/python bench/report_map.py      (`make bench` runs it)
"""

from __future__ import annotations

import gzip
import re
import shutil
import sys
import tempfile
from pathlib import Path

from flask_migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402 - after the project root is on the path
from bench.support import say  # noqa: E402

HOST = "norwich.localhost"


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-report-map-"))
    try:
        app = create_app(
            "test", INSTANCE_DIR=work, SQLALCHEMY_DATABASE_URI=f"sqlite:///{work / 'bench.sqlite3'}"
        )
        with app.app_context():
            upgrade()
        client = app.test_client()
        form = client.get("/report", base_url=f"http://{HOST}/").text
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        data = {"report_type": "pothole", "csrf_token": csrf}
        started = client.post("/report", data=data, base_url=f"http://{HOST}/")
        token = started.headers["Location"].split("/report/", 1)[1].split("/", 1)[0]
        page = client.get(f"/report/{token}/place", base_url=f"http://{HOST}/")
        assert page.status_code == 200 and "data-map" in page.text, page.status_code
        html = page.text
        assets = re.findall(r'<(?:link rel="stylesheet" href|script[^>]*src)="(/static/[^"?]+)', html)
        files = [ROOT / path.lstrip("/") for path in assets]
        for module in [file for file in files if file.suffix == ".mjs"]:
            files += [
                module.parent / name
                for name in re.findall(r"from ['\"]\./([^'\"]+)['\"]", module.read_text())
            ]
        sizes = {"html": len(gzip.compress(html.encode()))}
        for file in files:
            sizes[file.name] = len(gzip.compress(file.read_bytes()))
        say(
            "report map page files", ", ".join(f"{name} {size / 1024:.1f} KB" for name, size in sizes.items())
        )
        say("report map page weight (gzip, KB)", f"{sum(sizes.values()) / 1024:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
