"""The result workbook of a bulk registration: every row with its verdict, personal data masked.

It is mailed to the unit's contact and stays downloadable, so ID numbers and mobiles are masked;
the Excel row number (行号) leads back to the contact's own list.
"""
import io

from app.masking import mask_id, mask_mobile

OUTCOMES = {"created": "已创建账号", "linked": "已注册，已关联本单位", "refused": "未通过"}


def result_workbook(rows, unit_name, days=30):
    """xlsx bytes: sheet 结果 (行号, 姓名, 身份证号码, 手机号码, 结果, 原因) and sheet 说明."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("结果")
    for col, width in zip("ABCDEF", (8, 12, 22, 15, 20, 60), strict=True):
        sheet.column_dimensions[col].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in ("行号", "姓名", "身份证号码", "手机号码", "结果", "原因"):
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([row.no, row.name, mask_id(row.id_number or ""), mask_mobile(row.mobile or ""),
                      OUTCOMES.get(row.outcome, row.outcome), row.reason])
    counts = {k: sum(1 for r in rows if r.outcome == k) for k in OUTCOMES}
    notes = workbook.create_sheet("说明")
    for text in (f"单位：{unit_name}",
                 f"共 {len(rows)} 行：已创建账号 {counts['created']}，已注册并关联 {counts['linked']}，"
                 f"未通过 {counts['refused']}。",
                 "新账号的用户名为身份证号，初始密码为 edu@ 加身份证号后六位（如 edu@07765X）。",
                 f"首次登录须用名单上的手机号接收短信验证码并设置新密码；初始密码 {days} 天内未使用即失效，"
                 "之后可用该手机号“忘记密码”设置。",
                 "未通过的行请按原因修改原名单后，只上传这些行。"):
        notes.append([text])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
