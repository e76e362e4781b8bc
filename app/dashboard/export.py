"""The dashboard as an xlsx for HR (ID numbers masked)."""
import io

HEADER = ("序号", "姓名", "身份证号码", "开通状态", "学习状态", "已获学时", "要求学时", "已完成课程", "证书编号",
          "发证日期")


def workbook(unit_name, year, rows):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(f"{year}年学员")
    for col, width in zip("ABCDEFGHIJ", (6, 12, 22, 10, 10, 10, 10, 12, 20, 12), strict=True):
        sheet.column_dimensions[col].width = width
    sheet.freeze_panes = "A3"
    sheet.append([f"{unit_name} · {year} 年度公需科目学习情况（身份证号已打码）"])
    bold = Font(bold=True)
    header = []
    for title in HEADER:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for i, r in enumerate(rows, 1):
        sheet.append([i, r["name"], r["id_masked"], r["seat_text"], r["state_text"], r["hours"], r["required"],
                      r["courses_done"], r["cert_number"], r["cert_date"]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
