"""Redis keys, scripts and the clock of learning, shared by the heartbeat path (playback.py), the
questions (prompts.py), the flush job (flush.py), the progress views and the revocation of a plan
(revoke.py)."""
import time

from flask import current_app

from app.redis_client import app_script

EVENTS_KEY = "learn:events"
DIRTY_KEY = "learn:dirty"
# Refused heartbeats beyond a learner's share of detailed records, counted per learner, chapter and reason.
EVENT_COUNTS_KEY = "learn:events:more"
# Coverage, last position and completion marker per (learner, chapter) expire when left alone this long:
# the database holds them (flushed every few seconds) and a new session restores the coverage.
KEY_TTL = 7 * 24 * 3600


def keys(uid, chapter_id, sid=""):
    # heartbeat.lua spells the same names (it learns a bearer token's uid only inside the script).
    return {"session": f"learn:s:{sid}", "active": f"learn:active:{uid}", "coverage": f"learn:cov:{uid}:{chapter_id}",
            "dirty": DIRTY_KEY, "events": EVENTS_KEY, "position": f"learn:pos:{uid}:{chapter_id}",
            "done": f"learn:done:{uid}:{chapter_id}"}


def learner_keys(uid):
    """Per learner, across sessions and devices: wrong answers so far, the cool-down after too many,
    and how many detailed refusal records the current window holds."""
    return {"wrong": f"learn:wrong:{uid}", "cooldown": f"learn:cooldown:{uid}", "event_quota": f"learn:evq:{uid}"}


def raw_redis():
    """Redis without response decoding (coverage bitmaps are bytes)."""
    return current_app.extensions["rq_connection"]


def script(name, source):
    """A Lua script registered once per app, run with EVALSHA on a connection each thread keeps (loaded
    again after a Redis restart); `source` may be a function making the text (redis_client.app_script)."""
    return app_script(name, source)


def now_ms():
    """The server's clock, in ms: the only clock learning credits by."""
    return int(time.time() * 1000)
