"""补学 through the API: apply with screenshots -> approve -> study -> that year's certificate; apply with
the commitment letter -> reject -> correct -> approve; one open application per year; privacy of images."""
import io
import json

import pytest
from PIL import Image
from pypdf import PdfReader

from app.backfill.models import BackfillApplication, BackfillDecision, BackfillImage
from app.certs import orgs
from app.learning.models import Chapter, Enrollment
from app.staff.models import AuditEntry
from app.wechat.models import WechatMessage
from tests.backfill_fixtures import decide, earlier_year, screenshot, upload
from tests.learning_fixtures import Player, make_learner
from tests.staff_fixtures import make_staff_member

PROOF = {"kind": "proof", "order_no": "JX2015-000123", "payer": "学员0", "paid_on": "2015-06-18",
         "platform": "某继续教育网"}


@pytest.fixture
def year2015(app):
    return earlier_year(2015)


@pytest.fixture
def learner(app, year2015):
    return make_learner(app, i=1)


@pytest.fixture
def reviewer(app):
    return make_staff_member(app, ("reviewer",), i=901, name="审核员甲")


def apply_with_screenshots(learner, project, count=2, **fields):
    ids = []
    for n in range(count):
        status, body = upload(learner, screenshot(f"order {n}"), f"shot{n}.png")
        assert status == 201, body
        ids += [i["id"] for i in body["data"]]
    return learner.post("/backfill/applications", {"project_id": project.id, **PROOF, **fields, "image_ids": ids})


def test_screenshots_approved_then_study_and_print_that_years_certificate(app, clock, learner, year2015, reviewer):
    listed = next(p for p in learner.get("/projects")[1]["data"] if p["id"] == year2015.id)
    assert (listed["year"], listed["grant_only"], listed["on_sale"]) == (2015, True, False)
    status, body = learner.post("/orders", {"project_id": year2015.id, "invoice": {"choice": "later"}})
    assert (status, body["message"]) == (422, "该培训项目当前不在销售期内")  # never sold
    status, body = learner.get("/backfill")
    year = next(y for y in body["data"]["years"] if y["year"] == 2015)
    assert (status, year["can_apply"], year["owned"], year["application"]) == (200, True, False, None)

    status, body = apply_with_screenshots(learner, year2015)
    assert status == 201, body
    data = body["data"]
    assert (data["state"], data["kind"], data["order_no"], len(data["images"]), data["review_days"]) == (
        "pending", "proof", "JX2015-000123", 2, 3)
    application = BackfillApplication.get()
    assert data["due_on"] == application.due_on.isoformat()
    assert Enrollment.select().where(Enrollment.user == learner.user.id).count() == 0
    # The images were re-encoded as JPEG and stored; the originals (PNG) are not kept anywhere.
    for image in BackfillImage.select():
        assert image.application_id == application.id
        assert image.key.endswith(".jpg")

    resp = decide(reviewer, application.id, "approve")
    assert resp.status_code == 302
    application = BackfillApplication.get_by_id(application.id)
    assert (application.state, application.decided_by_id) == ("approved", reviewer.user.id)
    enrollment = Enrollment.get(Enrollment.user == learner.user.id, Enrollment.project == year2015.id)
    assert (enrollment.source, enrollment.status) == ("backfill", "active")
    decision = BackfillDecision.get()
    assert (decision.approved, decision.staff_id, decision.staff_name) == (True, reviewer.user.id, "审核员甲")
    entry = AuditEntry.get(AuditEntry.action == "backfill.approve")
    assert (entry.actor_id, entry.target_id, json.loads(entry.after)) == (
        reviewer.user.id, str(application.id), {"state": "approved"})
    assert WechatMessage.get(WechatMessage.template == "backfill_decided").user_id == learner.user.id

    status, body = learner.get("/me/plans")
    plan = next(p for p in body["data"] if p["id"] == year2015.id)
    assert (plan["year"], plan["source"]) == (2015, "backfill")
    # Learning starts at once: every chapter watched at 1x through the real player API.
    status, body = learner.get(f"/me/plans/{year2015.id}/courses")
    assert status == 200, body
    for course in body["data"]["items"]:
        detail = learner.get(f"/courses/{course['id']}")[1]["data"]
        for chapter in detail["chapters"]:
            player = Player(learner, clock, Chapter.get_by_id(chapter["id"]))
            player.start()
            player.play(chapter["duration"] + 1)
    progress = learner.get(f"/me/plans/{year2015.id}/courses")[1]["data"]["progress"]
    assert (progress["complete"], progress["earned_hours"], progress["courses_done"]) == (True, 30, 2)
    unit = orgs.add_unit("重庆示范建筑设计研究院（演示）", "500103")[0]
    status, body = learner.post(f"/certificates/{year2015.id}/profile", {"confirm": True, "unit_id": unit.id})
    assert status == 200, body
    status, body = learner.post(f"/certificates/{year2015.id}/issue")
    assert status == 201, body
    assert body["data"]["number"].startswith("CE2015-") and body["data"]["year"] == 2015


