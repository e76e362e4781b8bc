"""Console section "对账" (/staff/reconciliation): daily runs against WeChat Pay's trade bill, their
differences, and settling a difference by querying WeChat Pay (audited). Finance and administrators."""
import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from peewee import fn

from app.accounts.policy import current_user
from app.errors import ApiError
from app.finance import order_list, reconcile
from app.finance.models import DIFF_KINDS, DIFF_STATES, ReconciliationDiff, ReconciliationRun
from app.finance.settle_diffs import NotSettleable, settle_diff
from app.pay import gateway
from app.staff import audit
from app.staff.frame import register_section, staff_required
from app.staff.tables import paginate

bp = Blueprint("staff_reconciliation", __name__, url_prefix="/staff/reconciliation")
register_section("reconciliation", "对账", "staff_reconciliation.runs_page", ("finance",), order=310)
audit.register_action("reconcile.run", "对账")
audit.register_action("reconcile.settle", "核对差异")
RUN_STATES = {"pending": "账单未生成", "matched": "一致", "differences": "有差异", "settled": "差异已处理",
              "failed": "失败"}
SORTS = {"date": ReconciliationRun.bill_date}
RECORD_STATES = {**order_list.STATES, **order_list.REFUND_STATES, "unknown": "无此订单"}


def _render_runs(error=None, day="", status=200):
    page = paginate(ReconciliationRun.select(), SORTS, "date", True)
    open_counts = {r.run_id: r.n for r in ReconciliationDiff.select(
        ReconciliationDiff.run, fn.COUNT(ReconciliationDiff.id).alias("n")).where(
        ReconciliationDiff.status.in_(reconcile.UNSETTLED)).group_by(ReconciliationDiff.run)}
    default_day = (reconcile.china_today() - datetime.timedelta(days=1)).isoformat()
    return render_template("finance/reconciliation.html", page=page, open_counts=open_counts, states=RUN_STATES,
                           day=day or default_day, error=error, active_section="reconciliation"), status


@bp.route("")
@staff_required("finance")
def runs_page():
    return _render_runs()


@bp.route("/run", methods=["POST"])
@staff_required("finance")
def run():
    text = (request.form.get("day") or "").strip()[:10]
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        err = ApiError("请输入有效日期（年-月-日）", status=422, data={"fields": {"day": "日期格式应为 年-月-日"}})
        return _render_runs(err, text, 422)
    if day >= reconcile.china_today():
        return _render_runs(ApiError("只能对今天以前的日期对账（微信支付次日 9 点后生成账单）", status=422), text, 422)
    result = reconcile.run_day(day)
    audit.record("reconcile.run", "bill_date", day.isoformat(), None, {"status": result.status})
    note = f"（{result.error}）" if result.error else ""
    flash(f"{day} 对账完成：{RUN_STATES.get(result.status, result.status)}{note}")
    return redirect(url_for("staff_reconciliation.day_page", day=day.isoformat()))


@bp.route("/<day>")
@staff_required("finance")
def day_page(day):
    run_row = ReconciliationRun.get_or_none(ReconciliationRun.bill_date == _date(day))
    if run_row is None:
        return _render_runs(ApiError(f"{day[:10]} 还没有对账记录，可在下方发起对账", status=404), day[:10], 404)
    diffs = list(ReconciliationDiff.select().where(ReconciliationDiff.run == run_row.id)
                 .order_by(ReconciliationDiff.id))
    return render_template("finance/reconciliation_day.html", run=run_row, diffs=diffs, kinds=DIFF_KINDS,
                           diff_states=DIFF_STATES, states=RUN_STATES, records=RECORD_STATES,
                           unsettled=reconcile.UNSETTLED,
                           active_section="reconciliation")


def _date(text):
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        return None


@bp.route("/differences/<int:diff_id>/settle", methods=["POST"])
@staff_required("finance")
def settle(diff_id):
    diff = ReconciliationDiff.get_or_none(ReconciliationDiff.id == diff_id)
    if diff is None:
        return _render_runs(ApiError("没有这条差异记录", status=404), status=404)
    day = diff.run.bill_date.isoformat()
    try:
        before, after = settle_diff(diff, current_user())
    except NotSettleable as exc:
        flash(str(exc), "error")
    except gateway.Unavailable:
        flash("微信支付暂时无法查询，请稍后再试", "error")
    else:
        audit.record("reconcile.settle", "order", diff.out_trade_no, before, after,
                     {"bill_date": day, "kind": diff.kind, "out_refund_no": diff.out_refund_no})
        flash(f"{diff.out_trade_no}：{after['resolution']}", "ok" if after["status"] == "settled" else "error")
    return redirect(url_for("staff_reconciliation.day_page", day=day))
