"""Telling the buyer: a template / subscribe message when an invoice is issued (or re-issued after a change),
and the PDF by e-mail (to the title's address when issued, or on request from 我的发票)."""
import datetime
import hashlib
import logging

from flask import current_app

from app import mail, storage
from app.accounts.models import User
from app.invoices.models import Invoice
from app.jobs import enqueue
from app.money import yuan
from app.pay.models import Order

log = logging.getLogger(__name__)
PDF_TYPE = ("application", "pdf")


def _yuan(fen):
    return yuan(fen) + "元"


def invoice_issued(invoice):
    """One message per invoice (its event key), with a link to 我的发票; the e-mail if the title has one."""
    from app.wechat import messages

    order = Order.get_by_id(invoice.order_id)
    buyer = User.get_by_id(order.buyer_id)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    values = {"title": invoice.name, "number": invoice.fapiao_number, "amount": _yuan(invoice.amount_fen),
              "time": invoice.issued_at + datetime.timedelta(hours=8)}
    messages.notify(f"invoice-issued:{invoice.id}", buyer, "invoice_issued", values,
                    url=f"{base}/invoices#o-{order.order_no}", page="pages/invoices/invoices")
    if invoice.email:
        queue_mail(invoice, invoice.email)


def queue_mail(invoice, to):
    digest = hashlib.sha256(to.encode()).hexdigest()[:12]
    enqueue(mail_job, invoice.id, to, job_id=f"invoice-mail-{invoice.id}-{digest}")


def mail_job(invoice_id, to):
    """Job: mail the stored PDF (retried by the queue when the mail server fails)."""
    invoice = Invoice.get_by_id(invoice_id)
    if not invoice.pdf_key:
        return None
    data = storage.storage().get(invoice.pdf_key)
    text = "\n".join(["您好：", "", f"附件是您的电子发票（{invoice.name}，号码 {invoice.fapiao_number}，"
                      f"金额 {_yuan(invoice.amount_fen)}）。", "", current_app.config["PLATFORM_NAME"]])
    mail.send(mail.build(to, f"电子发票 {invoice.fapiao_number}", text,
                         [(f"fapiao-{invoice.fapiao_number}.pdf", data, PDF_TYPE)]))
    return "mailed"
