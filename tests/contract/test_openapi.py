"""The contracts themselves: each docs/api/*.yaml is valid OpenAPI 3.1; every recorded answer (and so the
sandbox, which the recordings are made from) matches the schema its operation documents for that status; and
the recordings are what the sandbox answers today."""

import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.config import PROJECT_ROOT
from tests.contract.recorder import RECORDINGS, record

CONTRACTS = {
    "bins": "bins.yaml",
    "council-tax": "council-tax.yaml",
    "planning": "planning.yaml",
    "cases": "cases.yaml",
    "waste": "waste.yaml",
}
SPEC_URI = "urn:my-norfolk:contract"


def load(service: str) -> dict:
    return yaml.safe_load((PROJECT_ROOT / "docs" / "api" / CONTRACTS[service]).read_text(encoding="utf-8"))


@pytest.mark.parametrize("service", CONTRACTS)
def test_every_contract_is_valid_openapi(service):
    validate(load(service))


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def _operation(spec: dict, method: str, path: str) -> tuple[str, dict]:
    for template, operations in spec["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return template, operations[method.lower()]
    raise AssertionError(f"{method} {path} is not an operation of the contract")


def recordings() -> list[Path]:
    return sorted(RECORDINGS.glob("*.json"))


@pytest.mark.parametrize("recording", recordings(), ids=lambda path: path.stem)
def test_every_recorded_answer_matches_its_documented_schema(recording):
    exchange = json.loads(recording.read_text(encoding="utf-8"))
    service, _council, operation_path = re.match(
        r"^/([a-z-]+)/([a-z-]+)(/.*)$", exchange["request"]["path"]
    ).groups()
    spec = load(service)
    template, operation = _operation(spec, exchange["request"]["method"], operation_path)
    status = str(exchange["response"]["status"])
    assert status in operation["responses"], f"{status} is not a documented answer of {template}"

    response = operation["responses"][status]
    pointer = _pointer("paths", template, exchange["request"]["method"].lower(), "responses", status)
    if "$ref" in response:
        pointer = response["$ref"].removeprefix("#/")
        response = spec["components"]["responses"][pointer.rsplit("/", 1)[1]]
    assert exchange["response"]["content_type"].startswith("application/json")
    schema = {"$ref": f"{SPEC_URI}#/{pointer}/{_pointer('content', 'application/json', 'schema')}"}
    registry = Registry().with_resource(
        SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    Draft202012Validator(schema, registry=registry).validate(exchange["response"]["body"])


def test_the_recordings_are_what_the_sandbox_answers(tmp_path):
    for fresh in record(tmp_path):
        committed = RECORDINGS / fresh.name
        assert committed.exists(), f"{fresh.name} is new: run .venv/bin/python -m tests.contract.recorder"
        assert json.loads(fresh.read_text()) == json.loads(committed.read_text()), (
            f"{fresh.name} changed: if that is meant, run .venv/bin/python -m tests.contract.recorder"
        )
