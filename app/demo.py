"""Demo accounts and catalogue for a local run (the README lists them). Idempotent."""
import datetime
import json

from app.accounts import rules, service
from app.learning.models import Chapter, Course, Project, Question
from app.money import yuan

DEMO_PASSWORD = "Demo2026"
STAFF_PASSWORD = "Staff2026"
LEARNERS = [
    ("张三", "500103199003077657", "13800000001"),
    ("李四", "500108198506121223", "13800000002"),
    ("买买提·艾力", "650102198811200010", "13800000003"),
]
STAFF = ("王老师", "11010519491231002X", "13900000009", "admin")


def seed():
    lines = seed_catalogue()
    from app.backfill.years import create_years  # earlier years' grant-only plans (补学), same content

    year = demo_year()
    lines += create_years(Project.get(Project.year == year, Project.name == f"{year}年公需科目"))
    for name, id_number, mobile in LEARNERS:
        if service.find_by_id_number(id_number) is None:
            service.create_user(name=name, id_number=id_number, mobile=mobile, gender=rules.id_gender(id_number),
                                password=DEMO_PASSWORD)
        lines.append(f"learner  {name:8} login: {id_number} or {mobile}  password: {DEMO_PASSWORD}")
    name, id_number, mobile, username = STAFF
    if service.find_by_id_number(id_number) is None:
        from app.staff import roles

        staff = service.create_user(name=name, id_number=id_number, mobile=mobile, gender=rules.id_gender(id_number),
                                    password=STAFF_PASSWORD, username=username, role="staff")
        roles.grant(staff, "admin")
    lines.append(f"staff    {name:8} login: {username}  password: {STAFF_PASSWORD}")
    from app.units.demo import seed_unit

    lines.append(seed_unit(service.find_by_id_number(LEARNERS[0][1])))
    from app.content.announcements import seed_demo

    lines.append(seed_demo(demo_year()))
    return lines


COURSES = [
    ("数字经济与创新驱动发展", "陈明", 8),
    ("专业技术人员职业道德与诚信建设", "李华", 6),
    ("人工智能技术应用与发展趋势", "王强", 6),
    ("知识产权保护与运用实务", "赵敏", 4),
    ("心理健康与压力管理", "刘洋", 6),
]


# Short videos shipped with the project (made with ffmpeg's test source), copied into storage: learners get
# them through expiring links like any uploaded video (app/content/media.py), never as public static files.
DEMO_VIDEOS = [("chapter-12s.mp4", 12), ("chapter-20s.mp4", 20)]
QUESTIONS = [
    ("专业技术人员每年须完成多少学时的公需科目？", ["10 学时", "20 学时", "30 学时", "40 学时"], 2),
    ("一门课程的学时什么时候计入？", ["打开课程即可", "全部章节看完后", "答对一道题后", "购买后立即"], 1),
    ("下列哪种做法不计入学习时长？",
     ["1 倍速连续播放", "倍速播放或拖动进度条", "暂停后继续播放", "按时回答弹出的问题"], 1),
    ("忘记登录密码可以怎样找回？", ["用注册手机号接收短信验证码", "重新注册一个账号", "发送电子邮件"], 0),
    ("电子发票应在什么时候申请？", ["付款当年", "任意年份", "次年年底前"], 0),
    ("学时证书上的电子签章还需要另外盖章吗？", ["需要单位盖章", "不需要"], 1),
]


def demo_video_key(name):
    """The storage key of a shipped demo video, copying it into storage the first time."""
    from pathlib import Path

    from app.storage import storage

    key = f"videos/demo/{name}"
    if not storage().exists(key):
        with (Path(__file__).parent / "content" / "demo_media" / name).open("rb") as fh:
            storage().put_file(key, fh, "video/mp4")
    return key


def demo_year():
    """This year in China (the demo plan on sale); last year's plan is shown with its sale ended."""
    return (datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=8)).year


def seed_catalogue():
    """This year's public compulsory subjects (on sale) and last year's (sale ended)."""
    lines = []
    for name, _ in DEMO_VIDEOS:  # a database seeded when the demo videos were public static files
        Chapter.update(video_key=demo_video_key(name), video_url="").where(
            Chapter.video_url == f"/static/demo/{name}").execute()
    this_year = demo_year()
    for year, price, courses in ((this_year, 6000, COURSES), (this_year - 1, 6000, COURSES)):
        name = f"{year}年公需科目"
        project = Project.get_or_none(Project.year == year, Project.name == name)
        if project is None:
            project = Project.create(
                year=year, name=name, price_fen=price, credit_hours=30,
                description=f"{year}年度专业技术人员继续教育公需科目，须完成 30 学时。",
                sale_start=datetime.datetime(year, 1, 1) - datetime.timedelta(hours=8),
                sale_end=datetime.datetime(year + 1, 1, 1) - datetime.timedelta(hours=8))
            for position, (title, lecturer, hours) in enumerate(courses):
                course = Course.create(project=project.id, title=title, lecturer=lecturer, credit_hours=hours,
                                       position=position)
                for index, (video, seconds) in enumerate(DEMO_VIDEOS):
                    Chapter.create(course=course.id, title=f"第{index + 1}讲", position=index,
                                   video_key=demo_video_key(video), duration_seconds=seconds)
            for text, options, answer in QUESTIONS:
                Question.create(project=project.id, text=text, options=json.dumps(options, ensure_ascii=False),
                                answer=answer)
        lines.append(f"project  {name}  price {yuan(price)} yuan, {len(courses)} courses")
    return lines
