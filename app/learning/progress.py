"""What a learner has earned: per chapter, per course, per plan (R-9, R-10)."""
from app.content.covers import cover_url
from app.content.media import chapter_link
from app.learning.flush import earned_hours
from app.learning.keys import keys, raw_redis
from app.learning.models import Chapter, ChapterProgress, Course, CourseCompletion

PER_PAGE = 10


def plan_progress(user, project):
    earned = earned_hours(user.id, project.id)
    total = Course.select().where(Course.project == project.id, Course.live()).count()
    done = (CourseCompletion.select().join(Course)
            .where(CourseCompletion.user == user.id, Course.project == project.id, Course.live()).count())
    return {"earned_hours": earned, "credit_hours": project.credit_hours, "courses_done": done, "courses_total": total,
            "completion": min(100, round(100 * earned / project.credit_hours)) if project.credit_hours else 0,
            "complete": total > 0 and done >= total and earned >= project.credit_hours}


def courses_page(user, project, page=1, per_page=PER_PAGE):
    """The plan's courses, paged, each with how many chapters are done."""
    query = Course.select().where(Course.project == project.id, Course.live()).order_by(Course.position, Course.id)
    total = query.count()
    courses = list(query.paginate(page, per_page))
    ids = [c.id for c in courses]
    chapters = {}
    for ch in Chapter.select(Chapter.id, Chapter.course).where(Chapter.course.in_(ids)):
        chapters.setdefault(ch.course_id, []).append(ch.id)
    finished = {p.chapter_id for p in ChapterProgress.select(ChapterProgress.chapter).where(
        ChapterProgress.user == user.id, ChapterProgress.completed_at.is_null(False),
        ChapterProgress.chapter.in_([c for lst in chapters.values() for c in lst]))}
    completed = {c.course_id for c in CourseCompletion.select(CourseCompletion.course).where(
        CourseCompletion.user == user.id, CourseCompletion.course.in_(ids))}
    items = [{"id": c.id, "title": c.title, "lecturer": c.lecturer, "credit_hours": c.credit_hours,
              "chapters_total": len(chapters.get(c.id, [])),
              "chapters_done": sum(1 for ch in chapters.get(c.id, []) if ch in finished),
              "complete": c.id in completed} for c in courses]
    return {"items": items, "page": page, "per_page": per_page, "total": total,
            "pages": max(1, -(-total // per_page))}


def course_detail(user, course):
    """Chapters with their state; watched seconds include what Redis holds but was not flushed yet."""
    chapters = list(Chapter.select().where(Chapter.course == course.id).order_by(Chapter.position, Chapter.id))
    rows = {p.chapter_id: p for p in ChapterProgress.select().where(
        ChapterProgress.user == user.id, ChapterProgress.chapter.in_([c.id for c in chapters]))}
    pipe = raw_redis().pipeline()
    for ch in chapters:
        pipe.bitcount(keys(user.id, ch.id)["coverage"])
    live = pipe.execute() if chapters else []
    out = []
    for ch, live_seconds in zip(chapters, live, strict=True):
        row = rows.get(ch.id)
        watched = max(live_seconds, row.watched_seconds if row else 0)
        state = "complete" if row and row.completed_at else ("started" if watched else "new")
        out.append({"id": ch.id, "title": ch.title, "duration": ch.duration_seconds,
                    "video_url": chapter_link(ch, user.id),
                    "watched_seconds": min(watched, ch.duration_seconds), "state": state,
                    "last_position": row.last_position if row else 0})
    complete = CourseCompletion.select().where(CourseCompletion.user == user.id,
                                               CourseCompletion.course == course.id).exists()
    return {"id": course.id, "title": course.title, "lecturer": course.lecturer, "credit_hours": course.credit_hours,
            "project_id": course.project_id, "complete": complete, "chapters": out, "summary": course.summary,
            "cover_url": cover_url(course)}
