"""The app and the data of bench/bench_group_check.py: the app in test mode on a given database and
Redis, N registered learners seeded in bulk (some already owning the plan, some deactivated), the list
a unit would paste (registered numbers with names, and the usual mistakes), and that list as the unit's
附件2 workbook. bench/bench_staff.py and bench/bench_reports.py use its app and identities too.
"""
import datetime
import io

REGIONS = ("500103", "500108", "500112", "110105", "310104", "440305", "650102", "510107")
BATCH = 500


def make_app(db_url, redis_url):
    """The app in test mode on `db_url` and `redis_url`: cheap argon2, text messages to the outbox."""
    from app import create_app

    return create_app({
        "APP_ENV": "test", "TESTING": True, "SECRET_KEY": "bench-secret-key-for-the-group-check-only",
        "DATABASE_URL": db_url, "REDIS_URL": redis_url, "SMS_PROVIDER": "outbox",
        "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 64, "ARGON2_PARALLELISM": 1,
    })


def identity(i):
    """A valid ID number and a distinct mobile for learner `i` (distinct for i < 144,000)."""
    from app.accounts import rules

    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=(i * 13) % 18000)
    first17 = f"{REGIONS[(i // 18000) % len(REGIONS)]}{birth:%Y%m%d}{i % 1000:03d}"
    return first17 + rules.check_digit(first17), f"13{i:09d}"


SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨"
GIVEN = "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平"


def name_for(i):
    """A valid name for learner `i` (the name rule: 汉字 only)."""
    return SURNAMES[i % 16] + GIVEN[(i // 16) % 20] + GIVEN[(i // 320) % 20]


def seed(n, rng):
    """N learners, the unit's contact, the unit, the project; returns what the list is built from."""
    from app.accounts import passwords, service
    from app.accounts.models import User
    from app.db import db, utcnow
    from app.learning.models import Enrollment, Project
    password_hash = passwords.hash_password("Bench2026pass")
    now = utcnow()
    numbers = [identity(i)[0] for i in range(n + 2)]
    rows = []
    for i in range(n + 2):
        number, mobile = identity(i)
        rows.append({"name": name_for(i), "gender": "M" if int(number[16]) % 2 else "F",
                     "password_hash": password_hash, "role": "learner", "created_at": now, "updated_at": now,
                     "data_confirmed_at": now, **service._pii_columns(number, mobile)})
    with db.atomic():
        for start in range(0, len(rows), BATCH):
            User.insert_many(rows[start:start + BATCH]).execute()
    ids = dict(User.select(User.id_number_hash, User.id).tuples())
    from app.pii import cipher

    user_ids = [ids[cipher().index(number, "id_number")] for number in numbers]
    buyer = User.get_by_id(user_ids[n])
    from app.units.models import Unit, UnitContact

    unit = Unit.create(name="重庆市某某局", credit_code="91500000MA5U00000W", district_code="500103", status="active")
    UnitContact.create(unit=unit.id, user=buyer.id, email="hr@example.cn", state="approved")
    learners = list(range(n))
    project = Project.create(year=now.year, name=f"{now.year}年公需科目", price_fen=9900,
                             sale_start=now - datetime.timedelta(days=1), sale_end=now + datetime.timedelta(days=90))
    shuffled = rng.sample(learners, len(learners))
    owners = shuffled[: n * 5 // 100]  # 5 % already own the plan
    inactive = shuffled[len(owners): len(owners) + n // 200]  # 0.5 % deactivated
    with db.atomic():
        for start in range(0, len(owners), BATCH):
            Enrollment.insert_many([{"user": user_ids[i], "project": project.id, "source": "grant", "created_at": now}
                                    for i in owners[start:start + BATCH]]).execute()
        User.update(is_active=False).where(User.id.in_([user_ids[i] for i in inactive])).execute()
    return numbers[:n], project, buyer, unit, {"owners": len(owners), "inactive": len(inactive)}


def build_list(numbers, lines, rng):
    """`lines` lines: mostly registered numbers as a unit would paste them, and the usual mistakes."""
    out, registered = [], list(enumerate(numbers))
    rng.shuffle(registered)
    pool = iter(registered)
    kinds = {"registered": 0, "wrong_check_digit": 0, "bad_date": 0, "old_15_digit": 0, "duplicate": 0,
             "unregistered": 0, "wrong_name": 0, "id_alone": 0}
    for i in range(lines):
        roll = rng.random()
        index, number = next(pool, (None, None))
        if roll < 0.015 or number is None and roll < 0.5:
            kind, text = "unregistered", identity(200_000 + i)[0]
        elif roll < 0.025:
            kind, text = "wrong_check_digit", number[:17] + ("0" if number[17] != "0" else "1")
        elif roll < 0.03:
            kind, text = "bad_date", number[:10] + "0230" + number[14:]
        elif roll < 0.035:
            kind, text = "old_15_digit", number[:6] + number[8:17]
        elif roll < 0.055 and out:
            kind, text = "duplicate", rng.choice(out)
        else:
            kind, text = "registered", number
            variant = rng.random()
            if variant < 0.05:
                text = text.lower()
            elif variant < 0.08:
                text = text.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
            elif variant < 0.12:
                text = f"  {text[:6]} {text[6:14]} {text[14:]} "
            named = rng.random()
            if named < 0.03:
                kind, text = "wrong_name", f"{name_for(index + 1)} {text}"
            elif named < 0.10:
                kinds["id_alone"] += 1
            else:
                text = f"{name_for(index)} {text}"
        kinds[kind] += 1
        out.append(text)
    return out, kinds


def form_xlsx(rows):
    """The list as the unit's 附件2 workbook (text cells), for parse_xlsx."""
    import openpyxl

    wb = openpyxl.Workbook()  # not write-only: like Excel, it records the sheet's size up front
    ws = wb.active
    ws.title = "学员名单"
    ws.append(["附件2"])
    ws.append(["区    县：渝中区", None, "单位全称：重庆市某某局", None, "联系人：李经办"])
    ws.append(["序号", "姓名", "身份证号码", "手机号码", "性别", "备注"])
    for i, (name, number) in enumerate(rows, 1):
        ws.append([i, name, number, f"139{i:08d}", "", ""])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
