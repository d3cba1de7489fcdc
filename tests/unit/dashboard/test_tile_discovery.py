"""Every tile module is found whichever module is imported first."""

import subprocess
import sys

from app.config import PROJECT_ROOT


def test_a_tile_module_imported_first_is_still_a_tile():
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "import app.dashboard.tile_kinds.planning\n"
            "from app.dashboard.tiles import TILE_NAMES\n"
            "print(*TILE_NAMES)",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert found.stdout.split() == ["bins", "council_tax", "planning", "street_reports", "cases"]
