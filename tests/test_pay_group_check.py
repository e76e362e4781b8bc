"""Group check as plain functions: lines read, verdicts, one query, the saved check masked and short-lived."""
import datetime
import io
import json

import openpyxl
import pytest
from playhouse.test_utils import count_queries

from app.accounts import rules, service
from app.accounts.models import User
from app.db import utcnow
from app.errors import ApiError
from app.learning.models import Enrollment, Project
from app.pay import orders
from app.pay.group import check, lines, store
from app.pay.models import OrderSeat
from app.pii import new_key_spec
from app.redis_client import get_redis
from app.units import roster
from app.units import service as units
from app.units.models import GroupCheckRecord

PASSWORD = "Secret123"


def make_id(i, region="500103"):
    """A valid ID number (GB 11643) for a test person `i` (distinct for i < 18000)."""
    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=(i * 13) % 18000)
    first17 = f"{region}{birth:%Y%m%d}{i % 1000:03d}"
    return first17 + rules.check_digit(first17)


def register(name, id_number, mobile):
    return service.create_user(name=name, id_number=id_number, mobile=mobile, gender=rules.id_gender(id_number),
                               password=PASSWORD)


def insert_learners(numbers, start_mobile=0, name="学员"):
    """Many accounts at once (no password hashing): {id_number: user_id}."""
    rows = [{"name": name, "gender": rules.id_gender(n), "password_hash": "-", "role": "learner",
             **service._pii_columns(n, f"137{start_mobile + i:08d}")} for i, n in enumerate(numbers)]
    for start in range(0, len(rows), 100):
        User.insert_many(rows[start:start + 100]).execute()
    return {n: service.find_by_id_number(n).id for n in numbers}


def on_sale_project(price_fen=9900):
    now = utcnow()
    return Project.create(year=now.year, name=f"{now.year}年公需科目", price_fen=price_fen,
                          sale_start=now - datetime.timedelta(days=1), sale_end=now + datetime.timedelta(days=60))


def approved_contact(user, code="91500000MA5U000000", name="重庆市某某局"):
    """`user` becomes the approved contact of a unit (registered with that credit code if new)."""
    staff = User.get_or_none(User.role == "staff") or register("管理员", make_id(990), "13500000990")
    User.update(role="staff").where(User.id == staff.id).execute()
    contact = units.apply(user, _valid_code(code), "hr@example.cn", name, "500103")
    units.decide(contact.id, User.get_by_id(staff.id), True)
    return units.require_contact(user, contact.unit_id)


def _valid_code(code17):
    code17 = code17[:17]
    total = sum(rules.USCC_CHARS.index(c) * w for c, w in zip(code17, rules.USCC_WEIGHTS, strict=True))
    return code17 + rules.USCC_CHARS[(31 - total % 31) % 31]


@pytest.fixture
def world(app):
    from types import SimpleNamespace

    project = on_sale_project()
    buyer = register("王经办", "500103198001010016", "13900000000")
    unit = approved_contact(buyer)
    people = {
        "plain": register("张三", "500103199003077657", "13900000001"),
        "with_x": register("李四", "11010519491231002X", "13900000002"),
        "full_width": register("王芳", "500108198506121223", "13900000003"),
        "spaces": register("刘强", "650102198811200010", "13900000004"),
        "owner": register("陈静", make_id(1), "13900000005"),
        "inactive": register("周敏", make_id(4), "13900000008"),
        "owner2": register("吴刚", make_id(2), "13900000006"),
    }
    for who in ("owner", "owner2"):
        Enrollment.create(user=people[who].id, project=project.id, source="grant")
    User.update(is_active=False).where(User.id == people["inactive"].id).execute()
    return SimpleNamespace(project=project, buyer=buyer, unit=unit, people=people)


# (line as pasted, status, code, words of the reason, whose account on an ok line)
TABLE = [
    ("500103199003077657", "error", "duplicate", "与第 12 行重复", None),        # ID alone, repeated below
    ("李四 11010519491231002x", "ok", None, None, "with_x"),                    # name + ID, lower-case x
    ("５００１０８１９８５０６１２１２２３", "ok", None, None, "full_width"),       # full-width digits
    ("  刘强\t6501 0219 8811 2000 10 ", "ok", None, None, "spaces"),             # spaces inside the number
    ("500103199003077658", "error", "invalid", "校验位不正确", None),
    ("110105491231002", "error", "invalid", "15 位旧身份证号已停止使用", None),
    ("孙 涛 " + make_id(20), "error", "name", "姓名中不能有空格", None),          # space inside the name
    ("王五 " + make_id(500), "error", "not_registered", check.NOT_REGISTERED, None),
    ("陈晨 " + make_id(2), "error", "name_mismatch", check.NAME_MISMATCH, None),  # wrong name, owner
    (make_id(1), "ok", None, None, "owner"),                                      # owns the plan: not said
    (make_id(4), "ok", None, None, "inactive"),                                   # disabled: not said
    ("张三 500103199003077657", "error", "duplicate", "与第 1 行重复", None),
    ("赵六" + make_id(600), "error", "not_registered", check.NOT_REGISTERED, None),  # name glued to the ID
]


