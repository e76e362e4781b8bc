"""The content editor's rules: projects, courses, chapters and question banks, drafts and publishing.

Forms arrive as strings; each `save_*` returns (object, errors) where errors maps a field to a Chinese message and
nothing is written while any error stands. Dates are China dates: a sale window "2027-01-01 … 2027-12-31" is on
sale from 00:00 on the first day to 24:00 on the last, Beijing time (stored in UTC).

Drafts and published courses (the rule learners' progress follows):
- a new course is a draft, invisible to learners, until published; publishing needs at least one chapter and
  every chapter's video ready;
- a published course may get new chapters (drafts of the course are not needed for that) and its texts and
  order may change; a chapter that any learner has started cannot be deleted and its video cannot be replaced,
  so no one's watched seconds ever point at a different video;
- a learner who completed a course keeps that completion and its hours when a chapter is added later (credit
  earned is never taken back); a learner who has not completed it yet must also watch the new chapter;
- a published course is not withdrawn once anyone has started it.
"""
import datetime
import json
import re
from decimal import Decimal, InvalidOperation

from app.db import utcnow
from app.learning.models import Chapter, ChapterProgress, Course, Enrollment, Project, Question
from app.money import yuan

CHINA = datetime.timedelta(hours=8)
MAX_OPTIONS = 6


def _text(form, name, label, errors, limit, required=True):
    value = (form.get(name) or "").strip()
    if required and not value:
        errors[name] = f"请填写{label}"
    elif len(value) > limit:
        errors[name] = f"{label}不能超过 {limit} 个字"
    return value


def _int(form, name, label, errors, low, high):
    raw = (form.get(name) or "").strip()
    if not re.fullmatch(r"\d{1,6}", raw) or not low <= int(raw) <= high:
        errors[name] = f"{label}应为 {low}–{high} 的整数"
        return None
    return int(raw)


def _date(form, name, label, errors):
    raw = (form.get(name) or "").strip()
    try:
        return datetime.datetime.strptime(raw, "%Y-%m-%d")
    except ValueError:
        errors[name] = f"{label}应为日期（如 2027-01-01）"
        return None


def china_date(value, end=False):
    """A stored UTC bound as the China date a form shows (an end bound shows its last day)."""
    local = value + CHINA - (datetime.timedelta(days=1) if end else datetime.timedelta())
    return local.strftime("%Y-%m-%d")


def project_form(project):
    if project is None:
        year = (utcnow() + CHINA).year + 1
        return {"year": str(year), "name": f"{year}年公需科目", "price_yuan": "", "credit_hours": "30",
                "sale_start": f"{year}-01-01", "sale_end": f"{year}-12-31", "mode": "sale", "description": ""}
    return {"year": str(project.year), "name": project.name, "price_yuan": yuan(project.price_fen),
            "credit_hours": str(project.credit_hours), "sale_start": china_date(project.sale_start),
            "sale_end": china_date(project.sale_end, end=True), "mode": "grant" if project.grant_only else "sale",
            "description": project.description}


def save_project(form, project=None):
    """Create (a draft) or update a project: year, name, price, credit hours, sale window, for sale or grant only."""
    errors = {}
    fields = {"year": _int(form, "year", "年度", errors, 2000, 2100),
              "name": _text(form, "name", "项目名称", errors, 60),
              "description": _text(form, "description", "简介", errors, 500, required=False),
              "credit_hours": _int(form, "credit_hours", "学时要求", errors, 1, 200),
              "grant_only": form.get("mode") == "grant"}
    try:
        price = Decimal((form.get("price_yuan") or "").strip())
        if price < 0 or price > 100000 or price != price.quantize(Decimal("0.01")):
            raise InvalidOperation
        fields["price_fen"] = int(price * 100)
    except InvalidOperation:
        errors["price_yuan"] = "价格应为 0–100000 元，最多两位小数"
    start, end = _date(form, "sale_start", "开始日期", errors), _date(form, "sale_end", "结束日期", errors)
    if start and end:
        if end < start:
            errors["sale_end"] = "结束日期不能早于开始日期"
        fields["sale_start"], fields["sale_end"] = start - CHINA, end + datetime.timedelta(days=1) - CHINA
    if errors:
        return project, errors
    if project is None:
        return Project.create(is_published=False, **fields), {}
    Project.update(**fields).where(Project.id == project.id).execute()
    return Project.get_by_id(project.id), {}


