"""Playback sessions and heartbeats (R-10, R-12); the anti-idle questions are in prompts.py (R-11).

Credit comes from the server's clock: a heartbeat earns at most the position advanced, at most the real
time since the previous one plus a small tolerance, and a session never more than the real time since it
began (heartbeat.lua keeps the exact rules); only inside the chapter, only for the learner's single
active session, only while the learner holds the plan (revoke.py ends the sessions of a plan the
learner loses), and nothing while a question is open. The decision is one Lua call in Redis;
app/learning/flush.py folds the result into the database in batches, so a heartbeat writes nothing to
the database (except, once, the completion of a chapter).
"""
import functools
import json
import random
import secrets
from pathlib import Path

from flask import current_app

from app.accounts import policy
from app.content.media import chapter_link
from app.db import utcnow
from app.errors import ApiError
from app.learning import prompts
from app.learning.flush import flush_and_announce
from app.learning.keys import KEY_TTL, keys, raw_redis, script
from app.learning.keys import now_ms as clock_ms
from app.learning.models import Chapter, ChapterProgress, Course, Enrollment, Question
from app.redis_client import get_redis

LUA = (Path(__file__).parent / "heartbeat.lua").read_text()
SESSION_TTL = 6 * 3600


def settings():
    cfg = current_app.config
    return {"interval": cfg["LEARNING_HEARTBEAT_SECONDS"], "tolerance_ms": cfg["LEARNING_TOLERANCE_MS"],
            "max_gap_ms": cfg["LEARNING_MAX_GAP_SECONDS"] * 1000, "done_tolerance": cfg["LEARNING_COMPLETE_TOLERANCE"],
            "events_per_learner": cfg["LEARNING_EVENTS_PER_LEARNER"],
            "events_window": cfg["LEARNING_EVENTS_WINDOW_SECONDS"]}


def owned_chapter(user, chapter_id):
    """The chapter, if the learner owns its plan; 404 otherwise (never reveal other plans' content)."""
    chapter = Chapter.get_or_none(Chapter.id == chapter_id)
    if chapter is None:
        raise ApiError("章节不存在", status=404)
    course = Course.get_by_id(chapter.course_id)
    if course.published_at is None:
        raise ApiError("章节不存在", status=404)
    if not _enrolled(user.id, course.project_id):
        raise ApiError("请先购买该培训项目后再学习", code="not_enrolled", status=403)
    return chapter, course


def _enrolled(uid, project_id):
    return Enrollment.select().where(Enrollment.user == uid, Enrollment.project == project_id,
                                     Enrollment.status == "active").exists()


# Ends the learner's current session if it belongs to this plan (or does not say: made before sessions
# recorded their plan). KEYS: 1 the learner's active-session key. ARGV: 1 project id, 2 why.
# Returns the session id ended, or false.
END_LUA = """
local sid = redis.call('GET', KEYS[1])
if not sid then return false end
local s = 'learn:s:' .. sid
local project = redis.call('HGET', s, 'project')
if project and project ~= ARGV[1] then return false end
redis.call('HSET', s, 'state', 'ended', 'ended_by', ARGV[2])
return sid
"""


def end_sessions(uid, project_id, why):
    """Stop the learner's sessions of this plan from earning: the heartbeat script then answers "ended".

    Only the learner's current session can earn (older ones were taken over), so ending it is enough.
    """
    return script("end", END_LUA)(keys=[f"learn:active:{uid}"], args=[project_id, why])


