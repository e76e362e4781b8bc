"""Group purchase: checking the unit's list (pasted or xlsx), the error file, the saved check, the order.

Every database test runs on SQLite and on PostgreSQL (the `app` fixture).
"""
import datetime
import io
import json
import zipfile

import openpyxl
import pytest
from playhouse.test_utils import count_queries

from app.accounts import rules, service
from app.accounts.models import User
from app.db import utcnow
from app.errors import ApiError
from app.learning.models import Enrollment, Project
from app.pay import group, orders
from app.pay.models import OrderSeat
from app.pii import new_key_spec
from app.redis_client import get_redis

PASSWORD = "Secret123"


def make_id(i, region="500103"):
    """A valid ID number (GB 11643) for a test person `i` (distinct for i < 18000)."""
    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=(i * 13) % 18000)
    first17 = f"{region}{birth:%Y%m%d}{i % 1000:03d}"
    return first17 + rules.check_digit(first17)


def register(name, id_number, mobile):
    return service.create_user(name=name, id_number=id_number, mobile=mobile, gender=rules.id_gender(id_number),
                               password=PASSWORD)


def insert_learners(numbers, start_mobile=0):
    """Many accounts at once (no password hashing): {id_number: user_id}."""
    rows = [{"name": "学员", "gender": rules.id_gender(n), "password_hash": "-", "role": "learner",
             **service._pii_columns(n, f"137{start_mobile + i:08d}")} for i, n in enumerate(numbers)]
    for start in range(0, len(rows), 100):
        User.insert_many(rows[start:start + 100]).execute()
    return {n: service.find_by_id_number(n).id for n in numbers}


def on_sale_project(price_fen=9900):
    now = utcnow()
    return Project.create(year=now.year, name=f"{now.year}年公需科目", price_fen=price_fen,
                          sale_start=now - datetime.timedelta(days=1), sale_end=now + datetime.timedelta(days=60))


@pytest.fixture
def world(app):
    """A project, the unit's contact (buyer) and learners in every situation the check must tell apart."""
    from types import SimpleNamespace

    project = on_sale_project()
    buyer = register("王经办", "500103198001010016", "13900000000")
    other_buyer = register("赵经办", make_id(900), "13900000009")
    people = {
        "plain": register("张三", "500103199003077657", "13900000001"),
        "with_x": register("李四", "11010519491231002X", "13900000002"),
        "full_width": register("王芳", "500108198506121223", "13900000003"),
        "spaces": register("刘强", "650102198811200010", "13900000004"),
        "owner": register("陈静", make_id(1), "13900000005"),
        "other_order": register("杨洋", make_id(2), "13900000006"),
        "own_order": register("黄磊", make_id(3), "13900000007"),
        "inactive": register("周敏", make_id(4), "13900000008"),
    }
    Enrollment.create(user=people["owner"].id, project=project.id, source="grant")
    other_order = orders.create_group_order(other_buyer, project.id, [people["other_order"].id], None)
    own_order = orders.create_group_order(buyer, project.id, [people["own_order"].id], None)
    User.update(is_active=False).where(User.id == people["inactive"].id).execute()
    return SimpleNamespace(project=project, buyer=buyer, other_buyer=other_buyer, people=people,
                           other_order=other_order, own_order=own_order)


# The pasted list: (text of the line, expected status, code, words of the reason, whose account).
# Line numbers count the non-blank lines only; the blank lines here do not shift them.
TABLE = [
    ("500103199003077657", "ok", None, None, "plain"),
    ("11010519491231002x", "ok", None, None, "with_x"),                         # lower-case x
    ("５００１０８１９８５０６１２１２２３", "ok", None, None, "full_width"),       # full-width digits
    ("  6501 0219 8811 2000 10\t", "ok", None, None, "spaces"),                  # stray spaces, inside too
    ("500103199003077658", "error", "invalid", "校验位不正确", None),            # wrong check digit
    ("500103199002307651", "error", "invalid", "出生日期不存在", None),          # 30 February
    ("110105491231002", "error", "invalid", "15 位旧身份证号已停止使用", None),   # old 15-digit number
    ("500103199003077657", "error", "duplicate", "与第 1 行重复", "plain"),      # repeated, same form
    ("11010519491231002X", "error", "duplicate", "与第 2 行重复", "with_x"),      # repeated, other form
    (make_id(500), "error", "not_registered", "该身份证号未注册，请先注册或批量注册", None),
    (make_id(1), "error", "owned", "已购买该项目", "owner"),
    (make_id(2), "error", "pending_order", "已在其他待支付订单中", "other_order"),
    (make_id(3), "error", "pending_order", "已在您的待支付订单", "own_order"),
    (make_id(4), "error", "inactive", "账号已停用", "inactive"),
    ("5.00103E+17", "error", "excel_number", "Excel 将身份证号存成了数字", None),  # copied from a number cell
    ("500103199003077000", "error", "invalid", "末三位为 000", None),             # Excel kept 15 digits
    ('=HYPERLINK("http://x")', "error", "invalid", "应为 18 位", None),
    ("赵六\t" + make_id(600), "error", "invalid", "每行只填写一个身份证号", None),  # two columns pasted
]


