"""The console's 补学审核 section (reviewer): the queue by waiting time with each review's working-day
deadline, an application with its images side by side, approve or reject with a reason (audited)."""
import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for

from app.accounts.models import User
from app.accounts.policy import current_user
from app.accounts.service import id_number_of
from app.backfill import holidays, links, service
from app.backfill.models import BackfillApplication, BackfillDecision
from app.db import china_date
from app.errors import ApiError
from app.learning.models import Project
from app.masking import mask_id
from app.staff import audit
from app.staff.frame import register_section, staff_required
from app.staff.tables import paginate

log = logging.getLogger(__name__)
bp = Blueprint("backfill_staff", __name__, url_prefix="/staff/backfill")
ROLES = ("reviewer",)
STATES = [("pending", "待审核"), ("approved", "已通过"), ("rejected", "未通过"), ("", "全部")]
ACTIONS = {"approve": "通过", "reject": "不通过"}

register_section("backfill", "补学审核", "backfill_staff.queue", ROLES, order=35)
audit.register_action("backfill.approve", "通过补学申请")
audit.register_action("backfill.reject", "驳回补学申请")


def table_warning(*days):
    """A warning for staff when the working-day table lacks a year it was asked about (also logged)."""
    missing = holidays.missing_years(china_date(), *days)
    if not missing:
        return ""
    log.warning("working-day table lacks %s: review deadlines counted Monday-Friday", missing)
    years = "、".join(str(y) for y in missing)
    return f"工作日表缺少 {years} 年的法定节假日安排，审核期限暂按周一至周五计算。请更新 app/backfill/holidays.py。"


@bp.route("/")
@staff_required(*ROLES)
def queue():
    """Applications, longest waiting first; each with its deadline and whether it is overdue."""
    args = {"state": request.args.get("state", "pending")[:10]}
    query = (BackfillApplication.select(BackfillApplication, Project, User).join(Project)
             .switch(BackfillApplication).join(User, on=(BackfillApplication.user == User.id)))
    if args["state"]:
        query = query.where(BackfillApplication.state == args["state"])
    page = paginate(query, {"submitted": BackfillApplication.submitted_at, "due": BackfillApplication.due_on,
                            "year": Project.year}, "submitted", args=args)
    today = china_date()
    keys = {a.order_key for a in page.items if a.order_key}
    shared = set()
    if keys:
        rows = (BackfillApplication.select(BackfillApplication.order_key, BackfillApplication.user)
                .where(BackfillApplication.order_key.in_(keys)).distinct())
        seen = {}
        for row in rows:
            seen.setdefault(row.order_key, set()).add(row.user_id)
        shared = {k for k, users in seen.items() if len(users) > 1}
    waited = {a.id: holidays.working_days_between(china_date(a.submitted_at), today) for a in page.items}
    return render_template("backfill/staff_queue.html", page=page, args=args, states=STATES, today=today,
                           waited=waited, shared=shared, kind_text=service.KIND_TEXT,
                           state_text=service.STATE_TEXT, warning=table_warning(*(a.due_on for a in page.items)),
                           active_section="backfill")


def _application(application_id):
    application = BackfillApplication.get_or_none(BackfillApplication.id == application_id)
    if application is None:
        raise ApiError("申请不存在", status=404)
    return application


def _render(application, status=200, **extra):
    viewer = current_user()
    applicant = User.get_by_id(application.user_id)
    images = [{"url": links.image_url(i.id, viewer.id), "width": i.width, "height": i.height,
               "source": i.source} for i in service.images_of(application)]
    others = [(o, User.get_by_id(o.user_id), Project.get_by_id(o.project_id))
              for o in service.same_order_elsewhere(application)]
    decisions = list(BackfillDecision.select().where(BackfillDecision.application == application.id)
                     .order_by(BackfillDecision.id))
    return render_template("backfill/staff_application.html", application=application, applicant=applicant,
                           applicant_id=mask_id(id_number_of(applicant)), images=images, others=others,
                           project=Project.get_by_id(application.project_id), decisions=decisions,
                           reasons=service.REASONS, kind_text=service.KIND_TEXT, state_text=service.STATE_TEXT,
                           actions=ACTIONS, warning=table_warning(application.due_on), active_section="backfill",
                           **extra), status


@bp.route("/<int:application_id>")
@staff_required(*ROLES)
def application(application_id):
    return _render(_application(application_id))


@bp.route("/<int:application_id>/<any(approve, reject):action>", methods=["POST"])
@staff_required(*ROLES)
def act(application_id, action):
    """First post: the confirmation saying what will happen; the confirmed post decides and is audited."""
    application = _application(application_id)
    code, text = request.form.get("reason_code", ""), request.form.get("reason", "")
    error = None
    if request.form.get("confirmed") == "1":
        before = {"state": application.state}
        try:
            done = service.decide(application.id, current_user(), action == "approve", code, text)
            audit.record(f"backfill.{action}", "backfill_application", application.id, before=before,
                         after={"state": done.state},
                         detail={"year": Project.get_by_id(done.project_id).year, "kind": done.kind,
                                 "reason": service.reason_line(done)})
            flash(f"已{ACTIONS[action]}：{User.get_by_id(done.user_id).name}")
            return redirect(url_for("backfill_staff.application", application_id=application.id))
        except ApiError as err:
            error = err
    return _render(application, error.status if error else 200, confirm_action=action, reason_code=code,
                   reason=text, error=error)