def pasted_text():
    rows = [row[0] for row in TABLE]
    rows.insert(3, "")
    rows.insert(8, "   \u3000 ")
    return "\r\n".join(rows) + "\n\n"


def test_split_lines_reads_names_and_numbers():
    got = [(e.no, e.name, e.id_text) for e in lines.split_lines("a1\n\n  孙 涛  5001 0319\r\n\u3000\n张三500103\n")]
    assert got == [(1, "a", "1"), (2, "孙 涛", "50010319"), (3, "张三", "500103")]
    for text in ("", "  \n \n\u3000", None):
        with pytest.raises(ApiError) as err:
            lines.split_lines(text)
        assert err.value.status == 422 and "每行一个" in err.value.message
    with pytest.raises(ApiError) as err:
        lines.split_lines("\n".join(["500103199003077657"] * (lines.MAX_LINES + 1)))
    assert err.value.status == 422 and "10001" in err.value.message


def test_check_table(world):
    result = check.check_lines(world.project, lines.split_lines(pasted_text()))
    assert [line["no"] for line in result["lines"]] == list(range(1, len(TABLE) + 1))
    for line, (raw, status, code, reason, who) in zip(result["lines"], TABLE, strict=True):
        where = f"line {line['no']} {raw!r}: {line}"
        assert (line["status"], line["code"]) == (status, code), where
        if reason:
            assert reason in line["reason"], where
        person = world.people.get(who)
        assert line["user_id"] == (person.id if person else None), where
    ok_people = [world.people[k].id for k in ("with_x", "full_width", "spaces", "owner", "inactive")]
    assert result["valid_user_ids"] == ok_people
    assert result["labels"][world.people["with_x"].id] == "李四" and result["labels"][world.people["owner"].id] == ""
    assert result["counts"]["by_code"] == {"invalid": 2, "name": 1, "not_registered": 2, "name_mismatch": 1,
                                           "duplicate": 2}
    assert "姓名不同" not in result["lines"][0]["reason"]  # a line without a name differs from none
    view = json.dumps(store.public_view(result), ensure_ascii=False)
    assert "陈静" not in view and "吴刚" not in view and "周敏" not in view and "王芳" not in view
    for word in ("已购买", "停用", "待支付"):
        assert word not in view
    assert "500108198506121223" not in view and "6501 0219" not in view


def test_one_query_whatever_the_list(app, world):
    numbers = [make_id(1000 + i) for i in range(1000)]
    insert_learners(numbers[::3])
    small, large = numbers[100:110], numbers[:990] + ["500103199003077658", "123"] + numbers[:8]
    with count_queries() as q_small:
        r_small = check.check_lines(world.project, lines.split_lines("\n".join(small)))
    with count_queries() as q_large:
        r_large = check.check_lines(world.project, lines.split_lines("\n".join(large)))
    assert q_small.count == q_large.count == 1
    assert r_small["counts"]["ok"] == 3
    assert r_large["counts"]["by_code"] == {"not_registered": 660 - 5, "invalid": 2, "duplicate": 16}


def test_lookup_split_when_sqlite_would_refuse_so_many_values(world, monkeypatch):
    text = "\n".join(["500103199003077657", "11010519491231002X", "500108198506121223", make_id(1), make_id(500)])
    expected = check.check_lines(world.project, lines.split_lines(text))
    monkeypatch.setattr(check, "_param_limit", lambda: 2)
    with count_queries() as q:
        split = check.check_lines(world.project, lines.split_lines(text))
    assert split == expected and q.count == 3


def test_rotation_in_progress_still_one_lookup(app_factory, app, world):
    old = app.config["PII_KEYS"]
    rotating = app_factory(PII_KEYS=f"{new_key_spec('k2')},{old}")
    with rotating.app_context():
        newcomer = register("新学员", make_id(700), "13600000001")
        with count_queries() as q:
            result = check.check_lines(world.project, lines.split_lines(
                f"500103199003077657\n新学员 {make_id(700)}\n{make_id(701)}"))
    assert [line["status"] for line in result["lines"]] == ["ok", "ok", "error"]
    assert result["valid_user_ids"] == [world.people["plain"].id, newcomer.id] and q.count == 1


