"""Sorting a district's accounts into the three scenarios, and what goes to review."""

import csv
import json

import pytest

from app.migration.exports import DISTRICT_HEADER, ExportError, make_plan
from bench.migration_data import generate, hashed

HEADER = ",".join(DISTRICT_HEADER)


def _row(account_id, email, verified="true", scheme="sha1_salted", given="Sam", stored=None):
    stored = hashed(scheme, "pw") if stored is None else stored
    return (
        f"{account_id},{email},{verified},{given},Smith,01603 000000,2630112001,NR18 0SX,26000001,"
        f"{stored},{scheme},2019-04-01T09:00:00Z,2026-10-01T18:30:00Z"
    )


def _identity(subject, email):
    return json.dumps(
        {
            "id": subject,
            "identities": [{"signInType": "emailAddress", "issuer": "x", "issuerAssignedId": email}],
        }
    )


@pytest.fixture
def exports(tmp_path):
    def write(rows, identities, encoding="utf-8"):
        district = tmp_path / "district.csv"
        district.write_text("\n".join([HEADER, *rows]) + "\n", encoding=encoding)
        identity = tmp_path / "identity.jsonl"
        identity.write_text("\n".join(identities) + "\n")
        return district, identity

    return write


def test_the_arithmetic_of_a_generated_export(tmp_path):
    district, identity, expected = generate(tmp_path, accounts=300)
    plan = make_plan(district, identity)
    assert plan.summary() == [
        f"scenario 1 (both): {expected.both}",
        f"scenario 2 (district only): {expected.district_only}",
        f"scenario 3 (shared identity only): {expected.shared_only}",
        f"needs review: {expected.needs_review}",
        f"must reset password: {expected.must_reset}",
    ]
    assert len(plan.both) + len(plan.district_only) + plan.needs_review == 300


def test_each_kind_of_account_and_what_goes_to_review(exports, tmp_path):
    district, identity = exports(
        [
            _row("A1", " Both@Example.com ", scheme="bcrypt"),
            _row("A2", "only@example.com", scheme="pbkdf2_sha256"),
            _row("A3", "nopassword@example.com", scheme="", stored=""),
            _row("A4", "unverified@example.com", verified="false"),
            _row("A5", "pair@example.com"),
            _row("A6", "PAIR@example.com"),
            _row("A7", "odd@example.com", scheme="md5_crypt", stored="$1$abc$def"),
            "A8,broken",
            _row("A9", "bad-hash@example.com", scheme="aspnet_identity_v3", stored="bm90IGEgaGFzaA=="),
            _row("A10", "control@example.com", given="Sam\x07"),
        ],
        [_identity("s-both", "both@example.com"), _identity("s-other", "other@example.com"), "not json"],
    )
    plan = make_plan(district, identity)
    assert plan.summary() == [
        "scenario 1 (both): 1",
        "scenario 2 (district only): 2",
        "scenario 3 (shared identity only): 1",
        "needs review: 7",
        "must reset password: 1",
    ]
    assert plan.both[0][1] == "s-both"
    review_file = tmp_path / "review.csv"
    plan.write_review(review_file)
    rows = list(csv.DictReader(review_file.read_text().splitlines()))
    reasons = {row["line"]: (row["account_id"], row["reason"]) for row in rows}
    assert reasons["5"] == ("A4", "email address not verified")
    assert reasons["6"][1] == reasons["7"][1] == "another district account has this email address"
    assert reasons["8"] == ("A7", "unknown password scheme 'md5_crypt'")
    assert reasons["9"] == ("A8", "malformed row: 2 fields, not 13")
    assert reasons["10"] == ("A9", "password_hash is not a aspnet_identity_v3 hash")
    assert reasons["11"] == ("A10", "malformed row: given_name has control characters")
    text = review_file.read_text()
    assert "bm90IGEgaGFzaA==" not in text
    assert "$1$abc$def" not in text


def test_windows_1252_exports_are_read_with_their_encoding(exports):
    district, identity = exports([_row("A1", "zoe@example.com", given="Zoë")], [], encoding="cp1252")
    assert make_plan(district, identity, "cp1252").district_only[0].given_name == "Zoë"
    # Read as UTF-8, the row is set aside with its line number rather than stopping the run.
    plan = make_plan(district, identity, "utf-8")
    assert plan.needs_review == 1
    assert plan.review[0].line == 2
    assert "not valid in the file's encoding" in plan.review[0].reason


def test_a_file_without_the_header_is_refused(tmp_path):
    district = tmp_path / "district.csv"
    district.write_text("id,email\n1,a@b.c\n")
    identity = tmp_path / "identity.jsonl"
    identity.write_text("")
    with pytest.raises(ExportError, match="header"):
        make_plan(district, identity)