def start_session(user, chapter_id, device=""):
    """A new session for this chapter; any older session of the learner, on any device, stops earning."""
    chapter, course = owned_chapter(user, chapter_id)
    prompts.check_cooldown(user.id)
    k = keys(user.id, chapter.id)
    progress = ChapterProgress.get_or_none(ChapterProgress.user == user.id, ChapterProgress.chapter == chapter.id)
    if progress is not None and progress.coverage:
        _restore_coverage(k["coverage"], bytes(progress.coverage))
    Enrollment.update(started_at=utcnow()).where(Enrollment.user == user.id, Enrollment.project == course.project_id,
                                                 Enrollment.started_at.is_null()).execute()
    sid = secrets.token_urlsafe(18)
    cfg = settings()
    now = clock_ms()
    live = raw_redis().get(k["position"])  # newer than the database's by up to one flush interval
    last = int(live) if live is not None else (progress.last_position if progress else 0)
    resume = 0 if progress and progress.completed_at else min(last, chapter.duration_seconds)
    questions = _question_order(course)
    r = get_redis()
    prompt = prompts.carried_prompt(user.id, questions)
    state = {"uid": user.id, "chapter": chapter.id, "project": course.project_id,
             "duration": chapter.duration_seconds, "last_seq": 0, "last_ts": now, "last_pos": resume * 1000,
             "credited": 0, "started": now, "state": "active",
             "device": device[:40], "bank": -cfg["tolerance_ms"], "playing": 0, "run_from": -1, "run_to": -1,
             **prompt}
    pipe = r.pipeline()
    pipe.hset(f"learn:s:{sid}", mapping=state)
    pipe.expire(f"learn:s:{sid}", SESSION_TTL)
    pipe.set(k["active"], sid, ex=SESSION_TTL)
    pipe.execute()
    # A refund committed while this session was being made found no session to end: look again now that
    # it exists (revoke.py revokes first, then ends the sessions).
    if not _enrolled(user.id, course.project_id):
        end_sessions(user.id, course.project_id, "revoked")
        raise ApiError("请先购买该培训项目后再学习", code="not_enrolled", status=403)
    return {"session_id": sid, "chapter_id": chapter.id, "duration": chapter.duration_seconds,
            "video_url": chapter_link(chapter, user.id), "resume_position": resume,
            "heartbeat_seconds": cfg["interval"],
            "watched_seconds": covered_seconds(user.id, chapter.id),
            "complete": bool(progress and progress.completed_at)}


def _question_order(course):
    """Course questions first, else the project's bank, in a random order."""
    rows = list(Question.select(Question.id).where(Question.course == course.id))
    if not rows:
        rows = list(Question.select(Question.id).where(Question.project == course.project_id,
                                                       Question.course.is_null()))
    ids = [q.id for q in rows]
    random.SystemRandom().shuffle(ids)
    return ids


def _restore_coverage(key, bitmap):
    """Redis may have lost the key (restart, FLUSHDB) or come back from an older snapshot: OR in what the
    database holds, so that nothing it has is ever missing from Redis."""
    scratch = f"{key}:restore:{secrets.token_hex(4)}"
    pipe = raw_redis().pipeline()
    pipe.set(scratch, bitmap, ex=60)
    pipe.bitop("OR", key, key, scratch)
    pipe.delete(scratch)
    pipe.expire(key, KEY_TTL)
    pipe.execute()


def covered_seconds(uid, chapter_id):
    return raw_redis().bitcount(keys(uid, chapter_id)["coverage"])


def heartbeat_source():
    """heartbeat.lua with this app's settings written before it (they are the same on every call, so they are
    not sent with each one)."""
    cfg = current_app.config
    values = (cfg["LEARNING_TOLERANCE_MS"], cfg["LEARNING_MAX_GAP_SECONDS"] * 1000, cfg["LEARNING_COMPLETE_TOLERANCE"],
              cfg["LEARNING_HEARTBEAT_SECONDS"] * 1000, KEY_TTL, cfg["LEARNING_EVENTS_PER_LEARNER"],
              cfg["LEARNING_EVENTS_WINDOW_SECONDS"])
    listed = ", ".join(str(int(v)) for v in values)
    return f"local tol, max_gap, done_tol, interval, ttl, events_max, events_window = {listed}\n{LUA}"


