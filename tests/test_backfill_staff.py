"""The 补学审核 console section: the queue by waiting time with working-day deadlines, images side by side,
order numbers used by two learners flagged, a year missing from the working-day table reported."""
import datetime
import logging
import re

import pytest

from app.backfill.models import BackfillApplication
from tests.backfill_fixtures import decide, earlier_year, screenshot, upload
from tests.learning_fixtures import make_learner
from tests.staff_fixtures import make_staff_member, text_of


@pytest.fixture
def year2014(app):
    return earlier_year(2014)


@pytest.fixture
def reviewer(app):
    return make_staff_member(app, ("reviewer",), i=911, name="审核员乙")


def apply(learner, project, order_no, shots=2):
    ids = [upload(learner, screenshot(f"s{n}"), f"s{n}.png")[1]["data"][0]["id"] for n in range(shots)]
    status, body = learner.post("/backfill/applications", {
        "project_id": project.id, "kind": "proof", "order_no": order_no, "payer": learner.user.name,
        "paid_on": "2014-05-01", "platform": "某继续教育网", "image_ids": ids})
    assert status == 201, body
    return BackfillApplication.get_by_id(body["data"]["id"])


def test_queue_longest_waiting_first_with_deadline_and_duplicate_orders(app, year2014, reviewer):
    first, second, third = (make_learner(app, i=i) for i in (21, 22, 23))
    newer = apply(first, year2014, "AB-1001")
    older = apply(second, year2014, "ab1001")  # the same order number, typed differently
    alone = apply(third, year2014, "CD-2002")
    # Submitted on Friday 2026-03-06 (China time): due three working days later, on Wednesday the 11th.
    BackfillApplication.update(submitted_at=datetime.datetime(2026, 3, 6, 2), due_on=datetime.date(2026, 3, 11)).where(
        BackfillApplication.id == older.id).execute()
    page = reviewer.get("/staff/backfill/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = re.findall(r'/staff/backfill/(\d+)">([^<]+)</a>', html)
    assert [int(r[0]) for r in rows] == [older.id, newer.id, alone.id]
    text = text_of(page)
    assert "2026-03-11 已超期" in text
    assert html.count("订单号重复") == 2  # the two learners with AB-1001, not the third

    detail = reviewer.get(f"/staff/backfill/{newer.id}")
    body = detail.get_data(as_text=True)
    assert re.search(rf'id="duplicate-order">订单号 AB-1001 也出现在其他学员的申请中：\s*<a href="/staff/backfill/{older.id}"',
                     body)
    images = re.findall(r'<img src="(/backfill/images/[^"]+)"', body)
    assert len(images) == 2
    shown = reviewer.get(images[0])
    assert (shown.status_code, shown.mimetype) == (200, "image/jpeg")
    assert "500103" not in body  # the applicant's ID number is masked
    assert re.search(r"\d{4}\*+\d{3}[\dX]", body)


def test_reject_needs_a_reason_and_other_needs_words(app, year2014, reviewer):
    learner = make_learner(app, i=24)
    application = apply(learner, year2014, "EF-3003", shots=1)
    resp = decide(reviewer, application.id, "reject", "other", "")
    assert resp.status_code == 422 and "选择“其他原因”时请填写具体说明" in resp.get_data(as_text=True)
    assert BackfillApplication.get_by_id(application.id).state == "pending"
    assert decide(reviewer, application.id, "reject", "other", "截图缺少金额").status_code == 302
    again = decide(reviewer, application.id, "approve")
    assert again.status_code == 409 and "该申请已处理" in again.get_data(as_text=True)
    assert BackfillApplication.get_by_id(application.id).state == "rejected"


def test_a_year_missing_from_the_working_day_table_is_reported_not_an_error(app, year2014, reviewer, caplog):
    learner = make_learner(app, i=25)
    application = apply(learner, year2014, "GH-4004", shots=1)
    BackfillApplication.update(due_on=datetime.date(2031, 1, 8)).where(
        BackfillApplication.id == application.id).execute()
    with caplog.at_level(logging.WARNING, logger="app.backfill.staff_views"):
        for path in ("/staff/backfill/", f"/staff/backfill/{application.id}"):
            page = reviewer.get(path)
            assert page.status_code == 200
            assert "工作日表缺少 2031 年的法定节假日安排，审核期限暂按周一至周五计算" in text_of(page)
    assert "working-day table lacks [2031]" in caplog.text
