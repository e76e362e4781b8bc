"""Uploaded screenshots, photos and scans: checked by content, bounded, re-encoded, originals discarded.

JPEG and PNG are decoded with Pillow only after their header says the size is within MAX_PIXELS (a
decompression bomb is refused before any pixel is decoded), turned upright by their EXIF orientation and
saved again as a JPEG without any metadata (GPS, camera, time). A PDF (the signed letter only) is
rasterised page by page with poppler's pdftoppm at a bounded scale, and each page goes through the same
re-encoding. HEIC/HEIF (iPhone photos) is refused with a message on how to send a JPEG instead.
"""
import io
import subprocess
import tempfile
import warnings
from pathlib import Path

from PIL import Image, ImageOps

from app.errors import ApiError

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # e.g. 8000 x 5000; a phone's 48 MP photo is refused (send the normal 12 MP one)
MIN_SIDE = 200
MAX_OUTPUT_SIDE = 2400
MAX_PDF_PAGES = 2
PDF_TIMEOUT = 20
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"}

TOO_BIG = "文件不能超过 10 MB，请压缩后重新上传"
HEIC = "暂不支持 HEIC 格式的照片。请在 iPhone「设置 → 相机 → 格式」中选择「兼容性最佳」后重新拍摄，或截图后上传（截图为 JPEG/PNG）"
UNKNOWN = "只能上传 JPEG、PNG 图片{pdf}，请检查文件是否损坏或被改了扩展名"


def sniff(head):
    """The file's type from its first bytes: jpeg, png, pdf, heif or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "heif"
    return None


def read_upload(file):
    """The bytes of an uploaded file, refusing one over MAX_FILE_BYTES before reading it."""
    stream = file.stream
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    if size > MAX_FILE_BYTES:
        raise ApiError(TOO_BIG, status=413)
    if size == 0:
        raise ApiError("上传的文件是空的", status=422)
    return stream.read()


def process(data, allow_pdf=False):
    """Re-encoded JPEG pages [(bytes, width, height, source)] from an upload, or ApiError saying why not."""
    if len(data) > MAX_FILE_BYTES:
        raise ApiError(TOO_BIG, status=413)
    kind = sniff(data[:32])
    if kind == "heif":
        raise ApiError(HEIC, status=415)
    if kind == "pdf" and allow_pdf:
        return [(*reencode(page), "pdf") for page in rasterise(data)]
    if kind not in ("jpeg", "png"):
        raise ApiError(UNKNOWN.format(pdf="或 PDF 文件" if allow_pdf else ""), status=415)
    return [(*reencode(data, kind), "image")]


def reencode(data, expected=None):
    """(jpeg bytes, width, height): decoded within the pixel limit, upright, without metadata."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if expected and image.format.lower() != expected:
                raise ApiError(UNKNOWN.format(pdf=""), status=415)
            if width * height > MAX_PIXELS:
                raise ApiError("图片像素过多（超过 4000 万像素），请缩小后重新上传", status=422)
            if min(width, height) < MIN_SIDE:
                raise ApiError("图片太小，看不清内容，请上传清晰的原图或截图", status=422)
            if image.format == "JPEG":
                image.draft("RGB", (MAX_OUTPUT_SIDE, MAX_OUTPUT_SIDE))  # decode at a reduced scale when possible
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
    image.thumbnail((MAX_OUTPUT_SIDE, MAX_OUTPUT_SIDE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)  # no exif= argument: nothing of the original's metadata
    return out.getvalue(), image.width, image.height


def rasterise(data):
    """The pages of a PDF as PNG bytes (at most MAX_PDF_PAGES, each side at most MAX_OUTPUT_SIDE px)."""
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "in.pdf"
        pdf.write_bytes(data)
        try:
            info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, timeout=PDF_TIMEOUT, check=False)
            pages = _page_count(info.stdout.decode("latin-1")) if info.returncode == 0 else 0
            if pages == 0:
                raise ApiError("PDF 文件无法读取，请重新扫描或改为上传照片", status=422)
            if pages > MAX_PDF_PAGES:
                raise ApiError(f"PDF 最多 {MAX_PDF_PAGES} 页，请只上传签字的承诺书", status=422)
            done = subprocess.run(["pdftoppm", "-png", "-scale-to", str(MAX_OUTPUT_SIDE), "-f", "1", "-l",
                                   str(MAX_PDF_PAGES), str(pdf), str(Path(folder) / "page")],
                                  capture_output=True, timeout=PDF_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise ApiError("PDF 文件过于复杂，请改为上传照片", status=422) from None
        images = sorted(Path(folder).glob("page*.png"))
        if done.returncode != 0 or not images:
            raise ApiError("PDF 文件无法读取，请重新扫描或改为上传照片", status=422)
        return [p.read_bytes() for p in images]


def _page_count(text):
    for line in text.splitlines():
        if line.startswith("Pages:"):
            return int(line.split(":", 1)[1].strip() or 0)
    return 0
