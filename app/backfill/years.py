"""Earlier years' plans (2011-2022): grant-only projects that are never sold, only granted after an
approved 补学 application. Their courses, chapters and questions are copied from an existing plan."""
import datetime

from app.db import db
from app.learning.models import Chapter, Course, Project, Question

FIRST_YEAR, LAST_YEAR = 2011, 2022


def create_year(year, source, credit_hours=None):
    """The grant-only plan of `year` (made once; its content copied from the project `source`)."""
    name = f"{year}年公需科目"
    project = Project.get_or_none(Project.year == year, Project.name == name)
    if project is not None:
        return project, False
    with db.atomic():
        project = Project.create(
            year=year, name=name, price_fen=0, credit_hours=credit_hours or source.credit_hours, grant_only=True,
            description=f"{year}年度专业技术人员继续教育公需科目（往年计划，仅可申请补学开通）。",
            sale_start=datetime.datetime(year, 1, 1) - datetime.timedelta(hours=8),
            sale_end=datetime.datetime(year + 1, 1, 1) - datetime.timedelta(hours=8))
        for course in Course.select().where(Course.project == source.id).order_by(Course.position, Course.id):
            copy = Course.create(project=project.id, title=course.title, lecturer=course.lecturer,
                                 summary=course.summary, credit_hours=course.credit_hours, position=course.position)
            for chapter in Chapter.select().where(Chapter.course == course.id).order_by(Chapter.position):
                Chapter.create(course=copy.id, title=chapter.title, position=chapter.position,
                               video_url=chapter.video_url, duration_seconds=chapter.duration_seconds)
        for question in Question.select().where(Question.project == source.id, Question.course.is_null()):
            Question.create(project=project.id, text=question.text, options=question.options, answer=question.answer)
    return project, True


def create_years(source, first=FIRST_YEAR, last=LAST_YEAR):
    """Every earlier year's plan from `first` to `last`; lines saying what was made."""
    lines = []
    for year in range(first, last + 1):
        project, made = create_year(year, source)
        lines.append(f"project  {project.name}  grant-only (补学){' created' if made else ''}")
    return lines
