"""H5 pages: my units (apply to act for a unit, or register a new one; withdraw), the unit that bought my seat."""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from app.accounts.policy import current_user, page
from app.certs import districts
from app.errors import ApiError
from app.units import api, service

bp = Blueprint("units_pages", __name__)


@bp.route("/units", methods=["GET", "POST"], endpoint="mine")
@page()
def mine():
    """My units: the application form, my applications and their state, the units that bought my seats."""
    error = None
    if request.method == "POST":
        form = request.form
        try:
            service.apply(current_user(), form.get("credit_code"), form.get("email"), form.get("name") or None,
                          form.get("district_code") or None)
            flash("申请已提交，请等待平台审核（一般 1 至 3 个工作日）")
            return redirect(url_for("units_pages.mine"))
        except ApiError as err:
            if err.status not in (409, 422):
                raise
            error = err
    return render_template("units/mine.html", data=api.mine(current_user()), districts=districts.DISTRICTS,
                           error=error, form=request.form if error else {}), (error.status if error else 200)


@bp.route("/units/applications/<int:contact_id>/withdraw", methods=["POST"], endpoint="withdraw")
@page()
def withdraw(contact_id):
    try:
        service.withdraw(contact_id, current_user(), request.form.get("reason") or "本人撤销")
        flash("已撤销")
    except ApiError as err:
        flash(err.message)
    return redirect(url_for("units_pages.mine"))
