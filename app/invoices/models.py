"""Invoice titles, invoices (one row per order and title version) and every fapiao call and callback."""
import peewee

from app.accounts.models import User
from app.db import BaseModel, utcnow
from app.pay.models import Order

# held: a new title or the remaining amount, waiting for the reversal of the invoice before it ·
# pending: to be sent to WeChat · applying: accepted by WeChat, not issued yet · issued ·
# failed: WeChat refused or could not be reached, retried with backoff ·
# confirm_reversal: a unit that booked the invoice must confirm the red-letter reversal first ·
# reversing: reversal accepted by WeChat · reversed
INVOICE_STATES = ("held", "pending", "applying", "issued", "failed", "confirm_reversal", "reversing", "reversed")


class TitleFields(BaseModel):
    """The fields of a title (抬头), shared by saved titles and invoices (no table of its own)."""

    title_type = peewee.CharField(max_length=8)  # personal / unit
    name = peewee.CharField(max_length=100)
    tax_no = peewee.CharField(max_length=20, default="")
    address = peewee.CharField(max_length=100, default="")
    telephone = peewee.CharField(max_length=30, default="")
    bank_name = peewee.CharField(max_length=100, default="")
    bank_account = peewee.CharField(max_length=40, default="")
    email = peewee.CharField(max_length=100, default="")


class InvoiceTitle(TitleFields):
    """A saved title to pick again: personal (a name) or a unit (name and taxpayer number)."""

    user = peewee.ForeignKeyField(User, backref="invoice_titles", on_delete="CASCADE")

    class Meta:
        table_name = "invoice_title"


class Invoice(TitleFields):
    """The record of truth of one invoice: an order's title version (1 = the first, 2 = after a change or a
    partial refund's re-issue...). Its fapiao_id is `<order_no>F<version>`."""

    order = peewee.ForeignKeyField(Order, backref="invoices", on_delete="RESTRICT")
    version = peewee.IntegerField(default=1)
    reason = peewee.CharField(max_length=12, default="apply")  # apply / change / refund (re-issue)
    fapiao_id = peewee.CharField(max_length=32, unique=True)
    fapiao_apply_id = peewee.CharField(max_length=40, default="")  # the payment's transaction id
    amount_fen = peewee.IntegerField()
    status = peewee.CharField(max_length=16, default="pending", index=True)
    fapiao_number = peewee.CharField(max_length=32, default="")
    fapiao_code = peewee.CharField(max_length=20, default="")
    check_code = peewee.CharField(max_length=32, default="")
    issued_at = peewee.DateTimeField(null=True)  # UTC; the issue date is its China date
    red_number = peewee.CharField(max_length=32, default="")
    reverse_reason = peewee.CharField(max_length=8, default="")
    reverse_cause = peewee.CharField(max_length=12, default="")  # change / refund / staff
    reversed_at = peewee.DateTimeField(null=True)
    booked_at = peewee.DateTimeField(null=True)  # the unit says it has booked the invoice
    card_status = peewee.CharField(max_length=20, default="")
    pdf_key = peewee.CharField(max_length=200, default="")
    attempts = peewee.IntegerField(default=0)
    last_error = peewee.CharField(max_length=200, default="")
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "invoice"
        indexes = ((("order", "version"), True),)


class InvoiceEvent(BaseModel):
    """Every call to the fapiao API and every callback from it, as it happened."""

    invoice = peewee.ForeignKeyField(Invoice, null=True, backref="events", on_delete="SET NULL")
    kind = peewee.CharField(max_length=20)  # apply / query / reverse / files / download / callback / config
    direction = peewee.CharField(max_length=4)  # out / in
    status_code = peewee.IntegerField(null=True)
    verified = peewee.BooleanField(null=True)
    outcome = peewee.CharField(max_length=40, default="")
    detail = peewee.TextField(default="")

    class Meta:
        table_name = "invoice_event"
