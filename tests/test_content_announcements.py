"""Announcements: written and published by a content editor, shown on the home pages of H5 (Chromium at 390 px)
and of the mini-program (its own api/ code over real HTTP), gone after their end."""
import datetime
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.content.announcements import Announcement
from app.db import utcnow
from app.staff.models import AuditEntry
from tests.certs_fixtures import serve
from tests.staff_fixtures import make_staff_member, text_of

ROOT = Path(__file__).resolve().parent.parent


def _beijing(value):
    return (value + datetime.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def editor(app):
    return make_staff_member(app, ("content_editor",), i=960)


def _write(editor, title, starts, ends, level="deadline"):
    before = Announcement.select().count()
    resp = editor.post("/staff/announcements/new", {"title": title, "body": "请于 12 月 31 日前完成学习并打印证书。",
                                                    "level": level, "starts_at": starts, "ends_at": ends})
    assert resp.status_code == 302
    assert Announcement.select().count() == before + 1
    return Announcement.get(Announcement.title == title)


def test_editor_writes_publishes_and_withdraws(app, editor):
    bad = editor.post("/staff/announcements/new", {"title": "", "body": "x", "level": "notice",
                                                   "starts_at": "2027-01-02T08:00", "ends_at": "2027-01-01T08:00"})
    assert bad.status_code == 422 and "请修改标出的 2 项" in text_of(bad)
    assert "结束时间应晚于开始时间" in text_of(bad) and Announcement.select().count() == 0
    now = utcnow()
    notice = _write(editor, "学时截止提醒", _beijing(now - datetime.timedelta(hours=1)),
                    _beijing(now + datetime.timedelta(days=2)))
    assert notice.is_published is False
    assert app.test_client().get("/api/v1/announcements").get_json()["data"] == []  # a draft is not shown
    assert editor.post(f"/staff/announcements/{notice.id}/publish").status_code == 302
    shown = app.test_client().get("/api/v1/announcements").get_json()["data"]
    assert [(a["title"], a["level_text"]) for a in shown] == [("学时截止提醒", "截止提醒")]
    assert editor.post(f"/staff/announcements/{notice.id}/withdraw").status_code == 302
    assert app.test_client().get("/api/v1/announcements").get_json()["data"] == []
    assert [e.action for e in AuditEntry.select().order_by(AuditEntry.id)][-3:] == [
        "announcement.create", "announcement.publish", "announcement.withdraw"]
    learner_console = make_staff_member(app, ("finance",), i=961)
    assert learner_console.get("/staff/announcements/").status_code == 403


@pytest.mark.browser
def test_an_announcement_shows_on_the_h5_home_page_until_its_end(app, live_server, page, editor, shots, engine):
    now = utcnow()
    ending = _write(editor, "系统维护通知", _beijing(now - datetime.timedelta(minutes=5)),
                    _beijing(now + datetime.timedelta(minutes=1)), level="maintenance")
    later = _write(editor, "下周开放补学", _beijing(now + datetime.timedelta(days=7)),
                   _beijing(now + datetime.timedelta(days=9)), level="notice")
    for a in (ending, later):
        editor.post(f"/staff/announcements/{a.id}/publish")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + "/")
    expect(page.locator("#announcements")).to_contain_text("系统维护通知")
    expect(page.locator("#announcements")).not_to_contain_text("下周开放补学")  # not started yet
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / f"home-announcement-{engine}.png"))
    # Its end comes (moved to a second from now rather than waiting a minute): the home page no longer shows it.
    Announcement.update(ends_at=utcnow() + datetime.timedelta(seconds=1)).where(Announcement.id == ending.id).execute()
    time.sleep(1.2)
    page.reload()
    expect(page.locator("#announcements")).to_have_count(0)
    expect(page.locator("#catalogue")).to_be_visible()


def test_the_mini_program_home_shows_the_announcements_of_the_backend(app, editor):
    """The mini-program's api/announcements.js and home page data over real HTTP, before and after the end."""
    now = utcnow()
    notice = _write(editor, "年度学习截止", _beijing(now - datetime.timedelta(minutes=5)),
                    _beijing(now + datetime.timedelta(minutes=1)))
    editor.post(f"/staff/announcements/{notice.id}/publish")

    def run(base):
        out = subprocess.run(["node", str(ROOT / "miniprogram/test/contract/announcements.js"), base],
                             capture_output=True, text=True, timeout=60, env={**os.environ})
        assert out.returncode == 0, out.stdout + out.stderr
        return json.loads(out.stdout.strip().splitlines()[-1].removeprefix("RESULT "))

    with serve(app) as base:
        shown = run(base)
        assert [a["title"] for a in shown["announcements"]] == ["年度学习截止"]
        assert shown["rendered"] == ["截止提醒 年度学习截止"]
        Announcement.update(ends_at=utcnow() - datetime.timedelta(seconds=1)).where(
            Announcement.id == notice.id).execute()
        assert run(base) == {"announcements": [], "rendered": []}
