"""Uploaded screenshots, photos and scans: checked by content, bounded, re-encoded, originals discarded.

JPEG and PNG are re-encoded by app/images.py (bounded, upright, a JPEG without any metadata). A PDF (the
signed letter only) is rasterised page by page with poppler's pdftoppm at a bounded scale, and each page
goes through the same re-encoding. HEIC/HEIF (iPhone photos) is refused with a message on how to send a JPEG instead.
"""
import subprocess
import tempfile
from pathlib import Path

from app.errors import ApiError
from app.images import MAX_OUTPUT_SIDE, reencode

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_PDF_PAGES = 2
PDF_TIMEOUT = 20
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"}

TOO_BIG = "文件不能超过 10 MB，请压缩后重新上传"
HEIC = ("暂不支持 HEIC 格式的照片。请在 iPhone「设置 → 相机 → 格式」中选择「兼容性最佳」后重新拍摄，"
        "或截图后上传（截图为 JPEG/PNG）")
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
