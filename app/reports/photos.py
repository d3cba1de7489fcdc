"""Photos people attach to reports: checked by their content, never their name, and stripped of metadata.

A phone photo carries EXIF: the camera, the time and often the GPS position of the person's home. The portal
decodes the image and re-encodes only its pixels (turned upright first, since orientation is EXIF too), so no
metadata reaches the database or a council's back office.

A small file can claim enormous dimensions (a "decompression bomb": 600 KB of PNG that decodes to 13,000 x
13,000 pixels and gigabytes of memory). The size in the file's header is checked before any pixel is decoded,
Pillow's own bomb warning is an error, and only the expected formats are opened at all.
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


class TooManyPhotos(PhotoRejected):
    """One client sent more photos than PHOTO_RATE_LIMIT allows."""

    status = 429


@dataclass(frozen=True)
class CleanPhoto:
    content_type: str
    data: bytes
    width: int
    height: int


def clean_photo(data: bytes, max_bytes: int) -> CleanPhoto:

    if not data:
        raise PhotoRejected(_("The selected file is empty"))
    if len(data) > max_bytes:
        raise PhotoRejected(
            _("The selected file must be smaller than %(size)s MB", size=max_bytes // 1_000_000)
        )
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
    decoded: checking an image costs far more than receiving it."""
    until = rate_limits.take("PHOTO_RATE_LIMIT", get_remote_address())
    if until is not None:
        raise TooManyPhotos(
            _(
                "You have uploaded a lot of photos in a short time. Try again after %(time)s",
                time=rate_limits.when(until),
            )
        )
    return clean_photo(data, current_app.config["PHOTO_MAX_BYTES"])
