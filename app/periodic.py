"""Periodic jobs, registered with the clock (app/jobs/clock.py)."""
import datetime

from app.accounts.models import AuthEvent
from app.db import utcnow
from app.jobs.clock import periodic

AUTH_EVENT_RETENTION_DAYS = 180


@periodic("prune-auth-events", 24 * 3600)
def prune_auth_events():
    """Keep the auth event log for 180 days only (data minimisation)."""
    cutoff = utcnow() - datetime.timedelta(days=AUTH_EVENT_RETENTION_DAYS)
    return AuthEvent.delete().where(AuthEvent.created_at < cutoff).execute()