def pasted_text():
    lines = [row[0] for row in TABLE]
    lines.insert(3, "")          # an empty line
    lines.insert(8, "   \u3000 ")  # a line of (full-width) spaces
    return "\r\n".join(lines) + "\n\n"


def test_split_lines_skips_blank_lines_and_limits_the_list():
    assert group.split_lines("a\n\n  \nb\r\n\u3000\nc\u200b\n") == ["a", "b", "c\u200b"]
    assert len(group.split_lines("\n".join(["500103199003077657"] * group.MAX_LINES))) == group.MAX_LINES
    for text in ("", "  \n \n\u3000", None):
        with pytest.raises(ApiError) as err:
            group.split_lines(text)
        assert err.value.status == 422 and "每行一个" in err.value.message
    with pytest.raises(ApiError) as err:
        group.split_lines("\n".join(["500103199003077657"] * (group.MAX_LINES + 1)))
    assert err.value.status == 422 and "最多 10000 行" in err.value.message and "10001" in err.value.message


def test_check_lines_table(world):
    lines = group.split_lines(pasted_text())
    assert len(lines) == len(TABLE)
    result = group.check_lines(world.project, lines, buyer=world.buyer)

    assert [line["no"] for line in result["lines"]] == list(range(1, len(TABLE) + 1))
    for line, (raw, status, code, reason, who) in zip(result["lines"], TABLE, strict=True):
        where = f"line {line['no']} {raw!r}: {line}"
        assert line["status"] == status, where
        assert line["code"] == code, where
        assert line["raw"] == raw.strip().replace("\t", " "), where  # a tab shows as a space
        if reason:
            assert reason in line["reason"], where
        else:
            assert line["reason"] is None, where
        person = world.people.get(who)
        assert line["user_id"] == (person.id if person else None), where
        assert line["name"] == (person.name if person else None), where
        if line["id_number"]:
            assert line["masked"] == line["id_number"][:4] + "*" * 10 + line["id_number"][-4:]
    by_no = {line["no"]: line for line in result["lines"]}
    assert by_no[2]["id_number"] == "11010519491231002X" and by_no[2]["masked"] == "1101**********002X"
    assert by_no[3]["id_number"] == "500108198506121223"
    assert by_no[4]["id_number"] == "650102198811200010"
    assert world.own_order.order_no in by_no[13]["reason"]
    assert world.other_order.order_no not in by_no[12]["reason"]  # someone else's order stays unnamed

    ok_people = [world.people[k].id for k in ("plain", "with_x", "full_width", "spaces")]
    assert result["valid_user_ids"] == ok_people
    assert result["counts"] == {"total": 18, "ok": 4, "error": 14, "by_code": {
        "invalid": 6, "duplicate": 2, "not_registered": 1, "owned": 1, "pending_order": 2, "inactive": 1,
        "excel_number": 1}}
    assert result["amount_fen"] == 4 * 9900 and result["source"] == "text"

    view = group.public_view(result)
    dumped = json.dumps(view, ensure_ascii=False)
    assert "500108198506121223" not in dumped and "650102198811200010" not in dumped  # valid lines: masked
    assert view["lines"][0] == {"no": 1, "status": "ok", "masked": "5001**********7657", "name": "张三"}
    assert view["lines"][4]["raw"] == "500103199003077658"  # a line to fix keeps what was pasted


