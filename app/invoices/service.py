"""Applying, issuing, changing and reversing invoices; the invoice row is the record of truth.

Durability: every step first writes the invoice row, then enqueues its job with a job_id per invoice
(`<order_no>F<version>`: one per order and title version), so a click twice or a retried job finds the
same row. Jobs retry with backoff. The periodic sweep (`sweep`, every minute from app/periodic.py)
re-enqueues invoices left pending or failed for longer than STUCK_MINUTES and queries WeChat for
applications and reversals whose callback never came: no invoice job is lost when a worker dies.
"""
import datetime
import logging

import peewee

from app import storage
from app.db import db, utcnow
from app.invoices import gateway, rules
from app.invoices.models import Invoice
from app.jobs import enqueue
from app.pay.models import Order

log = logging.getLogger(__name__)
STUCK_MINUTES = 3
MAX_SWEEP_ATTEMPTS = 10  # a failed invoice tried this often waits for staff (the desk's retry)
ISSUE_JOB = "app.invoices.service:issue_job"
REFRESH_JOB = "app.invoices.service:refresh_job"
TITLE_FIELDS = ("title_type", "name", "tax_no", "address", "telephone", "bank_name", "bank_account", "email")
CHANGE_REASON, REFUND_REASON = "开票有误", "销货退回"


class InvoiceError(Exception):
    """A refusal to show the learner (Chinese), with the HTTP status the API answers."""

    def __init__(self, message, status=409):
        super().__init__(message)
        self.message, self.status = message, status


def invoices_of(order):
    return list(Invoice.select().where(Invoice.order == order.id).order_by(Invoice.version))


def current(order):
    """The order's latest invoice (None before any application)."""
    return Invoice.select().where(Invoice.order == order.id).order_by(Invoice.version.desc()).first()


def _enqueue(func, invoice, suffix=""):
    enqueue(func, invoice.id, job_id=f"invoice-{func.rsplit(':', 1)[1]}-{invoice.fapiao_id}{suffix}")


def _create(order, version, reason, title, amount, status="pending"):
    fields = {k: title.get(k) or "" for k in TITLE_FIELDS}
    return Invoice.create(order=order.id, version=version, reason=reason, fapiao_id=f"{order.order_no}F{version}",
                          fapiao_apply_id=order.transaction_id, amount_fen=amount, status=status, **fields)


def apply(order, title, now=None):
    """Apply for the order's invoice (idempotent: a second call returns the first invoice)."""
    return apply_once(order, title, now)[0]


def apply_once(order, title, now=None):
    """(invoice, True when this call made it): pressing twice, even at the same moment, makes one."""
    existing = current(order)
    if existing is not None:
        return existing, False
    refusal = rules.apply_refusal(order, now or utcnow())
    if refusal:
        raise InvoiceError(refusal)
    if order.kind == "group" and title["title_type"] != "unit":
        raise InvoiceError("团购订单的发票开给单位：请选择单位抬头", 400)
    try:
        with db.atomic():
            invoice = _create(order, 1, "apply", title, order.amount_fen - order.refunded_fen)
    except peewee.IntegrityError:  # pressed twice at once: the other request made it
        return current(order), False
    _enqueue(ISSUE_JOB, invoice)
    return invoice, True


def apply_on_payment(order):
    """After payment: an order that chose "apply now" gets its invoice (called by the after-paid job)."""
    order = Order.get_by_id(order.id)
    if order.invoice_choice != "now" or not order.invoice_title:
        return None
    title = {"title_type": order.invoice_title_type or "personal", "name": order.invoice_title,
             "tax_no": order.invoice_tax_no}
    try:
        return apply(order, title)
    except InvoiceError as exc:
        log.warning("order %s: invoice not applied: %s", order.order_no, exc.message)
        return None


def apply_from_wechat_title(apply_id):
    """FAPIAO.USER_APPLIED: the payer chose a title on WeChat's page; apply with it (checked like ours)."""
    from app.invoices.schemas import TitleIn

    order = Order.get_or_none(Order.transaction_id == apply_id)
    raw = gateway.user_title(apply_id) if order is not None else None
    if raw is None:
        return None
    try:
        title = TitleIn(**{k: v or None for k, v in raw.items()}).model_dump()
    except ValueError as exc:
        log.warning("order %s: the WeChat title was refused: %s", order.order_no, exc)
        return None
    try:
        return apply(order, title)
    except InvoiceError as exc:
        log.warning("order %s: invoice from the WeChat title not applied: %s", order.order_no, exc.message)
        return None


