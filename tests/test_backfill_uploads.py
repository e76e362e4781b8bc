"""Bad uploads are refused with a clear message and nothing stored; a photo's GPS data is not kept."""
import io
from pathlib import Path

import pytest
from PIL import Image

from app.backfill.models import BackfillImage
from tests.backfill_fixtures import (
    GPS_IFD,
    earlier_year,
    executable,
    heic_header,
    huge_photo,
    photo_with_gps,
    png_bomb,
    screenshot,
    upload,
)
from tests.learning_fixtures import make_learner


@pytest.fixture
def learner(app):
    earlier_year(2016)
    return make_learner(app, i=5)


def stored_files(app):
    """Every file stored under the back-fill uploads' folder (the plans' demo videos live elsewhere)."""
    root = Path(app.config["STORAGE_LOCAL_DIR"]) / "backfill"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize(("data", "name", "status", "message"), [
    (executable(), "photo.jpg", 415, "只能上传 JPEG、PNG 图片，请检查文件是否损坏或被改了扩展名"),
    (png_bomb(), "bomb.png", 422, "图片像素过多（超过 4000 万像素），请缩小后重新上传"),
    (png_bomb(30000, 30000), "bigger-bomb.png", 422, "图片像素过多（超过 4000 万像素），请缩小后重新上传"),
    (huge_photo(30), "camera.jpg", 413, "文件不能超过 10 MB，请压缩后重新上传"),
    (heic_header(), "IMG_0001.HEIC", 415, "暂不支持 HEIC 格式的照片"),
    (b"%PDF-1.4 not really", "letter.pdf", 415, "只能上传 JPEG、PNG 图片"),  # PDF only for the letter
    (screenshot()[:2000], "cut.png", 422, "图片无法读取，文件可能已损坏"),
])
def test_bad_uploads_are_refused_and_nothing_is_stored(app, learner, data, name, status, message):
    got, body = upload(learner, data, name)
    assert got == status and body["message"].startswith(message), body
    assert BackfillImage.select().count() == 0
    assert stored_files(app) == []


def test_a_sixth_image_is_refused(app, learner):
    for n in range(5):
        assert upload(learner, screenshot(f"s{n}"), f"s{n}.png")[0] == 201
    before = stored_files(app)
    status, body = upload(learner, screenshot("six"), "six.png")
    assert (status, body["message"]) == (422, "每份申请最多 5 张图片，请先删除不需要的图片")
    assert BackfillImage.select().count() == 5 and stored_files(app) == before
    # Deleting one makes room again.
    first = BackfillImage.select().order_by(BackfillImage.id).first()
    status, body = learner.call("DELETE", f"/backfill/uploads/{first.id}")
    assert (status, len(body["data"]["uploads"])) == (200, 4)
    assert len(stored_files(app)) == 4
    assert upload(learner, screenshot("six"), "six.png")[0] == 201


def test_a_jpeg_with_gps_data_is_stored_without_it(app, learner):
    original = photo_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the test photo does carry GPS
    status, body = upload(learner, original, "IMG_0002.JPG")
    assert status == 201, body
    [path] = stored_files(app)
    kept = Image.open(path)
    assert (kept.format, kept.size) == ("JPEG", (1200, 900))
    assert not kept.getexif() and "exif" not in kept.info
    assert b"Exif" not in path.read_bytes() and b"iPhone 15" not in path.read_bytes()


def test_a_letter_pdf_over_two_pages_is_refused(app, learner):
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    for _ in range(3):
        c.drawString(100, 700, "page")
        c.showPage()
    c.save()
    status, body = upload(learner, out.getvalue(), "scan.pdf", kind="letter")
    assert (status, body["message"]) == (422, "PDF 最多 2 页，请只上传签字的承诺书")
    assert stored_files(app) == []


def test_uploads_are_limited_per_hour(app, learner):
    from app.backfill import service

    for n in range(service.UPLOADS_PER_HOUR):
        status, body = upload(learner, b"not an image", f"x{n}.png")
        assert status == 415, body
    status, body = upload(learner, screenshot(), "ok.png")
    assert status == 429 and body["message"].startswith("上传过于频繁，请 ") and body["message"].endswith(" 分钟后再试")
    assert BackfillImage.select().count() == 0


def test_images_never_sent_are_deleted_after_a_week(app, learner):
    import datetime

    from app.periodic import purge_backfill_uploads

    old, fresh = (upload(learner, screenshot(f"p{n}"), f"p{n}.png")[1]["data"][0]["id"] for n in range(2))
    BackfillImage.update(created_at=datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
                         - datetime.timedelta(days=8)).where(BackfillImage.id == old).execute()
    assert len(stored_files(app)) == 2
    assert purge_backfill_uploads() == 1
    assert [i.id for i in BackfillImage.select()] == [fresh] and len(stored_files(app)) == 1