def test_check_lines_without_buyer_and_too_many(world):
    result = group.check_lines(world.project, [make_id(3)])
    assert result["lines"][0]["reason"] == "已在其他待支付订单中"
    with pytest.raises(ApiError) as err:
        group.check_lines(world.project, ["500103199003077657"] * (group.MAX_LINES + 1))
    assert err.value.status == 422


def test_query_count_does_not_grow_with_the_list(app, world):
    numbers = [make_id(1000 + i) for i in range(1000)]
    ids = insert_learners(numbers[::3])  # a third registered
    Enrollment.insert_many([{"user": ids[n], "project": world.project.id, "source": "grant"}
                            for n in numbers[0:30:3]]).execute()  # 10 own the plan
    orders.create_group_order(world.other_buyer, world.project.id, [ids[n] for n in numbers[30:90:3]], None)
    small = numbers[100:110]
    large = numbers[:990] + ["500103199003077658", "123", make_id(3), make_id(4)] + numbers[:6]
    assert len(large) == 1000

    with count_queries() as q_small:
        r_small = group.check_lines(world.project, small, buyer=world.buyer)
    with count_queries() as q_large:
        r_large = group.check_lines(world.project, large, buyer=world.buyer)
    assert q_small.count == q_large.count == 3, [q.msg for q in q_large.get_queries()]
    assert r_small["counts"]["ok"] == 3  # 102, 105, 108 are registered
    assert r_large["counts"]["by_code"] == {"not_registered": 660, "owned": 10, "pending_order": 20 + 1,
                                            "inactive": 1, "invalid": 2, "duplicate": 6}
    assert r_large["counts"]["ok"] == 330 - 10 - 20 == len(r_large["valid_user_ids"])


def test_lookup_split_when_sqlite_would_refuse_so_many_values(world, monkeypatch):
    """Only when lines x keys exceed the bound-variable limit is the account look-up split."""
    lines = ["500103199003077657", "11010519491231002X", "500108198506121223", make_id(1), make_id(500)]
    expected = group.check_lines(world.project, lines)
    monkeypatch.setattr(group, "_param_limit", lambda: 2)
    with count_queries() as q:
        split = group.check_lines(world.project, lines)
    assert split == expected
    assert q.count == 3 + 2  # 5 hashes in 3 look-ups of at most 2, then enrollments and seats


def test_rotation_in_progress_still_one_lookup(app_factory, app, world):
    """Accounts indexed under the old key are found while the new key is primary, in one query."""
    old = app.config["PII_KEYS"]
    rotating = app_factory(PII_KEYS=f"{new_key_spec('k2')},{old}")
    with rotating.app_context():
        newcomer = register("新学员", make_id(700), "13600000001")  # indexed under k2
        with count_queries() as q:
            result = group.check_lines(world.project, ["500103199003077657", make_id(700), make_id(701)])
    assert [line["status"] for line in result["lines"]] == ["ok", "ok", "error"]
    assert result["valid_user_ids"] == [world.people["plain"].id, newcomer.id]
    assert q.count == 3


# ---------------------------------------------------------------------------------------------
# The unit's xlsx list (form 附件2)
# ---------------------------------------------------------------------------------------------