def course_form(course):
    if course is None:
        return {"title": "", "lecturer": "", "summary": "", "credit_hours": "6", "position": ""}
    return {"title": course.title, "lecturer": course.lecturer, "summary": course.summary,
            "credit_hours": str(course.credit_hours), "position": str(course.position)}


def save_course(form, project, course=None):
    """Create (a draft) or update a course: title, summary, teacher, credit hours, order."""
    errors = {}
    fields = {"title": _text(form, "title", "课程名称", errors, 80),
              "lecturer": _text(form, "lecturer", "主讲教师", errors, 40),
              "summary": _text(form, "summary", "课程简介", errors, 1000),
              "credit_hours": _int(form, "credit_hours", "学时", errors, 1, 100)}
    if (form.get("position") or "").strip():
        fields["position"] = _int(form, "position", "排序", errors, 0, 999)
    elif course is None:
        fields["position"] = Course.select().where(Course.project == project.id).count()
    if errors:
        return course, errors
    if course is None:
        return Course.create(project=project.id, published_at=None, **fields), {}
    Course.update(**fields).where(Course.id == course.id).execute()
    return Course.get_by_id(course.id), {}


def chapter_started(chapter_id):
    """Has any learner watched part of this chapter?"""
    return ChapterProgress.select().where(ChapterProgress.chapter == chapter_id).exists()


def course_started(course_id):
    return (ChapterProgress.select().join(Chapter).where(Chapter.course == course_id).exists())


def new_chapter(course, title, errors):
    title = _text({"title": title}, "title", "章节名称", errors, 80)
    if errors:
        return None
    position = Chapter.select().where(Chapter.course == course.id).count()
    return Chapter.create(course=course.id, title=title, position=position, duration_seconds=0,
                          video_state="uploaded", video_progress=0)


def publish_problems(course):
    """Why the course cannot be published yet (empty: it can)."""
    chapters = list(Chapter.select().where(Chapter.course == course.id))
    problems = []
    if not chapters:
        problems.append("课程还没有章节")
    not_ready = [c.title for c in chapters if c.video_state != "ready" or not (c.video_key or c.video_url)]
    if not_ready:
        problems.append("以下章节的视频尚未就绪：" + "、".join(not_ready))
    return problems


def publish_course(course):
    problems = publish_problems(course)
    if not problems:
        Course.update(published_at=utcnow()).where(Course.id == course.id, Course.published_at.is_null()).execute()
    return problems


def unpublish_problems(course):
    if course_started(course.id):
        return ["已有学员开始学习本课程，不能撤回"]
    return []


def publish_project(project, published):
    Project.update(is_published=published).where(Project.id == project.id).execute()


def project_has_learners(project):
    return Enrollment.select().where(Enrollment.project == project.id).exists()


def save_question(form, course):
    """A question of the course's bank: text, 2–6 options (one a line), the right one (its number)."""
    errors = {}
    text = _text(form, "text", "题目", errors, 200)
    options = [line.strip() for line in (form.get("options") or "").splitlines() if line.strip()]
    if not 2 <= len(options) <= MAX_OPTIONS:
        errors["options"] = f"请填写 2–{MAX_OPTIONS} 个选项，每行一个"
    elif any(len(o) > 60 for o in options):
        errors["options"] = "每个选项不能超过 60 个字"
    elif len(set(options)) != len(options):
        errors["options"] = "选项不能重复"
    answer = _int(form, "answer", "正确选项序号", errors, 1, max(2, len(options)))
    if errors:
        return None, errors
    return Question.create(project=course.project_id, course=course.id, text=text,
                           options=json.dumps(options, ensure_ascii=False), answer=answer - 1), {}
