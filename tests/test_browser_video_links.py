"""Headless Chromium: the H5 player renews a video link that expired during a long pause or before a seek,
and playback goes on at the same place without the learner doing anything."""
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from app.accounts.models import User
from app.learning.models import Enrollment
from tests.learning_fixtures import make_plan
from tests.test_browser_content import login

pytestmark = pytest.mark.browser


def _wait(page, expression, timeout=10.0):
    """Poll a script expression (the page's CSP forbids wait_for_function's eval)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


def _expires(page):
    return int(parse_qs(urlsplit(page.evaluate("document.getElementById('video').currentSrc")).query)["e"][0])


def test_an_expired_link_is_renewed_after_a_pause_and_before_a_seek(app, live_server, page, registered, shots,
                                                                     engine):
    app.config.update(VIDEO_LINK_SECONDS=4, LEARNING_HEARTBEAT_SECONDS=1)
    plan = make_plan(courses=((12,),))
    Enrollment.create(user=User.get().id, project=plan.project.id, source="grant")
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, registered["mobile"])
    page.goto(f"{live_server}/learning/chapters/{plan.chapter.id}")
    page.wait_for_selector("#player[data-session]")
    first = _expires(page)
    page.evaluate("document.getElementById('video').play()")
    _wait(page, "document.getElementById('video').currentTime > 1.5")
    page.evaluate("document.getElementById('video').pause()")
    paused_at = page.evaluate("document.getElementById('video').currentTime")
    time.sleep(max(0, first - time.time()) + 0.5)  # a long pause: the link has run out
    page.evaluate("document.getElementById('video').play()")
    expect(page.locator("#player")).to_have_attribute("data-renewed", "1", timeout=10000)
    _wait(page, f"document.getElementById('video').currentTime > {paused_at + 0.5}")
    assert page.evaluate("!document.getElementById('video').paused")
    assert page.evaluate("document.getElementById('video').error") is None
    second = _expires(page)
    assert second > first
    # The renewed link expires too; a seek back then renews again and plays from where the learner asked.
    time.sleep(max(0, second - time.time()) + 0.5)
    page.evaluate("document.getElementById('video').currentTime = 1")
    expect(page.locator("#player")).to_have_attribute("data-renewed", "2", timeout=10000)
    _wait(page, "document.getElementById('video').currentTime >= 1.5")
    assert page.evaluate("document.getElementById('video').error") is None
    assert _expires(page) > second
    expect(page.locator("#notice")).to_be_hidden()
    page.screenshot(path=str(shots / f"player-renewed-{engine}.png"))