def form_workbook(rows, with_notes_sheet=True):
    """A workbook shaped like 附件2: a notes sheet first, then the form with its header area."""
    wb = openpyxl.Workbook()
    if with_notes_sheet:
        notes = wb.active
        notes.title = "填表说明"
        notes.append(["身份证号码请设置为文本格式后填写"])
        form = wb.create_sheet("学员名单")
    else:
        form = wb.active
    form.append(["附件2"])
    form.append(["2026年度专业技术人员继续教育公需科目团体购买学员名单"])
    form.append(["区县：渝中区", None, "单位（盖章）：重庆市某某局", None, "联系人", "李经办"])
    form.append([])
    form.append(["序号", "姓名", "身份证号码（必填）", "手机号码", "性别", "备注"])
    for row in rows:
        form.append(row)
    form.append([])
    form.append(["填表人：李经办", None, None, "填表日期：2026年3月1日"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_parse_xlsx_form(world):
    data = form_workbook([
        [1, "张三", "500103199003077657", "13900000001", "男", ""],        # row 6
        [2, "李四", "11010519491231002x", "13900000002", "男", ""],        # row 7
        [3, "王芳", 500108198506121223, "13900000003", "女", "数字单元格"],  # row 8: stored as a number
        [],                                                                 # row 9: empty
        [4, "刘强", " 650102198811200010 ", None, "男"],                    # row 10
        [5, "孙丽", None, "13900000010", "女"],                             # row 11: name, no ID number
        [6, None, None],                                                    # row 12: numbered, unfilled
        [7, "张三", "500103199003077657"],                                  # row 13: repeats row 6
        [8, "某人", "500103199003077658"],                                  # row 14: wrong check digit
    ])
    parsed = group.parse_xlsx(data)
    assert parsed.sheet == "学员名单" and parsed.header_row == 5
    assert parsed.info == {"district": "渝中区", "unit": "重庆市某某局", "contact": "李经办"}
    assert [e.no for e in parsed] == [6, 7, 8, 10, 11, 13, 14]
    assert parsed[2].error[0] == "excel_number" and parsed[2].raw.startswith("5001081985061")

    result = group.check_lines(world.project, parsed, buyer=world.buyer)
    got = {line["no"]: (line["status"], line["code"]) for line in result["lines"]}
    assert got == {6: ("ok", None), 7: ("ok", None), 8: ("error", "excel_number"), 10: ("ok", None),
                   11: ("error", "missing"), 13: ("error", "duplicate"), 14: ("error", "invalid")}
    by_no = {line["no"]: line for line in result["lines"]}
    assert by_no[8]["reason"] == group.EXCEL_NUMBER
    assert by_no[11]["reason"] == "未填写身份证号（姓名：孙丽）"
    assert by_no[13]["reason"] == "与第 6 行重复"  # the Excel row, as the contact sees it
    assert result["source"] == "xlsx" and result["sheet"]["unit"] == "重庆市某某局"
    assert result["valid_user_ids"] == [world.people[k].id for k in ("plain", "with_x", "spaces")]


def test_parse_xlsx_header_variants_and_single_sheet():
    parsed = group.parse_xlsx(form_workbook([[1, "张三", "500103199003077657"]], with_notes_sheet=False))
    assert [(e.no, e.raw) for e in parsed] == [(6, "500103199003077657")]

    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "身份证号"])
    wb.active.append(["张三", "500103199003077657"])
    out = io.BytesIO()
    wb.save(out)
    assert [(e.no, e.raw) for e in group.parse_xlsx(out.getvalue())] == [(2, "500103199003077657")]


def _xlsx(rows):
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _zip_bomb():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (group.MAX_XLSX_UNZIPPED + 1))
    return out.getvalue()


@pytest.mark.parametrize("data, words", [
    (b"", "文件是空的"),
    (b"500103199003077657\n11010519491231002X\n", "文件无法读取"),           # text, not xlsx
    ("序号,姓名,身份证号码\n1,张三,500103199003077657\n".encode("gbk"), "文件无法读取"),  # a CSV
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "旧版 .xls"),           # an .xls (OLE) file
    (b"PK\x03\x04" + b"\0" * 100, "文件无法读取"),                             # a broken zip
    (b"PK" + b"\0" * (group.MAX_XLSX_BYTES), "文件过大"),
    (_zip_bomb(), "文件内容过大"),
    (_xlsx([["序号", "姓名", "手机号码"], [1, "张三", "13900000001"]]), "没有找到“身份证号码”列"),
    (_xlsx([["姓名", "身份证号码"], [None, None]]), "列下没有内容"),
])
def test_parse_xlsx_refuses_bad_files(data, words):
    with pytest.raises(ApiError) as err:
        group.parse_xlsx(data)
    assert err.value.status == 422
    assert words in err.value.message


def test_parse_xlsx_too_many_rows():
    rows = [["姓名", "身份证号码"]] + [["张三", "500103199003077657"]] * (group.MAX_LINES + 5)
    with pytest.raises(ApiError) as err:
        group.parse_xlsx(_xlsx(rows))
    assert err.value.status == 422 and "10005" in err.value.message


# ---------------------------------------------------------------------------------------------
# The error file, the saved check, the order
# ---------------------------------------------------------------------------------------------

