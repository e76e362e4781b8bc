"""Orders, seats, every call to and from WeChat Pay, refunds. Money is integer fen."""
import peewee

from app.accounts.models import User
from app.db import BaseModel, utcnow
from app.learning.models import Project
from app.units.models import Unit

ORDER_STATES = ("pending", "paid", "closed", "refunded", "partially_refunded")


class Order(BaseModel):
    order_no = peewee.CharField(max_length=32, unique=True)  # our out_trade_no, made before WeChat is called
    kind = peewee.CharField(max_length=16)  # individual / group
    buyer = peewee.ForeignKeyField(User, backref="orders", on_delete="RESTRICT")
    project = peewee.ForeignKeyField(Project, backref="orders", on_delete="RESTRICT")
    seat_count = peewee.IntegerField(default=1)
    unit_price_fen = peewee.IntegerField()
    amount_fen = peewee.IntegerField()
    refunded_fen = peewee.IntegerField(default=0)
    status = peewee.CharField(max_length=20, default="pending", index=True)
    # Invoice: "now" with title data, or "later" (applied for from "my invoices").
    unit = peewee.ForeignKeyField(Unit, null=True, backref="orders", on_delete="SET NULL")  # group orders of a unit
    invoice_choice = peewee.CharField(max_length=8, default="later")
    invoice_title_type = peewee.CharField(max_length=8, default="")  # personal / unit
    invoice_title = peewee.CharField(max_length=100, default="")
    invoice_tax_no = peewee.CharField(max_length=20, default="")
    # Payment.
    pay_channel = peewee.CharField(max_length=8, default="")  # jsapi / mini / native
    payer_appid = peewee.CharField(max_length=32, default="")
    payer_openid = peewee.CharField(max_length=64, default="")
    prepay_id = peewee.CharField(max_length=64, default="")
    code_url = peewee.CharField(max_length=200, default="")
    prepaid_at = peewee.DateTimeField(null=True)
    expires_at = peewee.DateTimeField()
    paid_at = peewee.DateTimeField(null=True)
    transaction_id = peewee.CharField(max_length=40, default="")
    closed_at = peewee.DateTimeField(null=True)
    last_query_at = peewee.DateTimeField(null=True)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "order"


class OrderSeat(BaseModel):
    """One learner's place in an order (an individual order has one seat: the buyer's)."""

    order = peewee.ForeignKeyField(Order, backref="seats", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, backref="seats", on_delete="RESTRICT")
    amount_fen = peewee.IntegerField()
    status = peewee.CharField(max_length=16, default="active")  # active / refunding / refunded
    label = peewee.CharField(max_length=30, default="")  # the name a unit's contact typed for the seat, if any

    class Meta:
        table_name = "order_seat"
        indexes = ((("order", "user"), True),)


class PaymentTransaction(BaseModel):
    """Every call to WeChat Pay and every notification from it, as it happened."""

    order = peewee.ForeignKeyField(Order, null=True, backref="transactions", on_delete="SET NULL")
    kind = peewee.CharField(max_length=20)  # prepay / query / close / refund / refund_query / notify / refund_notify
    direction = peewee.CharField(max_length=4)  # out (we called) / in (WeChat called)
    status_code = peewee.IntegerField(null=True)
    verified = peewee.BooleanField(null=True)
    outcome = peewee.CharField(max_length=40, default="")
    detail = peewee.TextField(default="")

    class Meta:
        table_name = "payment_transaction"


class Refund(BaseModel):
    order = peewee.ForeignKeyField(Order, backref="refunds", on_delete="RESTRICT")
    out_refund_no = peewee.CharField(max_length=64, unique=True)
    amount_fen = peewee.IntegerField()
    seat_ids = peewee.TextField(default="[]")  # JSON list of OrderSeat ids covered
    reason = peewee.CharField(max_length=80, default="")
    status = peewee.CharField(max_length=16, default="processing")  # processing / success / failed
    refund_id = peewee.CharField(max_length=40, default="")
    override = peewee.BooleanField(default=False)
    created_by = peewee.ForeignKeyField(User, null=True, backref="refunds_made", on_delete="SET NULL")
    finished_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "refund"