def _claim(invoice_id, states):
    return Invoice.update(attempts=Invoice.attempts + 1, updated_at=utcnow()).where(
        Invoice.id == invoice_id, Invoice.status.in_(states)).execute()


def issue_job(invoice_id):
    """Job: send a pending (or failed) invoice to WeChat. Network trouble re-raises so the queue retries."""
    if not _claim(invoice_id, ("pending", "failed")):
        return "not_pending"
    invoice = Invoice.get_by_id(invoice_id)
    try:
        gateway.apply(invoice)
    except gateway.Refused as exc:
        _set(invoice, status="failed", last_error=f"{exc.code}: {exc.message}"[:200])
        return "refused"
    except gateway.Unavailable as exc:
        _set(invoice, status="failed", last_error=f"微信支付暂时不可用（{exc}），稍后自动重试"[:200])
        raise
    _set(invoice, status="applying", last_error="")
    return "applying"


def _set(invoice, **fields):
    Invoice.update(updated_at=utcnow(), **fields).where(Invoice.id == invoice.id).execute()


def _parse_time(text):
    when = datetime.datetime.fromisoformat(text)
    return when.astimezone(datetime.UTC).replace(tzinfo=None)


def refresh_job(invoice_id):
    return refresh(Invoice.get_by_id(invoice_id))


def refresh(invoice):
    """Bring the row up to what WeChat says (query); the callback and the sweep both end here."""
    remote = gateway.query(invoice)
    if remote is None:
        return invoice.status
    status = remote.get("status")
    if remote.get("blue_fapiao") and not invoice.fapiao_number:
        _record_issue(invoice, remote)
        invoice = Invoice.get_by_id(invoice.id)
    if status == "ISSUED" and invoice.status in ("applying", "pending", "failed", "issued"):
        Invoice.update(status="issued", last_error="", updated_at=utcnow()).where(
            Invoice.id == invoice.id, Invoice.status.in_(("applying", "pending", "failed"))).execute()
        # Issued but its PDF not yet kept (a first download may fail: the sweep comes back for it); the learner
        # is told once, by whichever run keeps the PDF.
        if store_pdf(Invoice.get_by_id(invoice.id)):
            _notify(Invoice.get_by_id(invoice.id))
    elif status == "ISSUED" and invoice.status == "reversing":  # the reversal was not accepted: ask again
        start_reversal(invoice, invoice.reverse_reason, invoice.reverse_cause)
    elif status == "REVERSED" and invoice.status != "reversed":
        red = remote.get("red_fapiao") or {}
        changed = Invoice.update(status="reversed", red_number=red.get("fapiao_number", ""),
                                 reversed_at=utcnow(), updated_at=utcnow()).where(
            Invoice.id == invoice.id, Invoice.status != "reversed").execute()
        if changed:
            _release_held(invoice.order_id)
    return Invoice.get_by_id(invoice.id).status


def _record_issue(invoice, remote):
    """The numbers and the date WeChat gave the invoice (kept whatever the row's state)."""
    blue = remote["blue_fapiao"]
    _set(invoice, fapiao_number=blue.get("fapiao_number", ""), fapiao_code=blue.get("fapiao_code", ""),
         check_code=blue.get("check_code", ""), issued_at=_parse_time(blue["fapiao_time"]),
         card_status=(remote.get("card_information") or {}).get("card_status", ""))


def _notify(invoice):
    from app.invoices import notices

    try:
        notices.invoice_issued(invoice)
    except Exception:  # noqa: BLE001  (a message must never undo an issued invoice)
        log.exception("invoice %s: message not queued", invoice.fapiao_id)


def store_pdf(invoice):
    """Keep the PDF in the platform's storage (fetched once; every download serves those bytes); True when this
    call recorded it first."""
    if invoice.pdf_key and storage.storage().exists(invoice.pdf_key):
        return False
    key = f"invoices/{invoice.fapiao_id}.pdf"
    storage.storage().put(key, gateway.download_pdf(invoice), "application/pdf")
    return Invoice.update(pdf_key=key).where(Invoice.id == invoice.id, Invoice.pdf_key != key).execute() == 1
    return key


def _release_held(order_id):
    """After a reversal: the invoice waiting for it (new title or remaining amount) is sent."""
    for held in Invoice.select().where(Invoice.order == order_id, Invoice.status == "held"):
        _set(held, status="pending")
        _enqueue(ISSUE_JOB, held)


