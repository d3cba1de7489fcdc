"""Record the sandbox's Open311 answers (county jurisdiction, JSON and XML) into
tests/contract/recordings/open311/sandbox/, for the Open311 contract suite to replay:

    .venv/bin/python -m tests.contract.open311_recorder

The ``minimal`` recordings next to them are written by hand: a server that sends only what GeoReport v2
requires, with every optional field absent.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sandbox import create_sandbox_app

OUT = Path(__file__).resolve().parent / "recordings" / "open311" / "sandbox"
JURISDICTION = {"jurisdiction_id": "norfolk.gov.uk"}
READS = ("services", "services/pothole", "services/street_light", "requests", "requests/NCC-000001")


def main() -> None:
    app = create_sandbox_app(Path(tempfile.mkdtemp()), SANDBOX_API_KEY="recorder")
    client = app.test_client()
    for fmt in ("json", "xml"):
        for path in READS:
            _save(f"{path}.{fmt}", client.get(f"/open311/v2/{path}.{fmt}", query_string=JURISDICTION))
        updates = client.get(
            f"/open311/v2/servicerequestupdates.{fmt}",
            query_string={**JURISDICTION, "api_key": "recorder", "start_date": "2020-01-01T00:00:00Z"},
        )
        _save(f"servicerequestupdates.{fmt}", updates)
        created = client.post(
            f"/open311/v2/requests.{fmt}",
            data={
                **JURISDICTION,
                "api_key": "recorder",
                "service_code": "street_light",
                "lat": "52.93",
                "long": "1.30",
                "attribute[fault]": "out",
            },
        )
        _save(f"POST-requests.{fmt}", created)


def _save(name: str, response) -> None:
    assert response.status_code in (200, 201), (name, response.status_code, response.data)
    target = OUT / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(response.data)
    print(f"recorded {target.relative_to(OUT.parent.parent.parent)}")


if __name__ == "__main__":
    main()
