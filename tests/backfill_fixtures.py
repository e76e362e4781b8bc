"""Helpers of the 补学 tests: earlier years' plans, real image files (screenshots, photos with GPS data,
decompression bombs, renamed executables), uploads through the API and the console's decisions."""
import io
import struct
import zlib

from PIL import Image, ImageDraw

from app.backfill.years import create_year
from tests.learning_fixtures import make_plan

GPS_IFD = 0x8825


def earlier_year(year=2015, chapters=((12,), (12,)), course_hours=15):
    """A grant-only plan of `year` whose content is copied from a small current plan."""
    source = make_plan(courses=chapters, course_hours=course_hours)
    project, _ = create_year(year, source.project)
    return project


def screenshot(text="订单截图", size=(750, 1334), fmt="PNG"):
    """A phone screenshot-like image with some drawing on it."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 120, size[0] - 40, 420), outline="black", width=4)
    draw.text((60, 160), text.encode("ascii", "ignore").decode() or "order 2015-001", fill="black")
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def photo_with_gps():
    """A JPEG photo whose EXIF holds a GPS position (Chongqing) and a camera model."""
    image = Image.new("RGB", (1200, 900), (200, 180, 160))
    exif = Image.Exif()
    exif[0x0110] = "iPhone 15"
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (29.0, 33.0, 47.0), 3: "E", 4: (106.0, 33.0, 5.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_bomb(width=10000, height=5000):
    """A small PNG (1-bit, all black) whose header promises width x height pixels."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    body = zlib.compress(row * height, 9)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def huge_photo(megabytes=30):
    """A real JPEG followed by padding up to `megabytes` (as large as a 30 MB camera file)."""
    data = screenshot(fmt="JPEG")
    return data + b"\x00" * (megabytes * 1024 * 1024 - len(data))


def executable():
    """An ELF executable's bytes (to be renamed .jpg)."""
    with open("/bin/true", "rb") as f:
        return f.read()


def heic_header():
    """The first bytes of an iPhone HEIC photo (ISO-BMFF 'ftyp' box, brand heic)."""
    return struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic" + b"\x00" * 4096


def upload(learner, data, name="shot.png", kind="proof"):
    """POST one file to /api/v1/backfill/uploads with the learner's bearer token: (status, body)."""
    resp = learner.client.post("/api/v1/backfill/uploads", data={"file": (io.BytesIO(data), name), "kind": kind},
                               headers={"Authorization": f"Bearer {learner.token}"},
                               content_type="multipart/form-data")
    return resp.status_code, resp.get_json()


def decide(console, application_id, action, reason_code="", reason=""):
    """The reviewer's two posts: the confirmation page, then the confirmed decision."""
    path = f"/staff/backfill/{application_id}/{action}"
    first = console.post(path, {"reason_code": reason_code, "reason": reason})
    assert first.status_code == 200
    return console.post(path, {"reason_code": reason_code, "reason": reason, "confirmed": "1"})
