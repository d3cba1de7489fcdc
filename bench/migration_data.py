"""Generated district portal and shared identity exports for `make bench-migration` and the tests.

Every password scheme appears, with the reference algorithms' formats but LOW COST FACTORS (bcrypt cost 4,
1,000 PBKDF2 iterations) so that generating 12,000 accounts takes seconds: hashes are checked at sign-in, one
at a time, never during the migration, so their cost does not change what the benchmark measures.
Each account's password is `password-<account_id>`, so a test can sign in as any of them.

For trying a migration by hand (docs/migration.md, "Trying it in development"):

    .venv/bin/python bench/migration_data.py DIRECTORY [--accounts 12000] [--encoding cp1252]

writes DIRECTORY/district.csv and DIRECTORY/identity.jsonl and prints what the plan should count.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import json
import os
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

import bcrypt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.migration.exports import DISTRICT_HEADER  # noqa: E402

LOW_COST_ITERATIONS = 1_000
# Every generated account lives at the sandbox's 12 Orchard Way, Wymondham, with its council tax account, so
# a migrated resident's dashboard shows both from the sandbox back offices.
SANDBOX_UPRN = "2630112001"
SANDBOX_COUNCIL_TAX_ACCOUNT = "26012345"
BCRYPT_SALT = bcrypt.gensalt(rounds=4)


def password_of(account_id: str) -> str:
    return f"password-{account_id}"


def django_pbkdf2_sha256(password: str, salt: str, iterations: int = LOW_COST_ITERATIONS) -> str:
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(derived).decode()}"


def aspnet_identity_v3(
    password: str, salt: bytes, iterations: int = LOW_COST_ITERATIONS, prf: int = 1
) -> str:
    digest = {0: "sha1", 1: "sha256", 2: "sha512"}[prf]
    subkey = hashlib.pbkdf2_hmac(digest, password.encode(), salt, iterations, dklen=32)
    header = b"\x01" + struct.pack(">III", prf, iterations, len(salt))
    return base64.b64encode(header + salt + subkey).decode()


def sha1_salted(password: str, salt: str) -> str:
    return f"{salt}${hashlib.sha1((salt + password).encode()).hexdigest()}"  # noqa: S324


def hashed(scheme: str, password: str) -> str:
    if scheme == "bcrypt":
        return bcrypt.hashpw(password.encode(), BCRYPT_SALT).decode()
    if scheme == "pbkdf2_sha256":
        return django_pbkdf2_sha256(password, os.urandom(6).hex())
    if scheme == "aspnet_identity_v3":
        return aspnet_identity_v3(password, os.urandom(16))
    if scheme == "sha1_salted":
        return sha1_salted(password, os.urandom(4).hex())
    return ""


SCHEMES = ("bcrypt", "pbkdf2_sha256", "aspnet_identity_v3", "sha1_salted", "")


@dataclass(frozen=True)
class Expected:
    both: int
    district_only: int
    shared_only: int
    needs_review: int
    must_reset: int


def generate(directory: Path, accounts: int = 12_000, encoding: str = "utf-8") -> tuple[Path, Path, Expected]:
    """A district export of `accounts` rows and a matching identity export. Of every 100 accounts: 40 are
    on both (scenario 1), 50 on the district only (10 of them without a usable hash: must reset), 4 have
    unverified emails, 4 are two pairs sharing an email, 1 has an unknown scheme and 1 is a malformed row.
    60 identities in every 100 accounts' worth have no district account (scenario 3)."""
    district = directory / "district.csv"
    identity = directory / "identity.jsonl"
    counts = {"both": 0, "district_only": 0, "shared_only": 0, "review": 0, "reset": 0}
    with district.open("w", newline="", encoding=encoding) as csv_file, identity.open("w") as jsonl:
        writer = csv.writer(csv_file)
        writer.writerow(DISTRICT_HEADER)
        for number in range(accounts):
            account_id = f"SN{number:06d}"
            slot = number % 100
            email = f"resident{number}@example.net"
            verified = "true"
            scheme = SCHEMES[number % 4]
            if slot < 40:
                counts["both"] += 1
                jsonl.write(_identity(f"shared-{number}", email) + "\n")
            elif slot < 90:
                counts["district_only"] += 1
                if slot >= 80:
                    scheme = ""
                    counts["reset"] += 1
            elif slot < 94:
                verified = "false"
                counts["review"] += 1
            elif slot < 98:
                email = f"shared-mailbox{number // 100}-{slot // 2}@example.net"
                counts["review"] += 1
            elif slot == 98:
                scheme = "md5_crypt"
                counts["review"] += 1
            else:
                writer.writerow([account_id, "not-an-email", "maybe"])
                counts["review"] += 1
                continue
            password = password_of(account_id)
            stored = "$1$abc$def" if scheme == "md5_crypt" else hashed(scheme, password)
            writer.writerow(
                [
                    account_id,
                    email,
                    verified,
                    "Zoë" if number % 7 == 0 else "Sam",
                    f"Resident{number}",
                    "01603 000000",
                    SANDBOX_UPRN,
                    "NR18 0SX",
                    SANDBOX_COUNCIL_TAX_ACCOUNT,
                    stored,
                    scheme,
                    "2019-04-01T09:00:00Z",
                    "2026-10-01T18:30:00Z",
                ]
            )
        for number in range(accounts * 60 // 100):
            counts["shared_only"] += 1
            jsonl.write(_identity(f"shared-only-{number}", f"someone{number}@example.org") + "\n")
    expected = Expected(
        counts["both"], counts["district_only"], counts["shared_only"], counts["review"], counts["reset"]
    )
    return district, identity, expected


def _identity(subject: str, email: str) -> str:
    return json.dumps(
        {
            "id": subject,
            "givenName": "Sam",
            "surname": "Resident",
            "identities": [
                {
                    "signInType": "emailAddress",
                    "issuer": "sandbox.my-norfolk.localhost",
                    "issuerAssignedId": email,
                }
            ],
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="Generate a district export and a matching identity export.")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--accounts", type=int, default=12_000)
    parser.add_argument("--encoding", default="utf-8", help="the district export's, e.g. cp1252")
    arguments = parser.parse_args()
    arguments.directory.mkdir(parents=True, exist_ok=True)
    district, identity, expected = generate(arguments.directory, arguments.accounts, arguments.encoding)
    print(f"district export: {district}")
    print(f"identity export: {identity}")
    print(f"expected: scenario 1 (both): {expected.both}")
    print(f"expected: scenario 2 (district only): {expected.district_only}")
    print(f"expected: scenario 3 (shared identity only): {expected.shared_only}")
    print(f"expected: needs review: {expected.needs_review}")
    print(f"expected: must reset password: {expected.must_reset}")
    print("every account's password: password-<account_id>, e.g. password-SN000040 for SN000040")
    return 0


if __name__ == "__main__":
    sys.exit(main())