def start_reversal(invoice, reason, cause):
    """Ask WeChat to reverse (or, for a unit that booked it, wait for its confirmation)."""
    if invoice.title_type == "unit" and invoice.booked_at and invoice.status == "issued":
        _set(invoice, status="confirm_reversal", reverse_reason=reason, reverse_cause=cause)
        return "confirm_reversal"
    _set(invoice, status="reversing", reverse_reason=reason, reverse_cause=cause)
    try:
        gateway.reverse(Invoice.get_by_id(invoice.id), reason)
    except (gateway.Refused, gateway.Unavailable) as exc:
        _set(invoice, last_error=f"冲红未受理：{exc}"[:200])  # the sweep asks again
    return "reversing"


def mark_booked(invoice):
    """A unit says it has booked the invoice: a later reversal then waits for its confirmation."""
    if invoice.title_type != "unit" or invoice.status != "issued":
        raise InvoiceError("只有已开具的单位抬头发票可以标记为已入账")
    _set(invoice, booked_at=utcnow())


def confirm_reversal(invoice):
    """A unit confirms the red-letter reversal of an invoice it had booked."""
    if invoice.status != "confirm_reversal":
        raise InvoiceError("该发票没有等待确认的冲红")
    _set(invoice, booked_at=None, status="issued")
    return start_reversal(Invoice.get_by_id(invoice.id), invoice.reverse_reason, invoice.reverse_cause)


def change_title(order, title, now=None):
    """Change the issued invoice's title once: reverse it, then issue the new title (held until reversed)."""
    invoice = current(order)
    if invoice is None:
        raise InvoiceError("该订单还没有发票")
    if order.kind == "group" and title["title_type"] != "unit":
        raise InvoiceError("团购订单的发票开给单位：请选择单位抬头", 400)
    every = invoices_of(order)
    used = sum(1 for i in every if i.reason == "change")
    refusal = rules.change_refusal(invoice, used, rules.slots_left(len(every)), now or utcnow())
    if refusal:
        raise InvoiceError(refusal)
    try:
        with db.atomic():
            new = _create(order, invoice.version + 1, "change", title, invoice.amount_fen, status="held")
    except peewee.IntegrityError:
        raise InvoiceError("发票正在修改中，请稍后刷新") from None
    start_reversal(invoice, CHANGE_REASON, "change")
    return new


def on_refund(order_id):
    """After a refund succeeded: a full refund reverses the invoice; a partial one reverses it and issues
    the remaining amount again (dated when issued, so in January for a December invoice). Not a change."""
    order = Order.get_by_id(order_id)
    invoice = current(order)
    if invoice is None or invoice.status == "reversed":
        return None
    remaining = order.amount_fen - order.refunded_fen
    if invoice.status in ("pending", "failed", "held"):
        _set(invoice, amount_fen=remaining) if remaining > 0 else _set(invoice, status="reversed",
                                                                      reverse_cause="refund")
        return "adjusted"
    if remaining > 0:
        if rules.slots_left(len(invoices_of(order))) < 1:
            log.error("order %s: no invoice slot left for the re-issue: staff must issue it", order.order_no)
        else:
            _create(order, invoice.version + 1, "refund", {k: getattr(invoice, k) for k in TITLE_FIELDS},
                    remaining, status="held")
    return start_reversal(invoice, REFUND_REASON, "refund")


def retry(invoice):
    """Staff: send a failed invoice again now."""
    if invoice.status != "failed":
        raise InvoiceError("只有失败的发票可以重试")
    _enqueue(ISSUE_JOB, invoice, f"-retry{invoice.attempts}")


def sweep(now=None):
    """Periodic: re-enqueue stuck pending/failed invoices (until MAX_SWEEP_ATTEMPTS); query applying/reversing
    ones (lost callbacks) and issued ones whose PDF is not kept yet."""
    cutoff = (now or utcnow()) - datetime.timedelta(minutes=STUCK_MINUTES)
    minute = (now or utcnow()).strftime("%Y%m%d%H%M")
    stuck = Invoice.select().where(Invoice.updated_at < cutoff)
    for invoice in stuck.where(Invoice.status.in_(("pending", "failed")), Invoice.attempts < MAX_SWEEP_ATTEMPTS):
        _enqueue(ISSUE_JOB, invoice, f"-{minute}")
    for invoice in stuck.where(Invoice.status.in_(("applying", "reversing")) |
                               ((Invoice.status == "issued") & (Invoice.pdf_key == ""))):
        _enqueue(REFRESH_JOB, invoice, f"-{minute}")
    return stuck.count()
