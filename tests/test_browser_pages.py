"""Every learner page in headless Chromium, on a 390 px phone and a PC: no sideways scrolling, no
content-security-policy violation in the console, no missing resource, and progress bars as wide as
their numbers say."""
import pytest
from playwright.sync_api import expect

from app.accounts.models import User
from app.demo import demo_year, seed_catalogue
from app.learning.models import Chapter, ChapterProgress, Course, CourseCompletion, Enrollment, Project

pytestmark = pytest.mark.browser
WIDTHS = {"phone": (390, 844), "pc": (1280, 900)}


@pytest.fixture
def learner_with_progress(app, registered):
    """The demo plan, one course of it finished: completion strictly between 0 and 100."""
    seed_catalogue()
    project = Project.get(Project.year == demo_year())
    user = User.get()
    Enrollment.create(user=user.id, project=project.id, source="grant")
    course = Course.select().where(Course.project == project.id).order_by(Course.position).first()
    for chapter in Chapter.select().where(Chapter.course == course.id):
        ChapterProgress.create(user=user.id, chapter=chapter.id, watched_seconds=chapter.duration_seconds,
                               last_position=chapter.duration_seconds, completed_at=chapter.created_at)
    CourseCompletion.create(user=user.id, course=course.id, credit_hours=course.credit_hours)
    chapter = Chapter.select().where(Chapter.course == course.id).first()
    return {"project": project, "course": course, "chapter": chapter, "user": user, **registered}


def _pages(data):
    project, course, chapter = data["project"], data["course"], data["chapter"]
    return ["/", "/help", "/verify", "/account", "/account/password", "/learning", f"/learning/{project.id}",
            f"/learning/courses/{course.id}", f"/learning/chapters/{chapter.id}", "/certs", "/orders", "/group",
            "/group/orders", f"/projects/{project.id}", f"/certs/{project.id}/profile"]


def _watch_console(page):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return problems


def _log_in(page, live_server, data):
    page.goto(live_server + "/login")
    page.fill("#f-username", data["mobile"])
    page.fill("#f-password", data["password"])
    page.click("#submit")
    expect(page.locator("#profile")).to_contain_text(data["name"])


@pytest.mark.parametrize("width", WIDTHS)
def test_every_learner_page_fits_and_keeps_the_policy(live_server, page, shots, engine, width,
                                                       learner_with_progress):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    for anonymous in ("/login", "/register", "/forgot"):
        problems = _watch_console(page)
        page.goto(live_server + anonymous)
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width][0], anonymous
        assert not problems, (anonymous, problems)
    _log_in(page, live_server, learner_with_progress)
    for path in _pages(learner_with_progress):
        problems = _watch_console(page)
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        name = path.strip("/").replace("/", "-") or "home"
        page.screenshot(path=str(shots / f"page-{name}-{width}-{engine}.png"), full_page=True)
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}"
        assert not [p for p in problems if "Content Security Policy" in p or p[:1] in "45"], (path, problems)


def test_progress_bars_are_as_wide_as_their_numbers(live_server, page, engine, learner_with_progress):
    page.set_viewport_size({"width": 390, "height": 844})
    _log_in(page, live_server, learner_with_progress)
    project = learner_with_progress["project"]
    for path in ("/learning", f"/learning/{project.id}"):
        page.goto(live_server + path)
        bars = page.locator(".bar[data-pct]")
        assert bars.count() >= 1
        for i in range(bars.count()):
            bar = bars.nth(i)
            pct = int(bar.get_attribute("data-pct"))
            assert 0 < pct < 100, "the fixture finishes one course of several"
            outer = bar.bounding_box()["width"]
            inner = bar.locator("i").bounding_box()["width"]
            assert abs(inner / outer * 100 - pct) <= 1, f"{path}: bar drawn at {inner / outer:.0%}, says {pct}%"
    expect(page.locator("#completion")).to_contain_text("%")


def test_next_steps_are_linked(live_server, page, learner_with_progress):
    page.set_viewport_size({"width": 390, "height": 844})
    _log_in(page, live_server, learner_with_progress)
    expect(page.locator("#link-orders")).to_have_attribute("href", "/orders")
    page.goto(live_server + f"/learning/courses/{learner_with_progress['course'].id}")
    page.click("#back-to-plan")
    expect(page).to_have_url(live_server + f"/learning/{learner_with_progress['project'].id}")
    expect(page.locator("#to-certificate")).to_have_count(0)  # not finished yet
