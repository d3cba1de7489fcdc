"""Photos people attach to reports: checked by their content, never their name, and stripped of metadata.

A phone photo carries EXIF: the camera, the time and often the GPS position of the person's home. The portal
decodes the image and re-encodes only its pixels (turned upright first, since orientation is EXIF too), so no
metadata reaches the database or a council's back office.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

register_heif_opener()

# What Pillow calls the formats people may send, and what each is stored as: HEIC is re-encoded as JPEG
# because few back offices (and no browsers but Safari) can show it.
ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "HEIF": "image/jpeg"}
LONGEST_SIDE = 2560


class PhotoRejected(ValueError):
    """The file cannot be used; the message is shown to the person."""


@dataclass(frozen=True)
class CleanPhoto:
    content_type: str
    data: bytes
    width: int
    height: int


def clean_photo(data: bytes, max_bytes: int) -> CleanPhoto:
    from flask_babel import gettext as _

    if not data:
        raise PhotoRejected(_("The selected file is empty"))
    if len(data) > max_bytes:
        raise PhotoRejected(
            _("The selected file must be smaller than %(size)s MB", size=max_bytes // 1_000_000)
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            probe.verify()
        if image_format not in ACCEPTED_FORMATS:
            raise PhotoRejected(_("The selected file must be a JPG, PNG or HEIC photo"))
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
    except PhotoRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PhotoRejected(_("The selected file must be a JPG, PNG or HEIC photo")) from None

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
