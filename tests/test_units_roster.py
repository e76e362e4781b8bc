"""The 附件2 reader: bounded before parsing, header labels with spaces, a verdict per row."""
import datetime
import io
import zipfile

import openpyxl
import pytest

from app.accounts import rules
from app.errors import ApiError
from app.units import roster, xlsx_limits


def make_id(i, region="500103", gender=None):
    """A valid ID number for test person `i`; `gender` "M"/"F" picks the 17th digit's parity."""
    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=(i * 13) % 18000)
    seq = i % 500 * 2 + (1 if gender == "M" else 0 if gender == "F" else i % 2)
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + rules.check_digit(first17)


def form_workbook(rows, header=("序号", "姓名", "身份证号码", "手机号码", "性别", "备注"), notes_sheet=True):
    """A workbook shaped like 附件2, header labels written with spaces as the printed form has them."""
    wb = openpyxl.Workbook()
    if notes_sheet:
        wb.active.title = "填表说明"
        wb.active.append(["身份证号码请设置为文本格式后填写"])
        form = wb.create_sheet("学员名单")
    else:
        form = wb.active
    form.append(["附件2"])
    form.append(["专业技术人员继续教育公需科目学员名单"])
    form.append(["区    县：", "渝中区", "单位全称：", "重庆市某某局", "联 系 人：李经办"])
    form.append(["统一社会信用代码：91500000MA5U000000", None, "电子邮箱", "hr@example.cn"])
    form.append(list(header))
    for row in rows:
        form.append(row)
    form.append([])
    form.append(["填表人：李经办", None, None, "填表日期：2026年3月1日"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_planted_defects_get_the_right_verdict_per_row():
    good_m, good_f, lower_x = make_id(1, gender="M"), make_id(2, gender="F"), "11010519491231002X"
    wrong_check = good_m[:17] + ("0" if good_m[17] != "0" else "1")
    dup = make_id(7, gender="M")
    data = form_workbook([
        [1, "张三", good_m, "13900000001", "男", ""],                # row 6: fine
        [2, "孙 涛", good_f, "13900000002", "女", ""],               # row 7: space inside the name
        [3, "李四", lower_x.lower(), "13900000003", "女", ""],       # row 8: lower-case x (a woman: 002)
        [4, "王五", wrong_check, "13900000004", "男", ""],           # row 9: wrong check digit
        [5, "赵六", dup, "13900000005", "男", ""],                   # row 10: duplicate ...
        [6, "钱七", dup, "13900000006", "女", ""],                   # row 11: ... other name and gender
        [7, "周八", "500103900307765", "13900000007", "男", ""],     # row 12: 15-digit number
        [8, "  吴九 ", f" {make_id(9, gender='M')}  ", " 13900000009 ", " 男 ", ""],  # row 13: padded
        [9, "郑十", make_id(10, gender="M"), "13900000010", "女", ""],  # row 14: gender contradicts the ID
        [10, None, None, None, None, None],                           # row 15: numbered, unfilled
        [11, "冯一", 500103199003077657, "13900000011", "男", ""],  # row 16: Excel number cell
    ])
    parsed = roster.read_roster(data, require=("name", "id_number", "mobile", "gender"))
    assert parsed.sheet == "学员名单" and parsed.header_row == 5
    assert parsed.info == {"district": "渝中区", "unit": "重庆市某某局", "contact": "李经办",
                           "credit_code": "91500000MA5U000000", "email": "hr@example.cn"}
    assert set(parsed.columns) == {"seq", "name", "id_number", "mobile", "gender", "note"}
    verdicts = {r.row_no: [code for code, _ in r.errors] for r in parsed}
    assert verdicts == {6: [], 7: ["name"], 8: [], 9: ["id"], 10: ["duplicate"], 11: ["gender_mismatch", "duplicate"],
                        12: ["id"], 13: [], 14: ["gender_mismatch"], 16: ["excel_number"]}
    rows = {r.row_no: r for r in parsed}
    assert rows[7].errors[0][1] == "姓名中不能有空格"
    assert rows[8].id_number == lower_x
    assert rows[9].errors[0][1] == "身份证号校验位不正确，请核对后重新填写"
    assert rows[10].errors[0][1] == "身份证号与第 11 行重复，且姓名不同（赵六、钱七），且性别不同"
    assert rows[11].errors[1][1] == "身份证号与第 10 行重复，且姓名不同（赵六、钱七），且性别不同"
    assert "15 位" in rows[12].errors[0][1]
    assert (rows[13].name, rows[13].id_number, rows[13].mobile, rows[13].gender) == (
        "吴九", make_id(9, gender="M"), "13900000009", "M")
    assert rows[16].errors[0][1] == roster.EXCEL_NUMBER and rows[16].id_raw == ""
    assert [r.ok for r in parsed].count(True) == 3


def test_required_columns_depend_on_the_use():
    data = form_workbook([["张三", make_id(1)]], header=("姓名", "身份证号"), notes_sheet=False)
    assert roster.read_roster(data)[0].ok
    bulk = roster.read_roster(data, require=("name", "id_number", "mobile", "gender"))[0]
    assert [code for code, _ in bulk.errors] == ["missing_mobile", "gender"]
    no_name = roster.read_roster(form_workbook([[1, None, make_id(1)]]))[0]
    assert no_name.errors == [("missing_name", "未填写姓名")]


def _raw_xlsx(sheet_xml, extra=()):
    """A minimal zip with one worksheet part (enough for the bounds check; openpyxl would need more)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        for name, body in extra:
            archive.writestr(name, body)
    return out.getvalue()


def _four_million_cells():
    row = b"<row>" + b"<c/>" * 1000 + b"</row>"
    return _raw_xlsx(b"<worksheet><sheetData>" + row * 4000 + b"</sheetData></worksheet>")


@pytest.fixture
def parser_calls(monkeypatch):
    """Record every call of openpyxl's loader: the refused files below must never reach it."""
    calls = []
    real = openpyxl.load_workbook

    def recording(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", recording)
    return calls


def test_four_million_cells_refused_before_parsing(parser_calls):
    data = _four_million_cells()
    assert len(data) < 200 * 1024  # small on the wire, as the example
    with pytest.raises(ApiError) as err:
        roster.read_roster(data)
    assert err.value.status == 422
    assert err.value.message == "表格单元格过多（超过 200000 个），请只保留名单所需的列和行，或分批上传"
    assert parser_calls == []
    roster.read_roster(form_workbook([[1, "张三", make_id(1)]]))  # the recorder does see a good file
    assert len(parser_calls) == 1


def test_hundred_megabytes_uncompressed_refused_before_parsing(parser_calls):
    data = _raw_xlsx(b"<worksheet/>", extra=[("xl/media/image1.bin", b"\0" * (100 * 1024 * 1024))])
    with pytest.raises(ApiError) as err:
        roster.read_roster(data)
    assert err.value.status == 422 and err.value.message.startswith("文件内容过大（解压后超过 40 MB）")
    assert parser_calls == []


def test_rows_counted_and_a_lying_size_header_does_not_help(parser_calls):
    many_rows = _raw_xlsx(b"<x:worksheet><x:sheetData>" + b"<x:row r='1'><x:c r='A1'/></x:row>" * 12_001
                          + b"</x:sheetData></x:worksheet>")
    with pytest.raises(ApiError) as err:
        roster.read_roster(many_rows)
    assert err.value.message.startswith("表格行数过多（超过 12000 行）")
    small = xlsx_limits.Limits(max_unzipped=1024 * 1024)
    with pytest.raises(ApiError) as err:
        xlsx_limits.check_xlsx_bounds(_raw_xlsx(b"<worksheet>" + b" " * (2 * 1024 * 1024) + b"</worksheet>"), small)
    assert err.value.message.startswith("文件内容过大")
    assert parser_calls == []


@pytest.mark.parametrize("data, words", [
    (b"", "文件是空的"),
    (b"500103199003077657\n", "文件无法读取"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "旧版 .xls"),
    (b"PK" + b"\0" * (2 * 1024 * 1024), "文件过大"),
])
def test_bad_files_refused_with_a_clear_message(data, words, parser_calls):
    with pytest.raises(ApiError) as err:
        roster.read_roster(data)
    assert err.value.status == 422 and words in err.value.message
    assert parser_calls == []


def test_no_table_header_and_too_many_learners():
    wb = openpyxl.Workbook()
    wb.active.append(["序号", "姓名", "手机号码"])
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(ApiError) as err:
        roster.read_roster(out.getvalue())
    assert "没有找到“身份证号码”列" in err.value.message
    rows = [[i, "张三", make_id(i)] for i in range(roster.MAX_ROWS + 1)]
    with pytest.raises(ApiError) as err:
        roster.read_roster(form_workbook(rows, header=("序号", "姓名", "身份证号码")))
    assert err.value.message == "名单最多 10000 人，请分批上传"
