"""`flask pay ...`: operators look at an order, query WeChat Pay, refund seats (English output, names masked)."""
import click
from flask.cli import AppGroup

from app.db import db
from app.errors import ApiError
from app.money import yuan

pay_cli = AppGroup("pay", help="Orders and WeChat Pay.")


def mask_name(name):
    """张** : enough to recognise a learner on the phone, no more."""
    return (name[:1] + "*" * (len(name) - 1)) if name else ""


def _order(order_no):
    from app.pay.models import Order

    order = Order.get_or_none(Order.order_no == order_no)
    if order is None:
        raise click.ClickException(f"order {order_no} not found")
    return order


def _order_lines(order):
    from app.accounts.models import User

    buyer = User.get_by_id(order.buyer_id)
    yield (f"order {order.order_no} ({order.kind}): {order.status}, {yuan(order.amount_fen)} yuan, "
           f"refunded {yuan(order.refunded_fen)} yuan")
    yield f"  buyer: #{buyer.id} {mask_name(buyer.name)}; channel: {order.pay_channel or '-'}"
    yield (f"  created {order.created_at:%Y-%m-%d %H:%M:%S} UTC, expires {order.expires_at:%Y-%m-%d %H:%M:%S} UTC, "
           f"paid {order.paid_at or '-'}, transaction {order.transaction_id or '-'}")


def _seat_lines(order):
    from app.accounts.models import User
    from app.pay.models import OrderSeat

    for seat in OrderSeat.select().where(OrderSeat.order == order.id).order_by(OrderSeat.id):
        user = User.get_by_id(seat.user_id)
        yield f"  seat {seat.id}: #{user.id} {mask_name(user.name)}, {yuan(seat.amount_fen)} yuan, {seat.status}"


def _refund_lines(order):
    from app.pay.models import Refund

    for refund in Refund.select().where(Refund.order == order.id).order_by(Refund.id):
        yield (f"  refund {refund.out_refund_no}: {refund.status}, {yuan(refund.amount_fen)} yuan, seats "
               f"{refund.seat_ids}{', override' if refund.override else ''}")


def _transaction_lines(order, limit=20):
    from app.pay.models import PaymentTransaction

    rows = (PaymentTransaction.select().where(PaymentTransaction.order == order.id)
            .order_by(PaymentTransaction.id.desc()).limit(limit))
    for row in reversed(list(rows)):
        yield (f"  {row.created_at:%Y-%m-%d %H:%M:%S} {row.direction:3} {row.kind:13} {row.status_code or '-'} "
               f"{row.outcome}")


@pay_cli.command("show")
@click.argument("order_no")
def show(order_no):
    """An order with its seats, refunds and its last WeChat Pay calls."""
    with db.connection_context():
        order = _order(order_no)
        for part in (_order_lines, _seat_lines, _refund_lines, _transaction_lines):
            for line in part(order):
                click.echo(line)


@pay_cli.command("query")
@click.argument("order_no")
@click.option("--settle", is_flag=True, help="Also apply the answer (mark paid / closed) like the settle job.")
def query(order_no, settle):
    """Ask WeChat Pay about an order (and settle it with --settle)."""
    from app.pay import gateway
    from app.pay import settle as settling

    with db.connection_context():
        order = _order(order_no)
        try:
            txn = gateway.query(order_no)
        except ApiError as err:
            raise click.ClickException(f"WeChat Pay query failed: {err.code}") from None
        if txn is None:
            click.echo("WeChat Pay: no such order (ORDER_NOT_EXIST)")
        else:
            click.echo(f"WeChat Pay: {txn.get('trade_state')}, total {txn.get('amount', {}).get('total')} fen, "
                       f"transaction {txn.get('transaction_id', '-')}")
        if settle and order.status == "pending":
            click.echo(f"settled: {settling.settle_from(order, txn)}")


@pay_cli.command("refund")
@click.argument("order_no")
@click.option("--seat", "seats", type=int, multiple=True, help="Seat id to refund (repeat; none: every active seat).")
@click.option("--reason", required=True)
@click.option("--override", is_flag=True, help="Refund seats whose learner started learning or holds a certificate.")
def refund(order_no, seats, reason, override):
    """Refund a whole order or some seats as ONE WeChat refund (at most 50 per payment: batch seats)."""
    from app.pay import refunds

    with db.connection_context():
        order = _order(order_no)
        try:
            before = {"status": order.status, "refunded_fen": order.refunded_fen}
            row = refunds.refund_seats(order, list(seats) or None, reason, None, override=override)
        except ApiError as err:
            raise click.ClickException(f"refund refused ({err.code}): {_english(err)}") from None
        from app.pay.models import Order
        from app.staff import audit

        fresh = Order.get_by_id(order.id)
        audit.record("order.refund", "order", order.order_no, before,
                     {"status": fresh.status, "refunded_fen": fresh.refunded_fen},
                     {"out_refund_no": row.out_refund_no, "amount_fen": row.amount_fen,
                      "seat_ids": refunds.seat_ids_of(row), "reason": reason, "override": row.override,
                      "by": "operator command"})
        click.echo(f"refund {row.out_refund_no}: {row.status}, {yuan(row.amount_fen)} yuan, seats {row.seat_ids}")


@pay_cli.command("settle-refund")
@click.argument("out_refund_no")
def settle_refund(out_refund_no):
    """Query a processing refund now (sent again if WeChat Pay does not know it)."""
    from app.pay import refunds

    with db.connection_context():
        try:
            click.echo(f"refund {out_refund_no}: {refunds.settle_refund(out_refund_no)}")
        except ApiError as err:
            raise click.ClickException(f"WeChat Pay call failed: {err.code}") from None


@pay_cli.command("reconcile")
@click.argument("bill_date", type=click.DateTime(formats=["%Y-%m-%d"]))
def reconcile(bill_date):
    """Download the trade bill of BILL_DATE (China time) and list its differences (the daily job does yesterday)."""
    from app.finance import reconcile as reconciling
    from app.finance.models import ReconciliationDiff

    with db.connection_context():
        run = reconciling.run_day(bill_date.date())
        from app.staff import audit

        audit.record("reconcile.run", "bill_date", run.bill_date.isoformat(), None, {"status": run.status},
                     {"by": "operator command"})
        click.echo(f"{run.bill_date}: {run.status} {run.error}".rstrip())
        for diff in ReconciliationDiff.select().where(ReconciliationDiff.run == run.id).order_by(ReconciliationDiff.id):
            click.echo(f"  #{diff.id} {diff.kind} {diff.out_trade_no} {diff.out_refund_no} ours={diff.our_fen} "
                       f"bill={diff.bill_fen} {diff.status}")


ENGLISH = {"seat_in_use": "seats in use (learning started or certificate issued): use --override",
           "refund_limit": "this payment already has 50 refunds, WeChat's limit: batch seats into one refund",
           "conflict": "order not refundable, or seats already refunded/refunding",
           "invalid_input": "seats not in this order, or no reason given",
           "pay_unavailable": "WeChat Pay unreachable: retried by the settle-processing-refunds job",
           "pay_refused": "WeChat Pay refused the refund"}


def _english(err):
    detail = f" {err.data}" if err.data else ""
    return ENGLISH.get(err.code, err.code) + detail
