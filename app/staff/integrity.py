"""Suspicious learning: learners ranked by refused and clamped heartbeats and failed questions."""
from peewee import Case, fn

from app.accounts.models import User
from app.learning.models import LearningEvent
from app.staff.person_page import CLAMPED, FAILED, REFUSED


def _count(reasons):
    return fn.SUM(Case(None, [(LearningEvent.reason.in_(reasons), 1)], 0))


REFUSED_N, CLAMPED_N, FAILED_N = _count(REFUSED), _count(CLAMPED), _count(FAILED)
# Refused heartbeats weigh most (a forged or replayed request), then failed questions, then clamps.
SCORE = REFUSED_N * 3 + FAILED_N * 2 + CLAMPED_N
SORTS = {"score": SCORE, "refused": REFUSED_N, "clamped": CLAMPED_N, "failed": FAILED_N}


def _period(q, since, until):
    if since:
        q = q.where(LearningEvent.created_at >= since)
    if until:
        q = q.where(LearningEvent.created_at < until)
    return q


def ranked_count(since=None, until=None):
    """How many learners the ranking lists (counted without aggregating their events)."""
    q = LearningEvent.select(fn.COUNT(LearningEvent.user.distinct())).where(
        LearningEvent.reason.in_(REFUSED + CLAMPED + FAILED))
    return _period(q, since, until).scalar() or 0


def ranking(since=None, until=None):
    """One row per learner with events in the period: counts and a score (a query the table pages)."""
    q = (LearningEvent.select(LearningEvent.user, User.id, User.name, REFUSED_N.alias("refused"),
                              CLAMPED_N.alias("clamped"), FAILED_N.alias("failed"), SCORE.alias("score"),
                              fn.MAX(LearningEvent.created_at).alias("last_at"))
         .join(User, on=(LearningEvent.user == User.id))
         .where(LearningEvent.reason.in_(REFUSED + CLAMPED + FAILED)))
    return _period(q, since, until).group_by(LearningEvent.user, User.id, User.name)


def events(user_id, reason=""):
    """One learner's events, for the drill-down (a query the table pages)."""
    q = LearningEvent.select().where(LearningEvent.user == user_id)
    if reason:
        q = q.where(LearningEvent.reason == reason)
    return q