def heartbeat_script():
    """The app's held heartbeat script (heartbeat_source(), made once per app)."""
    return script("heartbeat", heartbeat_source)


def heartbeat_call(uid, data, now, credential_key="", version=""):
    """The keys and arguments of heartbeat.lua for one heartbeat: of learner `uid`, checked by the caller, or
    of the learner heartbeat.lua finds behind `credential_key` (a bearer token's or a browser session's; uid "")
    or checks against `version`."""
    return ([], [now, data.session_id, uid, data.chapter_id, data.seq, int(data.position * 1000),
                 1 if data.playing else 0, credential_key, version])


def heartbeat(identity, data, now_ms=None):
    """Credit one heartbeat (one Lua call, which also checks the credentials when this worker has not lately:
    `identity` is policy.heartbeat_identity()'s) and record a chapter it completes. Returns heartbeat.lua's
    reply: [status, credited ms, covered s, newly complete, reason, question id, position ms, uid];
    answer() and plain_answer() say it to the player."""
    uid, credential_key, version = identity
    now = now_ms if now_ms is not None else clock_ms()
    lua = heartbeat_script()
    reply = lua(*heartbeat_call(uid, data, now, credential_key, version))
    if reply[0] == "version_unknown":  # the account's version is not cached: read it, then ask again
        uid, version = int(reply[1]), reply[2]
        if policy.session_version_of(uid) != version:
            raise ApiError("请先登录", status=401)
        reply = [*lua(*heartbeat_call(uid, data, now))[:8], version]
    if reply[0] == "unauthorized":
        raise ApiError("请先登录", status=401)
    checked = reply.pop()
    if checked:  # heartbeat.lua checked the credentials: this worker remembers them for a few seconds
        policy.remember_identity(int(reply[7]), checked, credential_key)
    if reply[3]:
        record_completion(int(reply[7]), data.chapter_id)  # once per chapter: never lose a completed chapter
    return reply


def answer(reply):
    """What the player needs to know of heartbeat()'s reply."""
    status, credit, covered, newly, reason, qid, at, _ = reply
    said = {"status": status, "credited_seconds": round(int(credit) / 1000, 3), "watched_seconds": int(covered),
            "reason": reason or None, "complete": bool(int(newly))}
    if status == "ask":
        said["question"] = prompts.public_question(int(qid))
        # The player goes back to the start of the second before the one the question opened at: what it
        # played while the question was open is watched again, and the credited run goes on without a seam.
        said["resume_position"] = max(0, int(at) // 1000 - 1)
    elif status in MESSAGES:
        said["message"] = MESSAGES[status]
    return said


MESSAGES = {"taken_over": "您已在其他设备或页面开始学习，本页面已停止计时", "ended": "本次学习已结束，请重新开始播放"}
# The answer most heartbeats get (status, credit, coverage, reason, completion: nothing else), as ok() would
# encode answer()'s dict (the same keys in the same order, compact, the same numbers): formatted directly, as
# Flask's general encoder cost more than the rest of the heartbeat.
PLAIN_ANSWER = ('{"code":"ok","data":{"complete":%s,"credited_seconds":%r,"reason":%s,"status":%s,'
                '"watched_seconds":%d},"message":"ok"}\n')


@functools.lru_cache(maxsize=64)
def _json_text(value):
    """A short text from heartbeat.lua (a status or reason) as JSON; None as null."""
    return json.dumps(value)


def plain_answer(reply):
    """The envelope of answer(reply) as JSON text when it is the plain one, else None (ok() encodes it)."""
    status, credit, covered, newly, reason = reply[:5]
    if status == "ask" or status in MESSAGES:
        return None
    return PLAIN_ANSWER % ("true" if int(newly) else "false", round(int(credit) / 1000, 3),
                           _json_text(reason or None), _json_text(status), int(covered))


def record_completion(uid, chapter_id):
    """Persist a chapter's completion right away (one write per chapter, not per heartbeat)."""
    flush_and_announce(uid, chapter_id)
