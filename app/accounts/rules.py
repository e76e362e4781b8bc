"""Validation rules for the data printed on a certificate: ID number (GB 11643), name, mobile.

Each `clean_*` function returns the normalised value or raises ValueError with a Chinese message.
"""
import datetime
import re

from zxcvbn import zxcvbn

PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83",
}
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# Full-width digits and letters (as typed by Chinese input methods) to their ASCII forms.
_FULL_WIDTH = {0xFF10 + i: 0x30 + i for i in range(10)}
_FULL_WIDTH.update({0xFF38: ord("X"), 0xFF58: ord("x"), 0x3000: ord(" ")})
_SPACES = re.compile(r"\s")


def check_digit(first17):
    """The GB 11643 MOD 11-2 check character for the first 17 digits."""
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def clean_id_number(raw, today=None):
    """Validate a resident ID number; returns it with a final upper-case X."""
    if raw is None or not str(raw).strip():
        raise ValueError("请填写身份证号")
    value = str(raw).translate(_FULL_WIDTH).strip()
    if _SPACES.search(value):
        raise ValueError("身份证号中间不能有空格")
    if len(value) == 15 and value.isdigit():
        raise ValueError("15 位旧身份证号已停止使用，请填写 18 位身份证号")
    if len(value) != 18:
        raise ValueError(f"身份证号应为 18 位，当前为 {len(value)} 位")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] in "Xx"):
        raise ValueError("身份证号只能包含数字，最后一位可以是 X")
    value = value.upper()
    if value[:2] not in PROVINCES:
        raise ValueError("身份证号前两位地区码不正确")
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValueError("身份证号中的出生日期不存在") from None
    today = today or datetime.date.today()
    if birth.year < 1900 or birth > today:
        raise ValueError("身份证号中的出生日期不合理")
    if check_digit(value[:17]) != value[17]:
        raise ValueError("身份证号校验位不正确，请核对后重新填写")
    return value


def id_gender(id_number):
    """'M' or 'F' from the 17th digit (odd is male)."""
    return "M" if int(id_number[16]) % 2 else "F"


def id_birth_date(id_number):
    return datetime.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


# Han characters of every CJK block (the basic block, Extensions A to H such as 𠀀 U+20000, the
# compatibility ideographs) and 〇 (U+3007), which real names use, or Latin letters.
_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af"
_NAME_RE = re.compile(rf"^[{_HAN}A-Za-z]+(?:·[{_HAN}A-Za-z]+)*$")
_DOTS = str.maketrans({"•": "·", "・": "·", "．": "·", "‧": "·", "∙": "·"})


def clean_name(raw):
    """Chinese characters or letters, optionally joined by a middle dot (e.g. 买买提·艾力)."""
    if raw is None or not str(raw).strip():
        raise ValueError("请填写姓名")
    value = str(raw).strip().translate(_DOTS)
    if _SPACES.search(value):
        raise ValueError("姓名中不能有空格")
    if not _NAME_RE.match(value):
        raise ValueError("姓名只能包含汉字、字母和间隔号“·”，不能有数字或符号")
    if len(value) < 2 or len(value) > 30:
        raise ValueError("姓名应为 2 到 30 个字")
    return value


_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def clean_mobile(raw):
    if raw is None or not str(raw).strip():
        raise ValueError("请填写手机号")
    value = str(raw).translate(_FULL_WIDTH).strip().replace(" ", "").replace("-", "")
    if value.startswith("+86"):
        value = value[3:]
    if not _MOBILE_RE.match(value):
        raise ValueError("手机号应为 1 开头的 11 位数字")
    return value


def clean_password(raw):
    value = "" if raw is None else str(raw)
    if len(value) < 8 or len(value) > 64:
        raise ValueError("密码应为 8 到 64 位")
    if not re.search(r"[A-Za-z]", value) or not re.search(r"\d", value):
        raise ValueError("密码须同时包含字母和数字")
    if too_common(value):
        raise ValueError("该密码过于常见，容易被他人猜中，请换一个更不常见的密码")
    return value


def too_common(password):
    """A password from the lists of common and breached passwords shipped with zxcvbn (its `passwords`
    list comes from leaked password corpora), or one guessed in fewer than 10,000 tries."""
    result = zxcvbn(password)
    whole = any(m["pattern"] == "dictionary" and m.get("dictionary_name") == "passwords"
                and len(m["token"]) == len(password) for m in result["sequence"])
    return whole or result["guesses_log10"] < 4


_USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,19}$")


def clean_username(raw):
    """Optional custom username: starts with a letter, so it never looks like an ID or a mobile."""
    value = str(raw or "").strip()
    if not _USERNAME_RE.match(value):
        raise ValueError("用户名须以字母开头，4 到 20 位字母、数字或下划线")
    return value


def clean_gender(raw):
    value = str(raw or "").strip().upper()
    mapping = {"M": "M", "F": "F", "男": "M", "女": "F", "MALE": "M", "FEMALE": "F"}
    if value not in mapping:
        raise ValueError("请选择性别")
    return mapping[value]


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def clean_tax_no(raw, label="纳税人识别号"):
    """A unit's taxpayer number: the 18-character unified social credit code (GB 32100 check character).

    `label` names the field in the messages (an invoice says 纳税人识别号, a unit 统一社会信用代码).
    """
    value = str(raw or "").translate(_FULL_WIDTH).strip().upper().replace(" ", "")
    if not value:
        raise ValueError(f"请填写{label}")
    if len(value) != 18 or any(c not in USCC_CHARS for c in value):
        raise ValueError(f"{label}应为 18 位统一社会信用代码（数字和大写字母，不含 I、O、Z、S、V）")
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(value[:17], USCC_WEIGHTS, strict=True))
    if USCC_CHARS[(31 - total % 31) % 31] != value[17]:
        raise ValueError(f"{label}校验位不正确，请核对")
    return value


def clean_credit_code(raw):
    """A unit's unified social credit code (统一社会信用代码), GB 32100 check character verified."""
    return clean_tax_no(raw, label="统一社会信用代码")


def clean_unit_name(raw):
    value = " ".join(str(raw or "").split())
    if len(value) < 2 or len(value) > 100:
        raise ValueError("单位名称应为 2 到 100 个字")
    return value
