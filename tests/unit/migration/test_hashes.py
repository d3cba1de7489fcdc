"""Each legacy scheme's verifier against published vectors of its reference algorithm, in the format the
district exports use (docs/migration.md)."""

import base64
import struct

import pytest

from app.migration.hashes import is_usable, verify

# Openwall's bcrypt test vector (crypt_blowfish), "U*U" at cost 5.
BCRYPT = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
# RFC 7914 section 11: PBKDF2-HMAC-SHA256("passwd", "salt", 1); Django keeps the first 32 bytes, base64.
DJANGO = "pbkdf2_sha256$1$salt$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLw="
# RFC 6070: PBKDF2-HMAC-SHA1("passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 25),
# laid out as ASP.NET Core Identity v3: 0x01, PRF (0 = SHA-1), iterations, salt length, salt, subkey.
ASPNET_SALT = b"saltSALTsaltSALTsaltSALTsaltSALTsalt"
ASPNET = base64.b64encode(
    b"\x01"
    + struct.pack(">III", 0, 4096, len(ASPNET_SALT))
    + ASPNET_SALT
    + bytes.fromhex("3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038")
).decode()
# FIPS 180 "abc": SHA-1("a" + "bc").
SHA1 = "a$a9993e364706816aba3e25717850c26c9cd0d89d"

VECTORS = [
    ("bcrypt", BCRYPT, "U*U"),
    ("pbkdf2_sha256", DJANGO, "passwd"),
    ("aspnet_identity_v3", ASPNET, "passwordPASSWORDpassword"),
    ("sha1_salted", SHA1, "bc"),
]


@pytest.mark.parametrize(("scheme", "stored", "password"), VECTORS)
def test_the_right_password_matches(scheme, stored, password):
    assert is_usable(scheme, stored)
    assert verify(scheme, stored, password)


@pytest.mark.parametrize(("scheme", "stored", "password"), VECTORS)
def test_a_wrong_password_does_not(scheme, stored, password):
    assert not verify(scheme, stored, password + "x")
    assert not verify(scheme, stored, "")


@pytest.mark.parametrize(("scheme", "stored", "password"), VECTORS)
def test_another_scheme_never_accepts_the_hash(scheme, stored, password):
    for other, _stored, _password in VECTORS:
        if other != scheme:
            assert not verify(other, stored, password)


@pytest.mark.parametrize(
    ("scheme", "stored"),
    [
        ("bcrypt", "$2a$05$short"),
        ("bcrypt", "$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
        ("pbkdf2_sha256", "pbkdf2_sha256$many$salt$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLw="),
        ("pbkdf2_sha256", "pbkdf2_sha256$1$salt$not base64!"),
        ("pbkdf2_sha256", "pbkdf2_sha1$1$salt$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLw="),
        ("aspnet_identity_v3", base64.b64encode(b"\x00" + b"\x00" * 40).decode()),
        ("aspnet_identity_v3", ASPNET[:30]),
        ("sha1_salted", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("sha1_salted", "a$nothex"),
        ("md5_crypt", "$1$abc$def"),
        ("bcrypt", ""),
    ],
)
def test_malformed_hashes_are_not_usable_and_never_match(scheme, stored):
    assert not is_usable(scheme, stored)
    assert not verify(scheme, stored, "anything")


def test_the_generated_low_cost_hashes_match_their_passwords():
    from bench.migration_data import SCHEMES, hashed

    for scheme in filter(None, SCHEMES):
        stored = hashed(scheme, "password-SN000001")
        assert is_usable(scheme, stored)
        assert verify(scheme, stored, "password-SN000001")
        assert not verify(scheme, stored, "password-SN000002")
