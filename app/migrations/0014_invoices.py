"""E-invoices: saved titles, one invoice per order and title version, the fapiao call log.

Orders that chose "apply now" before this existed keep their title: each paid one becomes a pending
invoice (issued by the next sweep) and its title a saved title of the buyer.
"""
import datetime

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def _now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def up(migrator, db):
    class Base(Model):
        created_at = DateTimeField(default=_now)

        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):
        class Meta:
            table_name = "account"

    class Order(Base):
        order_no = CharField()
        buyer = ForeignKeyField(User)
        status = CharField()
        amount_fen = IntegerField()
        refunded_fen = IntegerField()
        transaction_id = CharField()
        invoice_choice = CharField()
        invoice_title_type = CharField()
        invoice_title = CharField()
        invoice_tax_no = CharField()

        class Meta:
            table_name = "order"

    class InvoiceTitle(Base):
        user = ForeignKeyField(User, on_delete="CASCADE")
        title_type = CharField(max_length=8)
        name = CharField(max_length=100)
        tax_no = CharField(max_length=20, default="")
        address = CharField(max_length=100, default="")
        telephone = CharField(max_length=30, default="")
        bank_name = CharField(max_length=100, default="")
        bank_account = CharField(max_length=40, default="")
        email = CharField(max_length=100, default="")

        class Meta:
            table_name = "invoice_title"

    class Invoice(Base):
        order = ForeignKeyField(Order, on_delete="RESTRICT")
        version = IntegerField(default=1)
        reason = CharField(max_length=12, default="apply")
        fapiao_id = CharField(max_length=32, unique=True)
        fapiao_apply_id = CharField(max_length=40, default="")
        title_type = CharField(max_length=8)
        name = CharField(max_length=100)
        tax_no = CharField(max_length=20, default="")
        address = CharField(max_length=100, default="")
        telephone = CharField(max_length=30, default="")
        bank_name = CharField(max_length=100, default="")
        bank_account = CharField(max_length=40, default="")
        email = CharField(max_length=100, default="")
        amount_fen = IntegerField()
        status = CharField(max_length=16, default="pending", index=True)
        fapiao_number = CharField(max_length=32, default="")
        fapiao_code = CharField(max_length=20, default="")
        check_code = CharField(max_length=32, default="")
        issued_at = DateTimeField(null=True)
        red_number = CharField(max_length=32, default="")
        reverse_reason = CharField(max_length=8, default="")
        reverse_cause = CharField(max_length=12, default="")
        reversed_at = DateTimeField(null=True)
        booked_at = DateTimeField(null=True)
        card_status = CharField(max_length=20, default="")
        pdf_key = CharField(max_length=200, default="")
        attempts = IntegerField(default=0)
        last_error = CharField(max_length=200, default="")
        updated_at = DateTimeField(default=_now)

        class Meta:
            table_name = "invoice"
            indexes = ((("order", "version"), True),)

    class InvoiceEvent(Base):
        invoice = ForeignKeyField(Invoice, null=True, on_delete="SET NULL")
        kind = CharField(max_length=20)
        direction = CharField(max_length=4)
        status_code = IntegerField(null=True)
        verified = BooleanField(null=True)
        outcome = CharField(max_length=40, default="")
        detail = TextField(default="")

        class Meta:
            table_name = "invoice_event"

    db.create_tables([InvoiceTitle, Invoice, InvoiceEvent])
    for order in Order.select().where(Order.invoice_choice == "now", Order.invoice_title != ""):
        title_type = order.invoice_title_type or "personal"
        InvoiceTitle.get_or_create(user=order.buyer_id, title_type=title_type, name=order.invoice_title,
                                   tax_no=order.invoice_tax_no or "")
        if order.status in ("paid", "partially_refunded"):
            Invoice.create(order=order.id, version=1, fapiao_id=f"{order.order_no}F1",
                           fapiao_apply_id=order.transaction_id, title_type=title_type, name=order.invoice_title,
                           tax_no=order.invoice_tax_no or "", amount_fen=order.amount_fen - order.refunded_fen)
