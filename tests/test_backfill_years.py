"""Earlier years' plans: made by operators (`flask backfill add-years`) or the demo seed, grant-only, with
the courses, chapters and questions of an existing plan; never sold."""
from app.backfill.years import create_year
from app.learning.models import Chapter, Course, Project, Question
from tests.learning_fixtures import make_plan


def test_operators_make_the_earlier_years_once(app):
    source = make_plan(courses=((12, 20), (12,)), course_hours=15).project
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backfill", "add-years", "--from-project", str(source.id), "--first", "2011",
                                 "--last", "2022"])
    assert result.exit_code == 0, result.output
    years = list(Project.select().where(Project.grant_only == True).order_by(Project.year))  # noqa: E712
    assert [p.year for p in years] == list(range(2011, 2023))
    first = years[0]
    assert (first.name, first.credit_hours, first.on_sale(), first.price_fen) == ("2011年公需科目", 30, False, 0)
    courses = list(Course.select().where(Course.project == first.id).order_by(Course.position))
    assert [(c.title, c.credit_hours) for c in courses] == [("课程1", 15), ("课程2", 15)]
    assert [c.duration_seconds for c in Chapter.select().where(Chapter.course == courses[0].id)
            .order_by(Chapter.position)] == [12, 20]
    assert Question.select().where(Question.project == first.id).count() == 4
    again = runner.invoke(args=["backfill", "add-years", "--from-project", str(source.id)])
    assert again.exit_code == 0 and "created" not in again.output
    assert Project.select().where(Project.grant_only == True).count() == 12  # noqa: E712


def test_bad_arguments_are_refused(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backfill", "add-years", "--from-project", "999"])
    assert result.exit_code == 1 and "no project with id 999" in result.output
    source = make_plan().project
    result = runner.invoke(args=["backfill", "add-years", "--from-project", str(source.id), "--first", "2022",
                                 "--last", "2011"])
    assert result.exit_code == 1 and "FIRST <= LAST" in result.output
    assert Project.select().where(Project.grant_only == True).count() == 0  # noqa: E712


def test_the_demo_seed_makes_2011_to_2022(app):
    from app import demo

    demo.seed()
    assert [p.year for p in Project.select().where(Project.grant_only == True).order_by(Project.year)] == list(  # noqa: E712
        range(2011, 2023))
    project, made = create_year(2015, Project.get(Project.year == demo.demo_year()))
    assert made is False and Course.select().where(Course.project == project.id).count() == len(demo.COURSES)
