"""Reconciliation against WeChat Pay's trade bill: runs (one per bill day) and their differences."""
import datetime

from peewee import BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, Model


def _now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class Account(Model):
    class Meta:
        table_name = "account"


class ReconciliationRun(Model):
    created_at = DateTimeField(default=_now)
    bill_date = DateField(unique=True)
    status = CharField(max_length=16, default="pending")
    bill_exists = BooleanField(default=True)
    bill_payments = IntegerField(default=0)
    bill_paid_fen = IntegerField(default=0)
    bill_refunded_fen = IntegerField(default=0)
    our_payments = IntegerField(default=0)
    our_paid_fen = IntegerField(default=0)
    our_refunded_fen = IntegerField(default=0)
    error = CharField(max_length=200, default="")
    finished_at = DateTimeField(null=True)

    class Meta:
        table_name = "reconciliation_run"


class ReconciliationDiff(Model):
    created_at = DateTimeField(default=_now)
    run = ForeignKeyField(ReconciliationRun, on_delete="CASCADE", column_name="run_id")
    kind = CharField(max_length=24)
    out_trade_no = CharField(max_length=32, index=True)
    out_refund_no = CharField(max_length=64, default="")
    our_fen = IntegerField(null=True)
    bill_fen = IntegerField(null=True)
    our_status = CharField(max_length=20, default="")
    status = CharField(max_length=16, default="open")
    resolution = CharField(max_length=200, default="")
    settled_by = ForeignKeyField(Account, null=True, on_delete="SET NULL", column_name="settled_by_id")
    settled_at = DateTimeField(null=True)

    class Meta:
        table_name = "reconciliation_diff"
        indexes = ((("run", "kind", "out_trade_no", "out_refund_no"), True),)


MODELS = [Account, ReconciliationRun, ReconciliationDiff]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables([ReconciliationRun, ReconciliationDiff])
