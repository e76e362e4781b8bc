"""Periodic jobs, registered with the clock (app/jobs/clock.py)."""
import datetime

from app.accounts.models import AuthEvent
from app.db import utcnow
from app.jobs.clock import periodic
from app.pay import refunds, settle

AUTH_EVENT_RETENTION_DAYS = 180


@periodic("prune-auth-events", 24 * 3600)
def prune_auth_events():
    """Keep the auth event log for 180 days only (data minimisation)."""
    cutoff = utcnow() - datetime.timedelta(days=AUTH_EVENT_RETENTION_DAYS)
    return AuthEvent.delete().where(AuthEvent.created_at < cutoff).execute()


periodic("settle-pending-orders", 60)(settle.settle_pending_orders)  # no notification after a minute: query
periodic("close-expired-orders", 60)(settle.close_expired_orders)  # past expires_at: query, else close
periodic("settle-processing-refunds", 60)(refunds.settle_processing_refunds)  # refunds still processing: query


@periodic("learning-flush", lambda cfg: cfg["LEARNING_FLUSH_SECONDS"])
def flush_learning():
    """Fold heartbeats from Redis into the database (at most this interval of watching is at risk)."""
    from app.learning.flush import flush_dirty

    return flush_dirty()


@periodic("reconcile-trade-bill", 3600)
def reconcile_trade_bill():
    """Hourly: once yesterday's WeChat Pay bill exists (from 10:00 China time), reconcile that day once."""
    from app.finance.reconcile import reconcile_yesterday

    return reconcile_yesterday()


@periodic("backfill-purge-uploads", 24 * 3600)
def purge_backfill_uploads():
    """补学 images uploaded but never sent with an application go after a week (nothing kept without need)."""
    from app.backfill.service import purge_abandoned

    return purge_abandoned()


@periodic("durable-jobs-sweep", lambda cfg: cfg["DURABLE_SWEEP_SECONDS"])
def sweep_durable_jobs():
    """Queue again the durable jobs (after-paid, messages) that are not done a grace period after queuing."""
    from app.jobs.durable import sweep

    return sweep()


@periodic("invoice-sweep", 60)
def invoice_sweep():
    """Re-enqueue invoices stuck pending/failed; query those whose WeChat callback never came."""
    from app.invoices.service import sweep

    return sweep()


@periodic("video-sweep", 60)
def video_sweep():
    """Queue again the chapter videos whose transcoding job went silent (its worker died)."""
    from app.content.video import sweep_stalled

    return sweep_stalled()
