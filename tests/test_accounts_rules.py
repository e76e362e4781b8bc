"""ID number, name and mobile rules, as a table."""
import datetime

import pytest

from app.accounts import rules

TODAY = datetime.date(2026, 11, 26)


@pytest.mark.parametrize("raw, expected", [
    ("500103199003077657", "500103199003077657"),
    ("11010519491231002X", "11010519491231002X"),
    ("11010519491231002x", "11010519491231002X"),            # lower-case x stored upper-case
    ("  500108198506121223 ", "500108198506121223"),          # surrounding spaces trimmed
    ("５００１０３１９９００３０７７６５７", "500103199003077657"),  # full-width digits
    ("11010519491231002ｘ", "11010519491231002X"),            # full-width x
    ("650102198811200010", "650102198811200010"),
])
def test_valid_id_numbers(raw, expected):
    assert rules.clean_id_number(raw, today=TODAY) == expected


@pytest.mark.parametrize("raw, message", [
    ("500103199003077658", "校验位不正确"),                    # wrong check digit
    ("110105194912310021", "校验位不正确"),                    # digit where X is due
    ("500103199002307651", "出生日期不存在"),                  # 30 February
    ("500103199013017658", "出生日期不存在"),                  # month 13
    ("500103203001017651", "出生日期不合理"),                  # born in the future
    ("500103180001017655", "出生日期不合理"),                  # before 1900
    ("500103 199003077657", "中间不能有空格"),
    ("110105491231002", "15 位旧身份证号已停止使用"),           # old 15-digit number
    ("50010319900307765", "应为 18 位"),
    ("5001031990030776571", "应为 18 位"),
    ("50010319900307765Y", "只能包含数字"),
    ("X00103199003077657", "只能包含数字"),
    ("990103199003077657", "地区码不正确"),
    ("", "请填写身份证号"),
    (None, "请填写身份证号"),
])
def test_invalid_id_numbers(raw, message):
    with pytest.raises(ValueError, match=message):
        rules.clean_id_number(raw, today=TODAY)


def test_check_digit_and_derived_fields():
    assert rules.check_digit("11010519491231002") == "X"
    assert rules.id_gender("500103199003077657") == "M"
    assert rules.id_gender("500108198506121223") == "F"
    assert rules.id_birth_date("500103199003077657") == datetime.date(1990, 3, 7)


@pytest.mark.parametrize("raw, expected", [
    ("张三", "张三"), ("买买提·艾力", "买买提·艾力"), ("买买提•艾力", "买买提·艾力"), ("Anna", "Anna"),
    (" 李四 ", "李四"),
    # real names with CJK Extension B characters and with 〇 (U+3007)
    ("王𠀀", "王𠀀"), ("𠮷田", "𠮷田"), ("李〇", "李〇"), ("〇𠀀", "〇𠀀"), ("林𪚥·阿里", "林𪚥·阿里"),
])
def test_valid_names(raw, expected):
    assert rules.clean_name(raw) == expected


@pytest.mark.parametrize("raw, message", [
    ("张 三", "不能有空格"), ("张三1", "不能有数字或符号"), ("张三!", "不能有数字或符号"),
    ("·张三", "不能有数字或符号"), ("张", "2 到 30"), ("", "请填写姓名"), ("𠀀", "2 到 30"),
    ("张三😀", "不能有数字或符号"), ("张三〆", "不能有数字或符号"),
])
def test_invalid_names(raw, message):
    with pytest.raises(ValueError, match=message):
        rules.clean_name(raw)


@pytest.mark.parametrize("raw, expected", [
    ("13800138000", "13800138000"), ("+8613800138000", "13800138000"), ("138-0013-8000", "13800138000"),
    ("１３８００１３８０００", "13800138000"),
])
def test_valid_mobiles(raw, expected):
    assert rules.clean_mobile(raw) == expected


@pytest.mark.parametrize("raw", ["12800138000", "1380013800", "138001380001", "abc", "", "23800138000"])
def test_invalid_mobiles(raw):
    with pytest.raises(ValueError):
        rules.clean_mobile(raw)


@pytest.mark.parametrize("raw, ok", [("Secret123", True), ("short1", False), ("allletters", False),
                                     ("12345678", False), ("a1" * 33, False)])
def test_password_policy(raw, ok):
    if ok:
        assert rules.clean_password(raw) == raw
    else:
        with pytest.raises(ValueError):
            rules.clean_password(raw)


@pytest.mark.parametrize("password", ["aaaaaaa1", "Password1", "Passw0rd", "qq123456", "1qaz2wsx", "Qwerty123",
                                      "password123", "a1b2c3d4"])
def test_common_and_breached_passwords_are_refused(password):
    with pytest.raises(ValueError, match="该密码过于常见"):
        rules.clean_password(password)


@pytest.mark.parametrize("password", ["Secret123", "NewSecret456", "Demo2026", "Xk7#pq2Lm9", "zhangsan-1988"])
def test_uncommon_passwords_pass(password):
    assert rules.clean_password(password) == password
