"""Reading QR codes out of camera frames sent by browsers without a BarcodeDetector."""

import io

import zxingcpp
from PIL import Image, UnidentifiedImageError

MAX_FRAME_PIXELS = 4096 * 4096


class FrameError(Exception):
    """The upload is not an image we can read."""


def decode_qr(image_bytes: bytes) -> list[str]:
    """The texts of the QR codes visible in one still image (JPEG, PNG or WebP)."""
    try:
        with Image.open(io.BytesIO(image_bytes)) as image:
            if image.width * image.height > MAX_FRAME_PIXELS:
                raise FrameError("frame too large")
            image.load()
            grey = image.convert("L")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise FrameError(str(error)) from None
    results = zxingcpp.read_barcodes(grey, formats=zxingcpp.BarcodeFormat.QRCode)
    return [result.text for result in results if result.valid and result.text]
