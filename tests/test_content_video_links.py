"""Chapter videos reach enrolled learners only, through expiring signed links (app/content/media.py)."""
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from app.content import media
from app.learning.models import Chapter, Course, Enrollment
from app.storage import storage
from tests.learning_fixtures import make_learner, make_plan


@pytest.fixture
def plan(app):
    return make_plan(courses=((12,),))


def _link(learner, chapter):
    status, body = learner.get(f"/learning/chapters/{chapter.id}/video-link")
    assert status == 200, body
    return body["data"]["video_url"]


def test_the_owner_streams_and_seeks(app, plan):
    owner = make_learner(app, plan, i=1)
    link = _link(owner, plan.chapter)
    assert link.startswith(f"/media/chapters/{plan.chapter.id}.mp4?")
    data = storage().get(plan.chapter.video_key)
    whole = owner.client.get(link)
    assert whole.status_code == 200 and whole.data == data
    assert whole.headers["Accept-Ranges"] == "bytes" and whole.headers["Cache-Control"] == "private, no-store"
    seek = owner.client.get(link, headers={"Range": "bytes=1000-4999"})
    assert seek.status_code == 206
    assert seek.headers["Content-Range"] == f"bytes 1000-4999/{len(data)}"
    assert seek.data == data[1000:5000]
    past = owner.client.get(link, headers={"Range": f"bytes={len(data)}-"})
    assert past.status_code == 416
    # The session start and the course page carry a link of the same kind (no public static file).
    status, body = owner.post(f"/learning/chapters/{plan.chapter.id}/sessions", {"device": "h5"})
    assert status == 201 and body["data"]["video_url"].startswith(f"/media/chapters/{plan.chapter.id}.mp4?")
    assert owner.client.get(body["data"]["video_url"], headers={"Range": "bytes=0-9"}).status_code == 206
    assert app.test_client().get("/static/demo/chapter-12s.mp4").status_code == 404


def test_a_learner_without_the_plan_gets_403(app, plan):
    owner = make_learner(app, plan, i=1)
    stranger = make_learner(app, plan, i=2, enroll=False)
    status, body = stranger.get(f"/learning/chapters/{plan.chapter.id}/video-link")
    assert (status, body["code"]) == (403, "not_enrolled")
    with app.test_request_context():
        own_link = media.chapter_link(Chapter.get_by_id(plan.chapter.id), stranger.user.id)
    refused = stranger.client.get(own_link)  # correctly signed for the stranger, who holds no plan
    assert refused.status_code == 403 and "请先购买该培训项目" in refused.get_data(as_text=True)
    owner_link = _link(owner, plan.chapter)
    forged = owner_link.replace(f"u={owner.user.id}", f"u={stranger.user.id}")
    assert stranger.client.get(forged).status_code == 403
    # A refund that revokes the plan closes the owner's links at once.
    assert owner.client.get(owner_link, headers={"Range": "bytes=0-1"}).status_code == 206
    Enrollment.update(status="revoked").where(Enrollment.user == owner.user.id).execute()
    gone = owner.client.get(owner_link, headers={"Range": "bytes=0-1"})
    assert gone.status_code == 403 and "请先购买该培训项目" in gone.get_data(as_text=True)


def test_an_expired_link_gets_403_and_a_fresh_one_works(app, plan):
    owner = make_learner(app, plan, i=1)
    with app.test_request_context():
        old = media.chapter_link(Chapter.get_by_id(plan.chapter.id), owner.user.id, now=int(time.time()) - 700,
                                 lifetime=600)
    expires = int(parse_qs(urlsplit(old).query)["e"][0])
    assert expires < time.time()
    expired = owner.client.get(old, headers={"Range": "bytes=0-9"})
    assert expired.status_code == 403 and "视频链接已过期" in expired.get_data(as_text=True)
    stretched = old.replace(f"e={expires}", f"e={expires + 3600}")  # a later end without a new signature
    assert owner.client.get(stretched).status_code == 403
    status, body = owner.get(f"/learning/chapters/{plan.chapter.id}/video-link")
    assert status == 200 and body["data"]["expires_at"] > time.time() + 500
    assert owner.client.get(body["data"]["video_url"], headers={"Range": "bytes=0-9"}).status_code == 206


def test_drafts_are_invisible_and_their_videos_closed(app, plan):
    owner = make_learner(app, plan, i=1)
    link = _link(owner, plan.chapter)
    Course.update(published_at=None).where(Course.id == plan.courses[0].id).execute()
    assert owner.client.get(link).status_code == 403
    status, _ = owner.get(f"/learning/chapters/{plan.chapter.id}/video-link")
    assert status == 404
    status, body = owner.get(f"/me/plans/{plan.project.id}/courses")
    assert status == 200 and body["data"]["items"] == []


def test_behind_nginx_the_view_hands_over_to_the_protected_location(app_factory):
    application = app_factory(STORAGE_ACCEL_PREFIX="/_protected")
    with application.app_context():
        from app.db import db

        db.connect(reuse_if_open=True)
        plan = make_plan(courses=((12,),))
        owner = make_learner(application, plan, i=3)
        response = owner.client.get(_link(owner, plan.chapter), headers={"Range": "bytes=0-9"})
        assert response.status_code == 200 and response.data == b""
        assert response.headers["X-Accel-Redirect"] == f"/_protected/{plan.chapter.video_key}"
        assert response.headers["Content-Type"] == "video/mp4"
        db.close()


def test_an_earlier_years_copy_shares_the_video_but_not_the_access(app, plan):
    from app.backfill.years import create_year
    from app.content.video import release_video

    copy, created = create_year(2015, plan.project)
    assert created
    chapter = Chapter.select().join(Course).where(Course.project == copy.id).get()
    assert chapter.video_key == plan.chapter.video_key and Course.get_by_id(chapter.course_id).published_at
    granted = make_learner(app, None, i=4)
    Enrollment.create(user=granted.user.id, project=copy.id, source="backfill")
    link = _link(granted, chapter)
    assert granted.client.get(link, headers={"Range": "bytes=0-9"}).status_code == 206
    status, _ = granted.get(f"/learning/chapters/{plan.chapter.id}/video-link")  # this year's plan: not theirs
    assert status == 403
    # The source chapter's video goes away only when no chapter uses it any more.
    storage().put("videos/chapters/shared.mp4", b"x", "video/mp4")
    Chapter.update(video_key="videos/chapters/shared.mp4").where(
        Chapter.id.in_([chapter.id, plan.chapter.id])).execute()
    Chapter.delete().where(Chapter.id == plan.chapter.id).execute()
    release_video("videos/chapters/shared.mp4")
    assert storage().exists("videos/chapters/shared.mp4") is True
    Chapter.delete().where(Chapter.id == chapter.id).execute()
    release_video("videos/chapters/shared.mp4")
    assert storage().exists("videos/chapters/shared.mp4") is False
