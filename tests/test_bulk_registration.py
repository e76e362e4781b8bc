"""Bulk registration (R-4): a verdict per row, accounts usable at once, the unit linked, the mail sent."""
import io

import openpyxl
import pytest

from app.accounts import first_login, service
from app.accounts.models import User
from app.bulk import jobs
from app.bulk.models import BulkRegistration
from app.units.models import UnitMember
from tests.bulk_fixtures import form_workbook, make_contact, make_id, row
from tests.mail_fixtures import smtp_outbox  # noqa: F401  (fixture)


@pytest.fixture
def app(app_factory, smtp_outbox):  # noqa: F811
    """The real app sending its mail to a real SMTP server (the bulk job mails its result)."""
    application = app_factory(**smtp_outbox)
    with application.app_context():
        yield application


def _result_rows(job):
    sheet = openpyxl.load_workbook(io.BytesIO(bytes(job.result)), read_only=True)["结果"]
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0] == ("行号", "姓名", "身份证号码", "手机号码", "结果", "原因")
    return {line[0]: line for line in lines[1:]}


def _planted(registered_id, other_id):
    """The planted-defects list plus the rows only bulk registration judges (rows 6-21)."""
    good_m, good_f = make_id(1, gender="M"), make_id(2, gender="F")
    wrong_check = good_m[:17] + ("0" if good_m[17] != "0" else "1")
    dup = make_id(7, gender="M")
    return form_workbook([
        row(1, "张三", good_m, "13900000001", "男"),                      # 6 created
        row(2, "孙 涛", good_f, "13900000002", "女"),                     # 7 space inside the name
        row(3, "李四", "11010519491231002x", "13900000003", "女"),        # 8 lower-case x: created
        row(4, "王五", wrong_check, "13900000004", "男"),                 # 9 wrong check digit
        row(5, "赵六", dup, "13900000005", "男"),                         # 10 duplicate ...
        row(6, "钱七", dup, "13900000006", "女"),                         # 11 ... other name and gender
        row(7, "周八", "500103900307765", "13900000007", "男"),           # 12 15-digit number
        row(8, "  吴九 ", f" {make_id(9, gender='M')}  ", " 13900000009 ", " 男 "),  # 13 padded: created
        row(9, "冯一", make_id(11, gender="F"), "", "女"),                # 14 no mobile
        row(10, "陈二", make_id(12, gender="M"), "13900000012", "男"),    # 15 mobile repeated ...
        row(11, "褚三", make_id(13, gender="F"), "13900000012", "女"),    # 16 ... on the list
        row(12, "张三", registered_id, "13900000014", "男"),              # 17 registered: linked
        row(13, "卫四", other_id, "13900000015", "男"),                   # 18 registered, other name
        row(14, "蒋五", make_id(16, gender="M"), "13800000001", "男"),    # 19 mobile of another account
    ])


def test_planted_defects_get_the_right_verdict_per_row(app, drain):
    unit, contact = make_contact()
    registered = service.create_user(name="张三", id_number="500103199003077657", mobile="13800000001",
                                     gender="M", password="Secret123")
    other = service.create_user(name="沈六", id_number="650102198811200010", mobile="13800000003",
                                gender="M", password="Secret123")
    before = User.select().count()
    job = jobs.submit(unit, contact, _planted(registered_id="500103199003077657", other_id="650102198811200010"),
                      "名单.xlsx")
    assert (job.state, User.select().count()) == ("queued", before)  # nothing parsed in the request
    drain()
    job = BulkRegistration.get_by_id(job.id)
    assert job.state == "done" and job.source is None  # the upload is erased once read
    got = {no: (line[4], line[5] or "") for no, line in _result_rows(job).items()}
    assert {no: outcome for no, (outcome, _) in got.items()} == {
        6: "已创建账号", 7: "未通过", 8: "已创建账号", 9: "未通过", 10: "未通过", 11: "未通过", 12: "未通过",
        13: "已创建账号", 14: "未通过", 15: "未通过", 16: "未通过", 17: "已注册，已关联本单位", 18: "未通过",
        19: "未通过"}
    assert "姓名" in got[7][1] and "校验" in got[9][1] and "第 11 行重复" in got[10][1]
    assert "姓名不同" in got[11][1] and "15" in got[12][1] and got[14][1] == "未填写手机号码"
    assert got[15][1] == got[16][1] == "手机号码在名单中重复（第 15、16 行），请填写本人手机号"
    assert got[18][1] == "姓名与身份证号不一致（该身份证号已注册）"  # the stored name is never shown
    assert "沈六" not in str(_result_rows(job))
    assert got[19][1] == "手机号码已被其他账号使用，请填写本人手机号"
    assert (job.total, job.created_count, job.linked_count, job.refused_count) == (14, 3, 1, 10)
    assert User.select().count() == before + 3
    new = service.find_by_id_number("11010519491231002X")
    assert (new.name, new.gender, new.password_hash, new.username) == ("李四", "F", first_login.INITIAL, None)
    assert service.find_by_id_number(make_id(9, gender="M")).name == "吴九"
    members = {m.user_id for m in UnitMember.select().where(UnitMember.unit == unit.id, UnitMember.source == "bulk")}
    assert members == {registered.id, new.id, service.find_by_id_number(make_id(1, gender="M")).id,
                       service.find_by_id_number(make_id(9, gender="M")).id}
    assert other.id not in members
    # Masked in the workbook: the contact's own list has the full numbers.
    assert _result_rows(job)[8][2] == "1101**********002X" and _result_rows(job)[8][3] == "139****0003"


def test_a_second_upload_of_the_same_list_links_without_duplicates(app, drain):
    unit, contact = make_contact()
    data = form_workbook([row(1, "张三", make_id(1, gender="M"), "13900000001", "男")])
    jobs.submit(unit, contact, data, "a.xlsx")
    jobs.submit(unit, contact, data, "a.xlsx")
    drain()
    first, second = BulkRegistration.select().order_by(BulkRegistration.id)
    assert (first.created_count, second.created_count, second.linked_count) == (1, 0, 1)
    assert UnitMember.select().where(UnitMember.unit == unit.id).count() == 1


def test_an_unreadable_list_fails_with_the_reason_and_keeps_nothing(app, drain):
    unit, contact = make_contact()
    job = jobs.submit(unit, contact, form_workbook([], header=("序号", "姓名", "备注")), "x.xlsx")
    drain()
    job = BulkRegistration.get_by_id(job.id)
    assert job.state == "failed" and "身份证号码" in job.error and job.source is None and job.result is None


def test_the_contact_gets_the_result_workbook_by_mail(app, drain):
    from app.mail import outbox

    unit, contact = make_contact(email="hr@unit.example.cn")
    job = jobs.submit(unit, contact, form_workbook([row(1, "张三", make_id(1, gender="M"), "13900000001")]),
                      "名单.xlsx")
    assert outbox.messages() == []
    drain()
    sent = outbox.messages()
    assert len(sent) == 1
    assert sent[0]["to"] == "hr@unit.example.cn" and "批量注册结果" in sent[0]["subject"]
    assert "新建账号 1 个" in sent[0]["text"]
    assert [a["filename"] for a in sent[0]["attachments"]] == [f"批量注册结果-{job.id}.xlsx"]
    attached = outbox.attachment(sent[0]["id"], 0)[2]
    assert attached == bytes(BulkRegistration.get_by_id(job.id).result)
    assert BulkRegistration.get_by_id(job.id).mailed_at is not None
    assert jobs.mail_result(job.id) is None  # once only
    assert len(outbox.messages()) == 1
