"""Reconciliation against WeChat Pay's trade bill: one run per bill day, one row per difference found."""
import peewee

from app.accounts.models import User
from app.db import BaseModel

DIFF_KINDS = {
    "missing_here": "微信已收款，本平台未记为已付",
    "missing_there": "本平台记为已付，微信账单中没有",
    "amount_differs": "金额不一致",
    "refund_missing_here": "微信已退款，本平台未记为退款成功",
    "refund_missing_there": "本平台退款成功，微信账单中没有",
    "refund_amount_differs": "退款金额不一致",
}
DIFF_STATES = {"open": "待处理", "settled": "已核对处理", "needs_staff": "需人工处理"}


class ReconciliationRun(BaseModel):
    """One comparison of a day's trade bill (a date in China time) with our orders and refunds."""

    bill_date = peewee.DateField(unique=True)
    status = peewee.CharField(max_length=16, default="pending")  # pending / matched / differences / failed
    bill_exists = peewee.BooleanField(default=True)
    bill_payments = peewee.IntegerField(default=0)
    bill_paid_fen = peewee.IntegerField(default=0)
    bill_refunded_fen = peewee.IntegerField(default=0)
    our_payments = peewee.IntegerField(default=0)
    our_paid_fen = peewee.IntegerField(default=0)
    our_refunded_fen = peewee.IntegerField(default=0)
    error = peewee.CharField(max_length=200, default="")
    finished_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "reconciliation_run"


class ReconciliationDiff(BaseModel):
    """A difference between the bill and our records; settled by querying WeChat Pay."""

    run = peewee.ForeignKeyField(ReconciliationRun, backref="diffs", on_delete="CASCADE")
    kind = peewee.CharField(max_length=24)
    out_trade_no = peewee.CharField(max_length=32, index=True)
    out_refund_no = peewee.CharField(max_length=64, default="")
    our_fen = peewee.IntegerField(null=True)
    bill_fen = peewee.IntegerField(null=True)
    our_status = peewee.CharField(max_length=20, default="")
    status = peewee.CharField(max_length=16, default="open")  # open / settled / needs_staff
    resolution = peewee.CharField(max_length=200, default="")
    settled_by = peewee.ForeignKeyField(User, null=True, backref="reconciliations_settled", on_delete="SET NULL")
    settled_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "reconciliation_diff"
        indexes = ((("run", "kind", "out_trade_no", "out_refund_no"), True),)
