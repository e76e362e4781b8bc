"""The commitment letter (缴费承诺书): an A4 PDF pre-filled with the learner's data to print and sign.

Drawn with reportlab and the certificates' embedded TrueType fonts (app/certs/fonts.py), so a name
with rare characters prints as registered. The full ID number is printed: the letter is the learner's
own signed statement and is served only to them.
"""
import io

from flask import current_app
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from app.accounts.service import id_number_of
from app.certs import fonts
from app.db import china_date

WIDTH = 160 * mm
LEFT = 25 * mm


def render(user, project):
    """The letter for `user` and the earlier year's `project` as PDF bytes."""
    cfg = current_app.config
    fonts.register_font(cfg["CERT_FONT_PATH"])
    if cfg.get("CERT_FALLBACK_FONT_PATH"):
        fonts.register_fallback(cfg["CERT_FALLBACK_FONT_PATH"])
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    c.setTitle(f"缴费承诺书 {project.year}")
    c.setAuthor(cfg["PLATFORM_NAME"])
    height = A4[1]
    fonts.draw(c, A4[0] / 2, height - 40 * mm, "缴费承诺书", 22, align="centre")
    body = (f"本人{user.name}（公民身份号码：{id_number_of(user)}）郑重承诺：本人已通过其他平台缴纳"
            f"{project.year}年度专业技术人员继续教育公需科目（{project.name}）的学习费用，因无法提供缴费凭证，"
            f"特申请在{cfg['PLATFORM_NAME']}补学{project.year}年度公需科目。")
    pledge = ("本人保证以上内容真实、准确。如有不实，本人愿意承担由此产生的一切责任，"
              "并同意平台撤销据此取得的学时与证书。")
    y = height - 62 * mm
    for paragraph in (body, pledge):
        for line in fonts.wrap("\u3000\u3000" + paragraph, 13, WIDTH):
            fonts.draw(c, LEFT, y, line, 13)
            y -= 9 * mm
        y -= 4 * mm
    y -= 20 * mm
    fonts.draw(c, LEFT + 80 * mm, y, "承诺人（签字）：", 13)
    c.line(LEFT + 118 * mm, y - 1 * mm, LEFT + WIDTH, y - 1 * mm)
    y -= 14 * mm
    fonts.draw(c, LEFT + 80 * mm, y, "日期：　　　　年　　月　　日", 13)
    fonts.draw(c, LEFT, 30 * mm, f"请打印后手写签名，拍照或扫描后在平台上传。生成日期：{china_date():%Y-%m-%d}", 9)
    c.showPage()
    c.save()
    return out.getvalue()
