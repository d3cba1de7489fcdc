import io

import pillow_heif
import pytest
from PIL import Image, ImageFile

from app.reports.photos import PhotoRejected, clean_photo
from tests.support.images import png_bomb

pillow_heif.register_heif_opener()
MAX = 10_000_000
GPS_IFD = 0x8825
CAMERA_MAKE = 0x010F
ORIENTATION = 0x0112


def _photo(image_format: str, size=(40, 20), exif: Image.Exif | None = None, **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(
        buffer, image_format, **({"exif": exif} if exif else {}), **save
    )
    return buffer.getvalue()


def _exif_with_gps(rotated: bool = False) -> Image.Exif:
    exif = Image.Exif()
    exif[CAMERA_MAKE] = "TestCam"
    exif[GPS_IFD] = {1: "N", 2: (52.0, 37.0, 30.0), 3: "E", 4: (1.0, 17.0, 0.0)}
    if rotated:
        exif[ORIENTATION] = 6  # the camera was turned: the picture must be shown rotated 90 degrees
    return exif


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_gps_and_every_other_exif_tag_are_removed(image_format):
    original = _photo(image_format, exif=_exif_with_gps())
    assert b"TestCam" in original

    cleaned = clean_photo(original, MAX)

    assert b"TestCam" not in cleaned.data
    assert b"Exif" not in cleaned.data
    stored = Image.open(io.BytesIO(cleaned.data))
    assert dict(stored.getexif()) == {}
    assert stored.getexif().get_ifd(GPS_IFD) == {}


def test_orientation_is_applied_before_the_exif_is_dropped():
    cleaned = clean_photo(_photo("JPEG", size=(40, 20), exif=_exif_with_gps(rotated=True)), MAX)
    assert (cleaned.width, cleaned.height) == (20, 40)


def test_heic_is_accepted_and_stored_as_jpeg_without_metadata():
    cleaned = clean_photo(_photo("HEIF", exif=_exif_with_gps()), MAX)
    assert cleaned.content_type == "image/jpeg"
    assert Image.open(io.BytesIO(cleaned.data)).format == "JPEG"
    assert b"TestCam" not in cleaned.data


def test_png_stays_png():
    cleaned = clean_photo(_photo("PNG"), MAX)
    assert cleaned.content_type == "image/png"
    assert Image.open(io.BytesIO(cleaned.data)).format == "PNG"


@pytest.mark.parametrize(
    "data",
    [
        b"<html><script>alert(1)</script></html>",  # whatever its name says, it is not a photo
        _photo("GIF"),
        _photo("BMP"),
        _photo("JPEG")[:60],  # truncated
    ],
)
def test_the_type_is_checked_by_content(data):
    with pytest.raises(PhotoRejected, match="must be a JPG, PNG or HEIC photo"):
        clean_photo(data, MAX)


def test_size_limit():
    with pytest.raises(PhotoRejected, match="smaller than 1 MB"):
        clean_photo(b"x" * 1_000_001, 1_000_000)


def test_empty_file():
    with pytest.raises(PhotoRejected, match="empty"):
        clean_photo(b"", MAX)


def test_large_photos_are_scaled_down():
    cleaned = clean_photo(_photo("JPEG", size=(4000, 1000)), MAX)
    assert max(cleaned.width, cleaned.height) == 2560


def _never_decoded(monkeypatch):
    def refuse(self):
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.mark.parametrize(
    "size",
    [
        (13_000, 13_000),  # 169 million pixels: only a warning for Pillow (its limit is 89 million)
        (20_000, 20_000),  # 400 million: Pillow's own error
        (8_000, 7_000),  # 56 million: below Pillow's limits, above ours
        (60_000_000, 1),  # one very long row
    ],
)
def test_a_decompression_bomb_is_refused_from_its_header(size, monkeypatch):
    bomb = png_bomb(*size)
    assert len(bomb) < MAX
    _never_decoded(monkeypatch)
    with pytest.raises(PhotoRejected, match="too big: it must be 50 megapixels or fewer"):
        clean_photo(bomb, MAX)


def test_pillows_bomb_warning_is_an_error(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(PhotoRejected, match="too big"):
        clean_photo(_photo("PNG", size=(20, 20)), MAX)


def test_a_phone_sized_photo_is_accepted():
    cleaned = clean_photo(_photo("JPEG", size=(8064, 6048)), MAX)  # 48.8 megapixels
    assert (cleaned.width, cleaned.height) == (2560, 1920)


@pytest.mark.parametrize("image_format", ["TIFF", "WEBP", "ICO", "PPM"])
def test_only_the_expected_formats_are_opened(image_format):
    with pytest.raises(PhotoRejected, match="must be a JPG, PNG or HEIC photo"):
        clean_photo(_photo(image_format, size=(16, 16)), MAX)
