"""The sandbox's invoice PDF: the fields of a digital invoice (全电发票) on one A5-landscape page.

Drawn with reportlab and the certificates' embedded TrueType font (app/certs/fonts), so the Chinese
text can be read back from the file. Red-letter (reversed) invoices print negative amounts.
"""
import io
from datetime import datetime

from flask import current_app
from reportlab.lib.pagesizes import A5, landscape
from reportlab.pdfgen import canvas

from app.certs import fonts
from app.money import yuan
from app.wechat.sandbox import fapiao_store

DIGITS = "零壹贰叁肆伍陆柒捌玖"
UNITS = ["", "拾", "佰", "仟"]
GROUPS = ["", "万", "亿"]


def _int_words(number):
    if number == 0:
        return "零"
    out, group = "", 0
    while number:
        number, part = divmod(number, 10000)
        words, zero = "", False
        for pos in range(4):
            part, d = divmod(part, 10)
            if d:
                words = DIGITS[d] + UNITS[pos] + ("零" if zero and words else "") + words
                zero = False
            else:
                zero = True
        if words:
            out = words + GROUPS[group] + out
        group += 1
    return out


def amount_in_words(fen):
    """Chinese capital amount (大写), e.g. 9900 → 玖拾玖圆整."""
    sign = "（负数）" if fen < 0 else ""
    fen = abs(fen)
    yuan, rest = divmod(fen, 100)
    jiao, cents = divmod(rest, 10)
    words = _int_words(yuan) + "圆"
    if not rest:
        return sign + words + "整"
    if jiao:
        words += DIGITS[jiao] + "角"
    elif yuan:
        words += "零"
    if cents:
        words += DIGITS[cents] + "分"
    return sign + words


def render(fapiao, red=False):
    """The PDF bytes of an issued (or, with red=True, the red-letter) invoice."""
    font = fonts.register_font(current_app.config["CERT_FONT_PATH"])
    data = fapiao_store.view(fapiao)
    number_info = fapiao["red_fapiao"] if red else fapiao["blue_fapiao"]
    factor = -1 if red else 1
    buffer = io.BytesIO()
    width, height = landscape(A5)
    c = canvas.Canvas(buffer, pagesize=(width, height))
    c.setTitle("电子发票（普通发票）")
    when = datetime.fromisoformat(number_info["fapiao_time"])

    def line(x, y, text, size=9, align="left"):
        fonts.draw(c, x, y, text, size, align, font)

    line(width / 2, height - 40, "电子发票（普通发票）" + ("（红字）" if red else ""), 16, "centre")
    line(width - 200, height - 62, f"发票号码：{number_info['fapiao_number']}")
    line(width - 200, height - 76, f"开票日期：{when:%Y年%m月%d日}")
    buyer, seller = data["buyer_information"], data["seller_information"]
    c.rect(30, height - 150, width - 60, 62)
    line(40, height - 104, f"购买方名称：{buyer['name']}")
    line(40, height - 120, f"购买方统一社会信用代码/纳税人识别号：{buyer.get('taxpayer_id', '')}")
    line(width / 2 + 10, height - 104, f"销售方名称：{seller['name']}")
    line(width / 2 + 10, height - 120, f"销售方统一社会信用代码/纳税人识别号：{seller['taxpayer_id']}", 8)
    c.line(width / 2, height - 150, width / 2, height - 88)
    top = height - 170
    for x, title in ((40, "项目名称"), (200, "数量"), (260, "金额"), (340, "税率/征收率"), (430, "税额")):
        line(x, top, title)
    rate = f"{fapiao_store.TAX_RATE / 100:g}%"
    line(40, top - 18, "*现代服务*培训费")
    line(200, top - 18, "1")
    line(260, top - 18, yuan(factor * data["amount"]))
    line(340, top - 18, rate)
    line(430, top - 18, yuan(factor * data["tax_amount"]))
    total = factor * data["total_amount"]
    line(40, top - 50, f"价税合计（大写）：{amount_in_words(total)}")
    line(360, top - 50, f"（小写）¥{yuan(total)}")
    line(40, top - 76, f"备注：{data['remark']}")
    line(40, 40, f"校验码：{number_info['check_code']}    开票人：{data['extra_information']['drawer']}", 8)
    c.showPage()
    c.save()
    return buffer.getvalue()
