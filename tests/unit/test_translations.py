import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from app.config import PROJECT_ROOT

PYBABEL = str(Path(sys.executable).parent / "pybabel")
TEMPLATE = PROJECT_ROOT / "translations" / "messages.pot"


def message_ids(path):
    with path.open("rb") as file:
        return {(message.context, str(message.id)) for message in read_po(file) if message.id}


def test_the_committed_translation_template_is_up_to_date(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            PYBABEL,
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=PROJECT_ROOT,
        check=True,
    )
    missing = message_ids(fresh) - message_ids(TEMPLATE)
    removed = message_ids(TEMPLATE) - message_ids(fresh)
    assert not missing and not removed, (
        f"translations/messages.pot is stale: run `make translations` "
        f"({len(missing)} new messages, {len(removed)} removed)"
    )
