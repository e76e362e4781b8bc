"""What a learner (and the API) sees of the years open to back-fill and of an application."""
from app.backfill import holidays, links, service
from app.backfill.models import BackfillApplication
from app.learning.catalog import owned_project_ids


def application_view(application, viewer_id):
    images = service.images_of(application)
    return {"id": application.id, "project_id": application.project_id, "kind": application.kind,
            "kind_text": service.KIND_TEXT[application.kind], "state": application.state,
            "state_text": service.STATE_TEXT[application.state], "order_no": application.order_no,
            "payer": application.payer, "paid_on": application.paid_on.isoformat() if application.paid_on else None,
            "platform": application.platform, "submitted_at": application.submitted_at.isoformat() + "Z",
            "due_on": application.due_on.isoformat(), "review_days": service.REVIEW_WORKING_DAYS,
            "reason": service.reason_line(application) or None,
            "decided_at": application.decided_at.isoformat() + "Z" if application.decided_at else None,
            "images": [{"id": i.id, "url": links.image_url(i.id, viewer_id), "width": i.width, "height": i.height}
                       for i in images]}


def years_view(user):
    """Every earlier year open to back-fill, with the learner's application (if any) and whether owned."""
    owned = owned_project_ids(user)
    mine = {a.project_id: a for a in BackfillApplication.select().where(BackfillApplication.user == user.id)}
    rows = []
    for project in service.grant_only_projects():
        application = mine.get(project.id)
        rows.append({"project_id": project.id, "year": project.year, "name": project.name,
                     "credit_hours": project.credit_hours, "owned": project.id in owned,
                     "can_apply": project.id not in owned and (application is None or application.state == "rejected"),
                     "application": application_view(application, user.id) if application else None})
    return rows


def expected_due():
    """The review date a new application would get today, and whether the table knows that year."""
    due = service.review_due(None)
    return due, holidays.working_days_known(due.year)
