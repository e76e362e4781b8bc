"""Announcements (公告): staff publish notices (deadlines, maintenance) shown on both fronts' home pages between
their start and end (Beijing time in forms, UTC stored). `current()` is what learners see now: published ones
whose window holds the moment, most urgent level first, newest start first."""
import datetime

import peewee

from app.accounts.models import User
from app.db import BaseModel, utcnow

CHINA = datetime.timedelta(hours=8)
LEVELS = [("notice", "通知"), ("deadline", "截止提醒"), ("maintenance", "系统维护")]
LEVEL_TEXT = dict(LEVELS)


class Announcement(BaseModel):
    title = peewee.CharField(max_length=60)
    body = peewee.TextField()
    level = peewee.CharField(max_length=12, default="notice")
    starts_at = peewee.DateTimeField()
    ends_at = peewee.DateTimeField()
    is_published = peewee.BooleanField(default=False)
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "announcement"


def current(now=None, limit=5):
    now = now or utcnow()
    rows = (Announcement.select().where(Announcement.is_published == True, Announcement.starts_at <= now,  # noqa: E712
                                        Announcement.ends_at > now)
            .order_by(Announcement.starts_at.desc(), Announcement.id.desc()).limit(limit))
    order = {key: i for i, (key, _) in enumerate(reversed(LEVELS))}
    return sorted(rows, key=lambda a: order.get(a.level, 9))


def view(a):
    """What both fronts show (the API's AnnouncementOut)."""
    return {"id": a.id, "title": a.title, "body": a.body, "level": a.level, "level_text": LEVEL_TEXT.get(a.level, ""),
            "starts_at": a.starts_at.isoformat() + "Z", "ends_at": a.ends_at.isoformat() + "Z"}


def local(value):
    return (value + CHINA).strftime("%Y-%m-%dT%H:%M")


def form_of(a):
    if a is None:
        start = (utcnow() + CHINA).replace(second=0, microsecond=0)
        return {"title": "", "body": "", "level": "notice", "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                "ends_at": (start + datetime.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")}
    return {"title": a.title, "body": a.body, "level": a.level, "starts_at": local(a.starts_at),
            "ends_at": local(a.ends_at)}


def _moment(raw):
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime((raw or "").strip(), fmt) - CHINA
        except ValueError:
            continue
    return None


def save(form, staff, announcement=None):
    """Create or update (a draft until published); returns (announcement, errors)."""
    errors = {}
    title, body = (form.get("title") or "").strip(), (form.get("body") or "").strip()
    if not title or len(title) > 60:
        errors["title"] = "请填写标题（不超过 60 个字）"
    if not body or len(body) > 500:
        errors["body"] = "请填写内容（不超过 500 个字）"
    level = form.get("level") if form.get("level") in LEVEL_TEXT else None
    if level is None:
        errors["level"] = "请选择类型"
    starts, ends = _moment(form.get("starts_at")), _moment(form.get("ends_at"))
    if starts is None:
        errors["starts_at"] = "开始时间格式应为 2027-01-01 08:00"
    if ends is None:
        errors["ends_at"] = "结束时间格式应为 2027-01-31 24:00 之前的时间"
    elif starts is not None and ends <= starts:
        errors["ends_at"] = "结束时间应晚于开始时间"
    if errors:
        return announcement, errors
    fields = {"title": title, "body": body, "level": level, "starts_at": starts, "ends_at": ends,
              "updated_at": utcnow()}
    if announcement is None:
        return Announcement.create(created_by=staff.id, **fields), {}
    Announcement.update(**fields).where(Announcement.id == announcement.id).execute()
    return Announcement.get_by_id(announcement.id), {}


def seed_demo(year):
    """The demo's announcement: this year's deadline, shown until the year ends (idempotent)."""
    title = f"{year}年度公需科目学习截止提醒"
    if not Announcement.select().where(Announcement.title == title).exists():
        Announcement.create(title=title, body=f"请于 {year} 年 12 月 31 日前完成 30 学时学习并打印学时证书。",
                            level="deadline", starts_at=utcnow() - datetime.timedelta(days=1),
                            ends_at=datetime.datetime(year + 1, 1, 1) - CHINA, is_published=True)
    return f"notice   {title}"