def test_letter_rejected_with_a_reason_corrected_and_approved(app, learner, year2015, reviewer):
    resp = learner.client.get(f"/api/v1/backfill/letters/{year2015.id}",
                              headers={"Authorization": f"Bearer {learner.token}"})
    assert (resp.status_code, resp.mimetype) == (200, "application/pdf")
    text = PdfReader(io.BytesIO(resp.data)).pages[0].extract_text()
    assert "缴费承诺书" in text and "学员1" in text and learner.user and "2015" in text
    from app.accounts.service import id_number_of

    assert id_number_of(learner.user) in text.replace(" ", "")

    # The signed letter comes back as a scan (PDF): rasterised to images, the PDF itself is not kept.
    status, body = upload(learner, resp.data, "letter.pdf", kind="letter")
    assert status == 201, body
    first_ids = [i["id"] for i in body["data"]]
    assert len(first_ids) == 1 and BackfillImage.get_by_id(first_ids[0]).source == "pdf"
    status, body = learner.post("/backfill/applications", {"project_id": year2015.id, "kind": "letter",
                                                           "image_ids": first_ids})
    assert (status, body["data"]["kind"], body["data"]["order_no"]) == (201, "letter", "")
    application_id = body["data"]["id"]

    # A second application for the same year while one is open is refused.
    status, body = apply_with_screenshots(learner, year2015, count=1)
    assert (status, body["message"]) == (409, "该年度已有待审核的申请，请等待审核结果")

    missing = decide(reviewer, application_id, "reject", "", "")
    assert missing.status_code == 422 and "请选择不通过的原因" in missing.get_data(as_text=True)
    assert BackfillApplication.get_by_id(application_id).state == "pending"
    assert decide(reviewer, application_id, "reject", "not_signed", "签名处空白").status_code == 302
    status, body = learner.get(f"/backfill/applications/{application_id}")
    assert (body["data"]["state"], body["data"]["reason"]) == ("rejected", "承诺书未签字或签字与姓名不符；签名处空白")
    assert Enrollment.select().where(Enrollment.user == learner.user.id).count() == 0
    year = next(y for y in learner.get("/backfill")[1]["data"]["years"] if y["year"] == 2015)
    assert year["can_apply"] is True

    # Corrected: a new photo of the signed page replaces the old scan.
    status, body = upload(learner, screenshot("signed"), "signed.jpg", kind="letter")
    new_ids = [i["id"] for i in body["data"]]
    status, body = learner.post("/backfill/applications", {"project_id": year2015.id, "kind": "letter",
                                                           "image_ids": new_ids})
    assert (status, body["data"]["id"], body["data"]["state"]) == (201, application_id, "pending")
    assert [i["id"] for i in body["data"]["images"]] == new_ids
    assert BackfillImage.get_or_none(BackfillImage.id == first_ids[0]) is None
    assert BackfillApplication.get_by_id(application_id).submissions == 2

    assert decide(reviewer, application_id, "approve").status_code == 302
    assert Enrollment.get(Enrollment.user == learner.user.id).source == "backfill"
    assert [d.approved for d in BackfillDecision.select().order_by(BackfillDecision.id)] == [False, True]
    assert WechatMessage.select().where(WechatMessage.template == "backfill_decided").count() == 2
    status, body = learner.post("/backfill/applications", {"project_id": year2015.id, "kind": "letter",
                                                           "image_ids": new_ids})
    assert (status, body["message"]) == (409, f"您已拥有{year2015.name}，无需申请补学")


def test_another_learner_sees_neither_the_application_nor_its_images(app, learner, year2015):
    status, body = apply_with_screenshots(learner, year2015, count=1)
    application_id, url = body["data"]["id"], body["data"]["images"][0]["url"]
    owner = learner.client.get(url, headers={"Authorization": f"Bearer {learner.token}"})
    assert (owner.status_code, owner.mimetype) == (200, "image/jpeg")
    Image.open(io.BytesIO(owner.data)).verify()

    other = make_learner(app, i=2)
    status, body = other.get(f"/backfill/applications/{application_id}")
    assert (status, body["code"]) == (404, "not_found")
    assert other.client.get(url, headers={"Authorization": f"Bearer {other.token}"}).status_code == 404
    assert app.test_client().get(url).status_code == 404  # nobody logged in
    mine = other.get("/backfill")[1]["data"]
    assert next(y for y in mine["years"] if y["year"] == 2015)["application"] is None


def test_an_expired_image_link_answers_403(app, learner, year2015, monkeypatch):
    status, body = upload(learner, screenshot(), "a.png")
    url = body["data"][0]["url"]
    headers = {"Authorization": f"Bearer {learner.token}"}
    assert learner.client.get(url, headers=headers).status_code == 200
    import itsdangerous.timed

    real = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: real(self) + 601)
    resp = learner.client.get(url, headers=headers)
    assert resp.status_code == 403 and "图片链接已过期" in resp.get_data(as_text=True)


def test_learners_cannot_reach_the_review_pages(app, learner, year2015):
    apply_with_screenshots(learner, year2015, count=1)
    application = BackfillApplication.get()
    learner_console = make_staff_member(app, (), i=903)  # marked staff but without the reviewer role
    for path in ("/staff/backfill/", f"/staff/backfill/{application.id}"):
        assert learner_console.get(path).status_code == 403
        resp = learner.client.get(path, headers={"Authorization": f"Bearer {learner.token}"})
        assert resp.status_code == 403
        assert "JX2015-000123" not in resp.get_data(as_text=True)
    resp = learner_console.post(f"/staff/backfill/{application.id}/approve", {"confirmed": "1"})
    assert resp.status_code == 403
    assert BackfillApplication.get_by_id(application.id).state == "pending"
    assert Enrollment.select().count() == 0

