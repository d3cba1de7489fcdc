"""The district portals' password hashes, checked with the reference algorithms: bcrypt (the `bcrypt`
package), Django's pbkdf2_sha256, ASP.NET Core Identity's version 3 format and a salted SHA-1.

Every comparison of derived keys is constant-time (hmac.compare_digest). A hash that cannot be parsed is not
usable: its account is asked to set a new password instead.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from collections.abc import Callable

import bcrypt

# ASP.NET Core Identity v3: KeyDerivationPrf values.
ASPNET_PRFS = {0: "sha1", 1: "sha256", 2: "sha512"}
MAX_ITERATIONS = 10_000_000


class UnusableHash(ValueError):
    """The stored value is not a hash of its scheme."""


BCRYPT_ALPHABET = frozenset("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


def _bcrypt_shape(stored: str) -> None:
    parts = stored.split("$")
    if (
        len(stored) != 60
        or len(parts) != 4
        or parts[1] not in ("2a", "2b", "2y")
        or not parts[2].isdigit()
        or not 4 <= int(parts[2]) <= 31
        or not set(parts[3]) <= BCRYPT_ALPHABET
    ):
        raise UnusableHash("not a bcrypt hash")


def _bcrypt(password: str, stored: str) -> bool:
    _bcrypt_shape(stored)
    try:
        return bcrypt.checkpw(password.encode(), stored.encode("ascii"))
    except ValueError as error:
        raise UnusableHash("not a bcrypt hash") from error


def _django_parts(stored: str) -> tuple[int, str, bytes]:
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != "pbkdf2_sha256" or not parts[1].isdigit() or not parts[2]:
        raise UnusableHash("not pbkdf2_sha256$<iterations>$<salt>$<hash>")
    iterations = int(parts[1])
    try:
        expected = base64.b64decode(parts[3], validate=True)
    except binascii.Error as error:
        raise UnusableHash("the hash is not base64") from error
    if not 0 < iterations <= MAX_ITERATIONS or len(expected) != 32:
        raise UnusableHash("unexpected iterations or hash length")
    return iterations, parts[2], expected


def _django_pbkdf2_sha256(password: str, stored: str) -> bool:
    iterations, salt, expected = _django_parts(stored)
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return hmac.compare_digest(derived, expected)


def _aspnet_parts(stored: str) -> tuple[str, int, bytes, bytes]:
    try:
        decoded = base64.b64decode(stored, validate=True)
    except binascii.Error as error:
        raise UnusableHash("not base64") from error
    if len(decoded) < 13 or decoded[0] != 0x01:
        raise UnusableHash("not an ASP.NET Core Identity v3 hash")
    prf, iterations, salt_length = struct.unpack(">III", decoded[1:13])
    salt, subkey = decoded[13 : 13 + salt_length], decoded[13 + salt_length :]
    if prf not in ASPNET_PRFS or not 0 < iterations <= MAX_ITERATIONS or salt_length < 8:
        raise UnusableHash("unexpected PRF, iterations or salt")
    if len(salt) != salt_length or len(subkey) < 16:
        raise UnusableHash("truncated hash")
    return ASPNET_PRFS[prf], iterations, salt, subkey


def _aspnet_identity_v3(password: str, stored: str) -> bool:
    digest, iterations, salt, subkey = _aspnet_parts(stored)
    derived = hashlib.pbkdf2_hmac(digest, password.encode(), salt, iterations, dklen=len(subkey))
    return hmac.compare_digest(derived, subkey)


def _sha1_parts(stored: str) -> tuple[str, bytes]:
    salt, separator, hex_digest = stored.rpartition("$")
    try:
        expected = bytes.fromhex(hex_digest)
    except ValueError as error:
        raise UnusableHash("the hash is not hexadecimal") from error
    if not separator or not salt or len(expected) != 20:
        raise UnusableHash("not <salt>$<hex sha1>")
    return salt, expected


def _sha1_salted(password: str, stored: str) -> bool:
    salt, expected = _sha1_parts(stored)
    return hmac.compare_digest(hashlib.sha1((salt + password).encode()).digest(), expected)  # noqa: S324


VERIFIERS: dict[str, Callable[[str, str], bool]] = {
    "bcrypt": _bcrypt,
    "pbkdf2_sha256": _django_pbkdf2_sha256,
    "aspnet_identity_v3": _aspnet_identity_v3,
    "sha1_salted": _sha1_salted,
}

# Checking that a hash is well formed without deriving anything (planning 12,000 accounts stays fast).
_PARSERS: dict[str, Callable[[str], object]] = {
    "bcrypt": _bcrypt_shape,
    "pbkdf2_sha256": _django_parts,
    "aspnet_identity_v3": _aspnet_parts,
    "sha1_salted": _sha1_parts,
}


def is_usable(scheme: str, stored: str) -> bool:
    """Whether the hash is one of the known schemes and well formed."""
    parser = _PARSERS.get(scheme)
    if parser is None or not stored:
        return False
    try:
        parser(stored)
    except (UnusableHash, ValueError, UnicodeEncodeError):
        return False
    return True


def verify(scheme: str, stored: str, password: str) -> bool:
    """Whether the password matches the stored hash; False for a hash that is not usable."""
    verifier = VERIFIERS.get(scheme)
    if verifier is None or not stored:
        return False
    try:
        return verifier(password, stored)
    except (UnusableHash, ValueError, UnicodeEncodeError):
        return False
