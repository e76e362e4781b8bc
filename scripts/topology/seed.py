"""Learners for the load and fault tests: each watches a long chapter, buys this year's plan through the
sandbox and prints last year's certificate. Written into the topology's database through the app."""
import datetime
import json
import os

PASSWORD = "Load2026pass"
CHAPTER_SECONDS = 4 * 3600


def identity(i):
    """A valid ID number (GB 11643 check digit) and a distinct mobile for load learner `i`."""
    from app.accounts import rules

    birth = (datetime.date(1960, 1, 1) + datetime.timedelta(days=i * 7 % 14000)).strftime("%Y%m%d")
    first17 = f"500104{birth}{i % 1000:03d}"
    return rules.clean_id_number(first17 + rules.check_digit(first17)), rules.clean_mobile(f"137{i:08d}")


def bind_wechat(cfg, user, nickname):
    """A WeChat user at the sandbox following the official account, bound to the learner (messages go there)."""
    import requests

    from app.db import utcnow
    from app.wechat.models import WechatIdentity

    if WechatIdentity.get_or_none(WechatIdentity.user == user.id) is not None:
        return
    made = requests.post(cfg["WECHAT_SANDBOX_URL"] + "/_sandbox/users", json={"nickname": nickname}, timeout=10)
    made.raise_for_status()
    wx = made.json()
    WechatIdentity.create(user=user.id, app_kind="mp", appid=cfg["WECHAT_MP_APPID"], unionid=wx["unionid"],
                          openid=wx["openids"][cfg["WECHAT_MP_APPID"]], nickname=nickname, subscribed=True,
                          bound_at=utcnow())


def seed(cluster, learners):
    """Create `learners` learners (once each); returns and writes CLUSTER_DIR/learners.json.

    The cluster's settings apply only while seeding: the caller's environment is put back afterwards (a
    test process goes on with its own Redis and database)."""
    saved = dict(os.environ)
    os.environ.update(cluster.app_env())
    try:
        return _seed(cluster, learners)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _seed(cluster, learners):
    from app import create_app
    from app.accounts import rules, service
    from app.accounts.models import User
    from app.certs import orgs, profile
    from app.certs import service as certs
    from app.certs.models import valid_certificate
    from app.db import db, utcnow
    from app.demo import demo_year, seed_catalogue
    from app.learning.models import Chapter, Course, CourseCompletion, Enrollment, Project

    app = create_app()
    with app.app_context(), db.connection_context():
        seed_catalogue()
        now, year = utcnow(), demo_year()
        watch, made = Project.get_or_create(year=year, name="压测学习计划", defaults=dict(
            price_fen=0, credit_hours=6, grant_only=True, sale_start=now - datetime.timedelta(days=1),
            sale_end=now + datetime.timedelta(days=365)))
        if made:
            course = Course.create(project=watch.id, title="压测课程", lecturer="讲师", credit_hours=6)
            Chapter.create(course=course.id, title="第1讲", video_url="/static/demo/chapter-12s.webm",
                           duration_seconds=CHAPTER_SECONDS)
        chapter = Chapter.select().join(Course).where(Course.project == watch.id).get()
        on_sale = Project.get(Project.year == year, Project.name == f"{year}年公需科目")
        printed = Project.get(Project.year == year - 1, Project.name == f"{year - 1}年公需科目")
        unit, _ = orgs.add_unit("重庆市压测单位", "500103")
        rows = []
        for i in range(learners):
            id_number, mobile = identity(i)
            user = User.get_or_none(User.username == f"load{i}") or service.create_user(
                name="压测学员", id_number=id_number, mobile=mobile, gender=rules.id_gender(id_number),
                password=PASSWORD, username=f"load{i}")
            for project in (watch, printed):
                Enrollment.get_or_create(user=user.id, project=project.id, defaults={"source": "grant"})
            for course in Course.select().where(Course.project == printed.id):
                CourseCompletion.get_or_create(user=user.id, course=course.id,
                                               defaults={"credit_hours": course.credit_hours})
            if valid_certificate(user.id, printed.id) is None:
                profile.save_profile(user, printed.id, True, unit_id=unit.id)
            cert, _ = certs.issue(user, printed.id)
            bind_wechat(app.config, user, f"load{i}")
            rows.append({"username": f"load{i}", "mobile": mobile, "certificate": cert.number})
    data = {"password": PASSWORD, "chapter_id": chapter.id, "chapter_seconds": CHAPTER_SECONDS,
            "buy_project_id": on_sale.id, "learners": rows}
    cluster.path("learners.json").write_text(json.dumps(data, ensure_ascii=False, indent=1))
    return data