def planted_workbook():
    """附件2 with planted defects (rows 6 to 13), header labels with spaces."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["附件2"])
    ws.append(["区    县：", "渝中区", "单位全称：", "重庆市某某局"])
    ws.append([])
    ws.append([])
    ws.append(["序号", "姓  名", "身份证号码", "手机号码", "性别", "备注"])
    ws.append([1, "张三", "500103199003077657", "13900000001", "男"])         # 6 ok
    ws.append([2, "孙 涛", make_id(20), "13900000002", "男"])                  # 7 space inside the name
    ws.append([3, "李四", "11010519491231002x", "13900000003", "女"])         # 8 lower-case x: ok
    ws.append([4, "王五", "500103199003077658", "13900000004", "男"])         # 9 wrong check digit
    ws.append([5, "赵六", make_id(30), "13900000005", "女"])                   # 10 duplicate ...
    ws.append([6, "钱七", make_id(30), "13900000006", "男"])                   # 11 ... another name and gender
    ws.append([7, "周八", "110105491231002", "13900000007", "男"])            # 12 15 digits
    ws.append([8, "  刘强 ", " 650102198811200010 ", "13900000009", " 男"])   # 13 padded: ok
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_planted_defects_in_the_group_check(world):
    parsed = roster.read_roster(planted_workbook())
    assert parsed.info == {"district": "渝中区", "unit": "重庆市某某局"}
    result = check.check_lines(world.project, lines.from_roster(parsed))
    got = {line["no"]: line["code"] for line in result["lines"]}
    assert got == {6: None, 7: "name", 8: None, 9: "id", 10: "duplicate", 11: "gender_mismatch", 12: "id",
                   13: None}
    by_no = {line["no"]: line for line in result["lines"]}
    assert "姓名不同" in by_no[10]["reason"] and "第 11 行" in by_no[10]["reason"]
    assert "第 10 行" in by_no[11]["reason"] and "性别与身份证号不符" in by_no[11]["reason"]
    assert result["valid_user_ids"] == [world.people[k].id for k in ("plain", "with_x", "spaces")]


def read_errors(data):
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("行号", "填写内容", "原因")
    return rows[1:]


def test_saved_check_is_masked_short_lived_and_recorded(world):
    result = check.check_lines(world.project, lines.split_lines(pasted_text()))
    check_id = store.save_check(result, world.buyer, world.unit, world.project)
    store.record_check(result, world.buyer, world.unit, world.project)
    raw = get_redis().get(f"group:check:{check_id}")
    assert 0 < get_redis().ttl(f"group:check:{check_id}") <= 3600
    for secret in ("500103199003077658", "500103199003077657", make_id(500), "陈静", "周敏"):
        assert secret not in raw
    rows = read_errors(store.error_workbook(store.load_check(check_id, world.buyer)))
    assert (5, "5001**********7658", "身份证号校验位不正确，请核对后重新填写") in rows
    assert len(rows) == result["counts"]["error"]
    for who in (world.people["plain"], None):
        with pytest.raises(ApiError) as err:
            store.load_check(check_id, who)
        assert err.value.status == 404
    record = GroupCheckRecord.get()
    assert (record.user_id, record.unit_id, record.line_count) == (world.buyer.id, world.unit.id, len(TABLE))
    assert json.loads(record.ids_masked)[0] == "5001**********7657"
    assert "500103199003077657" not in record.ids_masked


def test_an_order_from_a_check_is_made_once_and_shows_typed_names_only(world):
    result = check.check_lines(world.project, lines.split_lines(pasted_text()))
    saved = store.load_check(store.save_check(result, world.buyer, world.unit, world.project), world.buyer)
    order = orders.group_order_from_check(world.buyer, saved, None, world.unit)
    again = orders.group_order_from_check(world.buyer, store.load_check(saved["check_id"], world.buyer), None,
                                          world.unit)
    assert again.id == order.id and order.unit_id == world.unit.id
    seats = list(OrderSeat.select().where(OrderSeat.order == order.id).order_by(OrderSeat.id))
    assert [s.user_id for s in seats] == result["valid_user_ids"]
    view = orders.order_view(order, with_seats=True)
    assert [s["name"] for s in view["seats"]] == ["李四", None, "刘强", None, None]
    assert {s["status_text"] for s in view["seats"]} == {"待支付"}
    staff_view = orders.order_view(order, with_seats=True, staff=True)
    assert staff_view["seats"][1]["name"] == "王芳"


@pytest.mark.parametrize("text", [
    "500103199003077657", "11010519491231002x", "11010519491231002X", "500103199003077658", "500103199002307651",
    "990103199003077657", "500103290003077651", "110105491231002", "50010319900307765X", "5001031990030776",
])
def test_the_quick_path_gives_the_same_verdict(text):
    today = datetime.date.today()

    def verdict(fn):
        try:
            return fn(text, today)
        except ValueError as exc:
            return str(exc)

    assert verdict(check.clean_number) == verdict(rules.clean_id_number)
