"""Uploaded images made safe to keep and show: checked, bounded, re-encoded, their metadata dropped.

An image is decoded with Pillow only after its header says the size is within MAX_PIXELS (a
decompression bomb is refused before any pixel is decoded), turned upright by its EXIF orientation,
flattened onto white when it has transparency, scaled down to at most `max_side` pixels a side and saved
again as a JPEG without any metadata (GPS, camera, time): what is kept is never the uploaded file
itself. Used by 补学's proofs (app/backfill/uploads.py) and course covers (app/content/covers.py).
"""
import io
import warnings

from PIL import Image, ImageOps

from app.errors import ApiError

MAX_PIXELS = 40_000_000  # e.g. 8000 x 5000; a phone's 48 MP photo is refused (send the normal 12 MP one)
MIN_SIDE = 200
MAX_OUTPUT_SIDE = 2400
NOT_AN_IMAGE = "只能上传 JPEG、PNG 图片，请检查文件是否损坏或被改了扩展名"


def reencode(data, expected=None, max_side=MAX_OUTPUT_SIDE, min_side=MIN_SIDE):
    """(jpeg bytes, width, height): decoded within the pixel limit, upright, at most `max_side` pixels a side,
    without metadata; refused when a side is under `min_side`. `expected`: the format ("jpeg", "png",
    "webp") the file's first bytes announced."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if expected and image.format.lower() != expected:
                raise ApiError(NOT_AN_IMAGE, status=415)
            if width * height > MAX_PIXELS:
                raise ApiError("图片像素过多（超过 4000 万像素），请缩小后重新上传", status=422)
            if min(width, height) < min_side:
                raise ApiError("图片太小，看不清内容，请上传清晰的原图或截图", status=422)
            if image.format == "JPEG":
                image.draft("RGB", (max_side, max_side))  # decode at a reduced scale when possible
            image.load()
        except ApiError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ApiError("图片像素过多（超过 4000 万像素），请缩小后重新上传", status=422) from None
        except Exception:  # noqa: BLE001  (any decoder failure means a broken or disguised file)
            raise ApiError("图片无法读取，文件可能已损坏，请重新截图或拍照后上传", status=422) from None
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    else:
        image = image.convert("RGB")
    image.thumbnail((max_side, max_side))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)  # no exif= argument: nothing of the original's metadata
    return out.getvalue(), image.width, image.height
