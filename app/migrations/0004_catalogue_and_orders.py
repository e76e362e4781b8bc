"""The catalogue (projects, courses), enrollments, orders, seats, payment transactions, refunds."""
import datetime

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def _now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class Account(Model):
    class Meta:
        table_name = "account"


class Project(Model):
    created_at = DateTimeField(default=_now)
    year = IntegerField(index=True)
    name = CharField(max_length=60)
    description = TextField(default="")
    price_fen = IntegerField()
    credit_hours = IntegerField(default=30)
    sale_start = DateTimeField()
    sale_end = DateTimeField()
    is_published = BooleanField(default=True)

    class Meta:
        table_name = "project"


class Course(Model):
    created_at = DateTimeField(default=_now)
    project = ForeignKeyField(Project, on_delete="CASCADE", column_name="project_id")
    title = CharField(max_length=80)
    lecturer = CharField(max_length=40, default="")
    summary = TextField(default="")
    credit_hours = IntegerField()
    position = IntegerField(default=0)

    class Meta:
        table_name = "course"


class Enrollment(Model):
    created_at = DateTimeField(default=_now)
    user = ForeignKeyField(Account, on_delete="CASCADE", column_name="user_id")
    project = ForeignKeyField(Project, on_delete="CASCADE", column_name="project_id")
    source = CharField(max_length=16)
    order_id = IntegerField(null=True)
    seat_id = IntegerField(null=True)
    status = CharField(max_length=16, default="active", index=True)
    started_at = DateTimeField(null=True)
    certified_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)

    class Meta:
        table_name = "enrollment"
        indexes = ((("user", "project"), True),)


class Order(Model):
    created_at = DateTimeField(default=_now)
    order_no = CharField(max_length=32, unique=True)
    kind = CharField(max_length=16)
    buyer = ForeignKeyField(Account, on_delete="RESTRICT", column_name="buyer_id")
    project = ForeignKeyField(Project, on_delete="RESTRICT", column_name="project_id")
    seat_count = IntegerField(default=1)
    unit_price_fen = IntegerField()
    amount_fen = IntegerField()
    refunded_fen = IntegerField(default=0)
    status = CharField(max_length=20, default="pending", index=True)
    invoice_choice = CharField(max_length=8, default="later")
    invoice_title_type = CharField(max_length=8, default="")
    invoice_title = CharField(max_length=100, default="")
    invoice_tax_no = CharField(max_length=20, default="")
    pay_channel = CharField(max_length=8, default="")
    payer_appid = CharField(max_length=32, default="")
    payer_openid = CharField(max_length=64, default="")
    prepay_id = CharField(max_length=64, default="")
    code_url = CharField(max_length=200, default="")
    prepaid_at = DateTimeField(null=True)
    expires_at = DateTimeField()
    paid_at = DateTimeField(null=True)
    transaction_id = CharField(max_length=40, default="")
    closed_at = DateTimeField(null=True)
    last_query_at = DateTimeField(null=True)
    updated_at = DateTimeField(default=_now)

    class Meta:
        table_name = "order"


class OrderSeat(Model):
    created_at = DateTimeField(default=_now)
    order = ForeignKeyField(Order, on_delete="CASCADE", column_name="order_id")
    user = ForeignKeyField(Account, on_delete="RESTRICT", column_name="user_id")
    amount_fen = IntegerField()
    status = CharField(max_length=16, default="active")

    class Meta:
        table_name = "order_seat"
        indexes = ((("order", "user"), True),)


class PaymentTransaction(Model):
    created_at = DateTimeField(default=_now)
    order = ForeignKeyField(Order, null=True, on_delete="SET NULL", column_name="order_id")
    kind = CharField(max_length=20)
    direction = CharField(max_length=4)
    status_code = IntegerField(null=True)
    verified = BooleanField(null=True)
    outcome = CharField(max_length=40, default="")
    detail = TextField(default="")

    class Meta:
        table_name = "payment_transaction"


class Refund(Model):
    created_at = DateTimeField(default=_now)
    order = ForeignKeyField(Order, on_delete="RESTRICT", column_name="order_id")
    out_refund_no = CharField(max_length=64, unique=True)
    amount_fen = IntegerField()
    seat_ids = TextField(default="[]")
    reason = CharField(max_length=80, default="")
    status = CharField(max_length=16, default="processing")
    refund_id = CharField(max_length=40, default="")
    override = BooleanField(default=False)
    created_by = ForeignKeyField(Account, null=True, on_delete="SET NULL", column_name="created_by_id")
    finished_at = DateTimeField(null=True)

    class Meta:
        table_name = "refund"


MODELS = [Account, Project, Course, Enrollment, Order, OrderSeat, PaymentTransaction, Refund]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS[1:])
