"""Photos people attach to reports: checked by their content, never their name, and stripped of metadata.

A phone photo carries EXIF: the camera, the time and often the GPS position of the person's home. The portal
decodes the image and re-encodes only its pixels (turned upright first, since orientation is EXIF too), so no
metadata reaches the database or a council's back office.

A small file can claim enormous dimensions (a "decompression bomb": 600 KB of PNG that decodes to 13,000 x
13,000 pixels and gigabytes of memory). The size in the file's header is checked before any pixel is decoded,
Pillow's own bomb warning is an error, and only the expected formats are opened at all.

Before any of that, when PORTAL_CLAMD_ADDRESS is set, the file as it was uploaded is scanned by ClamAV
(connectors/clamav.py). A file clamd finds something in is refused, and so is every file while clamd cannot
be asked: a photo is never accepted unscanned, and the person can go on without it.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from app import rate_limits
from app.auth.audit import record_security_event
from connectors.clamav import ClamdScanner, ScannerUnavailable, parse_address

register_heif_opener()

# What Pillow calls the formats people may send, and what each is stored as: HEIC is re-encoded as JPEG
# because few back offices (and no browsers but Safari) can show it.
ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "HEIF": "image/jpeg"}
LONGEST_SIDE = 2560
# More than any phone camera's usual photo (48 megapixels at most), far less than a bomb.
MAX_PIXELS = 50_000_000


class PhotoRejected(ValueError):
    """The file cannot be used; the message is shown to the person."""

    status = 200


class PhotoInfected(PhotoRejected):
    """The virus scanner found something in the file."""


class PhotoNotScanned(PhotoRejected):
    """The virus scanner could not be asked, so the file is refused."""


class TooManyPhotos(PhotoRejected):
    """One client sent more photos than PHOTO_RATE_LIMIT allows."""

    status = 429


@dataclass(frozen=True)
class CleanPhoto:
    content_type: str
    data: bytes
    width: int
    height: int


def check_size(data: bytes, max_bytes: int) -> None:
    if not data:
        raise PhotoRejected(_("The selected file is empty"))
    if len(data) > max_bytes:
        raise PhotoRejected(
            _("The selected file must be smaller than %(size)s MB", size=max_bytes // 1_000_000)
        )


def scanner() -> ClamdScanner | None:
    address = current_app.config.get("CLAMD_ADDRESS")
    if not address:
        return None
    host, port = parse_address(address)
    return ClamdScanner(host, port, current_app.config["CLAMD_TIMEOUT_SECONDS"])


def scan_for_viruses(data: bytes) -> None:
    """Refuse the file when clamd finds something in it, or cannot be asked."""
    chosen = scanner()
    if chosen is None:
        return
    try:
        result = chosen.scan(data)
    except ScannerUnavailable as problem:
        current_app.logger.error("An uploaded photo was refused unscanned: %s", problem)
        raise PhotoNotScanned(
            _(
                "We cannot check photos for viruses at the moment, so we cannot accept the selected file. "
                "Try again later, or continue without a photo"
            )
        ) from None
    if not result.clean:
        current_app.logger.warning("An uploaded photo was refused: clamd found %s", result.signature)
        record_security_event("infected_upload_refused", signature=result.signature[:200])
        raise PhotoInfected(
            _("The selected file contains a virus. Choose a different photo, or continue without one")
        )


def clean_photo(data: bytes, max_bytes: int) -> CleanPhoto:
    check_size(data, max_bytes)
    too_big = _(
        "The selected photo is too big: it must be %(megapixels)s megapixels or fewer. "
        "Choose a photo straight from a phone or camera",
        megapixels=MAX_PIXELS // 1_000_000,
    )
    not_a_photo = _("The selected file must be a JPG, PNG or HEIC photo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Opening reads only the header: the format and the size are known before any pixel is decoded.
            with Image.open(io.BytesIO(data), formats=tuple(ACCEPTED_FORMATS)) as probe:
                image_format = probe.format
                if probe.width * probe.height > MAX_PIXELS:
                    raise PhotoRejected(too_big)
                probe.verify()
            with Image.open(io.BytesIO(data), formats=tuple(ACCEPTED_FORMATS)) as image:
                # A JPEG is decoded straight at a reduced scale when it is larger than what is kept.
                image.draft(None, (LONGEST_SIDE, LONGEST_SIDE))
                image.load()
                upright = ImageOps.exif_transpose(image)
    except PhotoRejected:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise PhotoRejected(too_big) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PhotoRejected(not_a_photo) from None

    upright.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    content_type = ACCEPTED_FORMATS[image_format]
    output = io.BytesIO()
    if content_type == "image/png":
        pixels = upright.convert(
            "RGBA" if "A" in upright.getbands() or "transparency" in upright.info else "RGB"
        )
        # A fresh image from raw pixels: nothing of `info` (EXIF, text chunks, ICC profile) is carried over.
        Image.frombytes(pixels.mode, pixels.size, pixels.tobytes()).save(output, "PNG", optimize=True)
    else:
        pixels = upright.convert("RGB")
        Image.frombytes("RGB", pixels.size, pixels.tobytes()).save(output, "JPEG", quality=88)
    return CleanPhoto(
        content_type=content_type, data=output.getvalue(), width=upright.width, height=upright.height
    )


def photo_from_upload(data: bytes) -> CleanPhoto:
    """A photo someone uploaded, counted against their client address's PHOTO_RATE_LIMIT before it is
    scanned and decoded: checking an image costs far more than receiving it."""
    until = rate_limits.take("PHOTO_RATE_LIMIT", get_remote_address())
    if until is not None:
        raise TooManyPhotos(
            _(
                "You have uploaded a lot of photos in a short time. Try again after %(time)s",
                time=rate_limits.when(until),
            )
        )
    check_size(data, current_app.config["PHOTO_MAX_BYTES"])
    scan_for_viruses(data)
    return clean_photo(data, current_app.config["PHOTO_MAX_BYTES"])
