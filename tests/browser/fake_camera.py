"""A fake camera for Chromium: a still picture of a QR pass written as a Y4M video.

Chromium plays the file given by ``--use-file-for-fake-video-capture`` as the camera when
``--use-fake-device-for-media-stream`` is on; it reads YUV4MPEG2 files with 4:2:0 chroma and
loops them."""

from collections.abc import Sequence
from pathlib import Path

import qrcode
import qrcode.constants
import qrcode.image.pil
from PIL import Image

FRAME_SIZE = (640, 480)


def fake_camera_args(video: str | Path) -> list[str]:
    """Chromium's arguments for a camera that plays ``video``, with the permission prompt
    answered yes."""
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]


def qr_frame(text: str, size: tuple[int, int] = FRAME_SIZE, qr_side: int = 360) -> Image.Image:
    """An RGB picture of the QR code of ``text``: large, centred, on white, as a camera held
    over a pass would see it."""
    code = qrcode.make(
        text,
        image_factory=qrcode.image.pil.PilImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
        border=4,
    )
    code = code.get_image().convert("RGB").resize((qr_side, qr_side), Image.Resampling.NEAREST)
    frame = Image.new("RGB", size, "white")
    frame.paste(code, ((size[0] - qr_side) // 2, (size[1] - qr_side) // 2))
    return frame


def write_y4m(
    path: str | Path,
    image: Image.Image | Sequence[Image.Image],
    frames: int = 30,
    fps: int = 10,
) -> Path:
    """Write ``frames`` copies of the still ``image`` as a YUV4MPEG2 (4:2:0, JPEG siting) video.

    Given several images (all the same size), each is shown for ``frames`` frames in turn,
    like people stepping up to the camera one after another; Chromium loops the video.

    Each picture is converted to YCbCr by Pillow and its two chroma planes are averaged over
    2x2 blocks. Width and height must be even."""
    path = Path(path)
    images = [image] if isinstance(image, Image.Image) else list(image)
    if not images:
        raise ValueError("no image given")
    width, height = images[0].size
    if width % 2 or height % 2:
        raise ValueError(f"width and height must be even, not {width}x{height}")
    if any(other.size != (width, height) for other in images):
        raise ValueError("every image must have the same size")
    if frames < 1 or fps < 1:
        raise ValueError("frames and fps must be positive")
    header = f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii")
    with path.open("wb") as video:
        video.write(header)
        for picture in images:
            planes = _i420_planes(picture)
            for _ in range(frames):
                video.write(b"FRAME\n")
                video.write(planes)
    return path


def _i420_planes(image: Image.Image) -> bytes:
    """Y at full size, then Cb and Cr at half width and half height."""
    y, cb, cr = image.convert("RGB").convert("YCbCr").split()
    half = (image.width // 2, image.height // 2)
    return (
        y.tobytes()
        + cb.resize(half, Image.Resampling.BOX).tobytes()
        + cr.resize(half, Image.Resampling.BOX).tobytes()
    )