def read_errors(data):
    wb = openpyxl.load_workbook(io.BytesIO(data))
    sheet = wb.worksheets[0]
    assert sheet.title == "错误行"
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == ["行号", "填写内容", "原因"]
    for row in rows[1:]:
        assert row[1].data_type == "s" and isinstance(row[1].value, str), row[1].value
    return [tuple(c.value for c in row) for row in rows[1:]]


def test_error_workbook_round_trip(world):
    result = group.check_lines(world.project, group.split_lines(pasted_text()), buyer=world.buyer)
    rows = read_errors(group.error_workbook(result))
    expected = [(line["no"], line["raw"], line["reason"]) for line in result["lines"] if line["status"] == "error"]
    assert rows == expected and len(rows) == 14
    assert (5, "500103199003077658", "身份证号校验位不正确，请核对后重新填写") in rows
    assert (17, '=HYPERLINK("http://x")', "身份证号应为 18 位，当前为 22 位") in rows  # text, not a formula
    assert (8, "500103199003077657", "与第 1 行重复") in rows

    saved = group.load_check(group.save_check(result, world.buyer, world.project), world.buyer)
    assert read_errors(group.error_workbook(saved)) == expected  # the same file from the saved check


def test_save_and_load_check(world):
    result = group.check_lines(world.project, group.split_lines(pasted_text()), buyer=world.buyer)
    check_id = group.save_check(result, world.buyer, world.project)
    saved = group.load_check(check_id, world.buyer)
    assert saved["project_id"] == world.project.id and saved["buyer_id"] == world.buyer.id
    assert saved["valid_user_ids"] == result["valid_user_ids"] and saved["counts"] == result["counts"]
    assert [line["no"] for line in saved["lines"]] == [line["no"] for line in result["lines"]]

    stored = get_redis().get(f"group:check:{check_id}")
    assert 0 < get_redis().ttl(f"group:check:{check_id}") <= 24 * 3600
    for number in ("650102198811200010", "6501 0219", "５００１０８１９８５０６１２１２２３"):
        assert number not in stored  # valid lines: user id and masked number only, not what was pasted
    assert "5001**********7657" in stored and "6501**********0010" in stored
    for name in ("张三", "李四", "王芳", "刘强"):
        assert name not in stored

    for who in (world.other_buyer, world.people["plain"], None):
        with pytest.raises(ApiError) as err:
            group.load_check(check_id, who)
        assert err.value.status == 404
    for bad in ("x" * 20, "../../etc", "", None, check_id + "*"):
        with pytest.raises(ApiError) as err:
            group.load_check(bad, world.buyer)
        assert err.value.status == 404


def test_a_buyer_keeps_a_few_checks(world):
    result = group.check_lines(world.project, ["500103199003077657"], buyer=world.buyer)
    ids = [group.save_check(result, world.buyer, world.project) for _ in range(group.CHECKS_PER_BUYER + 1)]
    with pytest.raises(ApiError):
        group.load_check(ids[0], world.buyer)
    for check_id in ids[1:]:
        assert group.load_check(check_id, world.buyer)["check_id"] == check_id
    other = group.save_check(result, world.other_buyer, world.project)  # another buyer's list is separate
    assert group.load_check(ids[1], world.buyer) and group.load_check(other, world.other_buyer)


def test_group_order_from_the_saved_check(world):
    result = group.check_lines(world.project, group.split_lines(pasted_text()), buyer=world.buyer)
    saved = group.load_check(group.save_check(result, world.buyer, world.project), world.buyer)
    order = orders.create_group_order(world.buyer, saved["project_id"], saved["valid_user_ids"], None)
    seats = list(OrderSeat.select().where(OrderSeat.order == order.id).order_by(OrderSeat.id))
    assert [s.user_id for s in seats] == result["valid_user_ids"]
    assert order.kind == "group" and order.seat_count == 4 and order.amount_fen == 4 * 9900 == saved["amount_fen"]
    assert all(s.amount_fen == 9900 and s.status == "active" for s in seats)

    again = group.check_lines(world.project, group.split_lines(pasted_text()), buyer=world.buyer)
    assert again["valid_user_ids"] == []
    assert again["lines"][0]["reason"] == f"已在您的待支付订单 {order.order_no} 中"
    with pytest.raises(ApiError) as err:  # the same saved check cannot buy twice
        orders.create_group_order(world.buyer, saved["project_id"], saved["valid_user_ids"], None)
    assert err.value.status == 409
