"""Playback sessions, heartbeats and anti-idle prompts (R-10, R-11, R-12).

Credit comes from the server's clock: a heartbeat earns at most the position advanced, at most the real
time since the previous one plus a small tolerance, and a session never more than the real time since it
began (heartbeat.lua keeps the exact rules); only inside the chapter, only for the learner's single
active session, and nothing while a question is open. Questions follow the learner, not the session.
The decision is one Lua call in Redis; app/learning/flush.py folds the result into the database in
batches, so a heartbeat writes nothing to the database (except, once, the completion of a chapter).
"""
import json
import random
import secrets
import time
from pathlib import Path

from flask import current_app

from app.db import utcnow
from app.errors import ApiError
from app.learning.flush import flush_and_announce
from app.learning.keys import EVENTS_KEY, KEY_TTL, keys, raw_redis
from app.learning.models import Chapter, ChapterProgress, Course, Enrollment, Question
from app.redis_client import get_redis

LUA = (Path(__file__).parent / "heartbeat.lua").read_text()
SESSION_TTL = 6 * 3600

# Answering the open question, atomically: of answers sent at once for the same question, one is judged
# (the others find the question gone), so parallel guesses cannot try every option.
# KEYS: 1 session hash. ARGV: 1 uid, 2 question id, 3 correct (0/1), 4 now_ms, 5 ms of credit until the
# next question, 6 attempts allowed, 7 tolerance_ms. Returns {outcome, attempts, next question id, chapter}.
ANSWER_LUA = """
local h = redis.call('HMGET', KEYS[1], 'uid', 'state', 'prompt_qid', 'attempts', 'questions', 'credited', 'chapter')
if not h[1] or h[1] ~= ARGV[1] or h[2] ~= 'active' then return {'ended', 0, '', ''} end
if h[3] ~= ARGV[2] then return {'stale', 0, '', h[7]} end
-- The time spent on the question does not count: crediting starts afresh from now. After a right answer
-- the bank starts at 0 rather than -tolerance, and `playing` is left as the last heartbeat said: the
-- player's pause heartbeat, sent when the question appeared, may arrive after the answer with the last
-- few hundred ms watched before the pause, and browsers report a resumed position a little past the
-- one they reported on pause.
local restart = {'last_ts', ARGV[4], 'bank', -tonumber(ARGV[7]), 'playing', 0}
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[1], 'prompt_qid', '', 'attempts', 0, 'prompt_at', tonumber(h[6]) + tonumber(ARGV[5]),
             'last_ts', ARGV[4], 'bank', 0)
  return {'passed', 0, '', h[7]}
end
local attempts = (tonumber(h[4]) or 0) + 1
if attempts >= tonumber(ARGV[6]) then
  redis.call('HSET', KEYS[1], 'state', 'ended', 'ended_by', 'prompt', 'prompt_qid', '', 'attempts', attempts)
  return {'failed', attempts, '', h[7]}
end
local queue, nxt = {}, nil
for q in string.gmatch(h[5] or '', '[^,]+') do
  if nxt == nil and q ~= ARGV[2] then nxt = q else table.insert(queue, q) end
end
if nxt == nil then nxt = ARGV[2] else table.insert(queue, nxt) end
redis.call('HSET', KEYS[1], 'prompt_qid', nxt, 'attempts', attempts, 'questions', table.concat(queue, ','),
           unpack(restart))
return {'wrong', attempts, nxt, h[7]}
"""


def settings():
    cfg = current_app.config
    return {"interval": cfg["LEARNING_HEARTBEAT_SECONDS"], "tolerance_ms": cfg["LEARNING_TOLERANCE_MS"],
            "max_gap_ms": cfg["LEARNING_MAX_GAP_SECONDS"] * 1000, "done_tolerance": cfg["LEARNING_COMPLETE_TOLERANCE"],
            "prompt_min": cfg["LEARNING_PROMPT_MIN_SECONDS"], "prompt_max": cfg["LEARNING_PROMPT_MAX_SECONDS"],
            "attempts": cfg["LEARNING_PROMPT_ATTEMPTS"]}


def _script(name, source):
    """A Lua script registered once per app (EVALSHA, falling back to EVAL after a Redis restart)."""
    scripts = current_app.extensions.setdefault("learning_scripts", {})
    if name not in scripts:
        scripts[name] = get_redis().register_script(source)
    return scripts[name]


def owned_chapter(user, chapter_id):
    """The chapter, if the learner owns its plan; 404 otherwise (never reveal other plans' content)."""
    chapter = Chapter.get_or_none(Chapter.id == chapter_id)
    if chapter is None:
        raise ApiError("章节不存在", status=404)
    course = Course.get_by_id(chapter.course_id)
    owns = Enrollment.select().where(Enrollment.user == user.id, Enrollment.project == course.project_id,
                                     Enrollment.status == "active").exists()
    if not owns:
        raise ApiError("请先购买该培训项目后再学习", code="not_enrolled", status=403)
    return chapter, course


def start_session(user, chapter_id, device=""):
    """A new session for this chapter; any older session of the learner, on any device, stops earning."""
    chapter, course = owned_chapter(user, chapter_id)
    k = keys(user.id, chapter.id)
    progress = ChapterProgress.get_or_none(ChapterProgress.user == user.id, ChapterProgress.chapter == chapter.id)
    if progress is not None and progress.coverage:
        _restore_coverage(k["coverage"], bytes(progress.coverage))
    Enrollment.update(started_at=utcnow()).where(Enrollment.user == user.id, Enrollment.project == course.project_id,
                                                 Enrollment.started_at.is_null()).execute()
    sid = secrets.token_urlsafe(18)
    cfg = settings()
    now = int(time.time() * 1000)
    live = raw_redis().get(k["position"])  # newer than the database's by up to one flush interval
    last = int(live) if live is not None else (progress.last_position if progress else 0)
    resume = 0 if progress and progress.completed_at else min(last, chapter.duration_seconds)
    questions = _question_order(course)
    r = get_redis()
    prompt = _carried_prompt(r, user.id, questions, cfg)
    state = {"uid": user.id, "chapter": chapter.id, "duration": chapter.duration_seconds, "last_seq": 0,
             "last_ts": now, "last_pos": resume * 1000, "credited": 0, "started": now, "state": "active",
             "device": device[:40], "bank": -cfg["tolerance_ms"], "playing": 0, "run_from": -1, "run_to": -1,
             **prompt}
    pipe = r.pipeline()
    pipe.hset(f"learn:s:{sid}", mapping=state)
    pipe.expire(f"learn:s:{sid}", SESSION_TTL)
    pipe.set(k["active"], sid, ex=SESSION_TTL)
    pipe.execute()
    return {"session_id": sid, "chapter_id": chapter.id, "duration": chapter.duration_seconds,
            "video_url": chapter.video_url, "resume_position": resume, "heartbeat_seconds": cfg["interval"],
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


def _carried_prompt(r, uid, questions, cfg):
    """The anti-idle schedule belongs to the learner, not to a session: a new session (any chapter, any
    device) keeps an open question open, owes a question after one was failed, and keeps counting
    towards the next question instead of starting the count again."""
    fresh = {"prompt_qid": "", "attempts": 0, "questions": ",".join(map(str, questions)),
             "prompt_at": _next_prompt(0, cfg) if questions else 0}
    previous = r.get(f"learn:active:{uid}")
    old = r.hgetall(f"learn:s:{previous}") if previous else {}
    if not old:
        return fresh
    open_qid = old.get("prompt_qid") or ""
    if open_qid or old.get("ended_by") == "prompt":
        ids = [str(q) for q in questions]
        qid = open_qid if open_qid and (open_qid in ids or not ids) else (ids[0] if ids else "")
        if not qid:
            return fresh
        queue = [q for q in ids if q != qid] + [qid] if ids else []
        return {"prompt_qid": qid, "attempts": int(old.get("attempts") or 0) if open_qid else 0,
                "questions": ",".join(queue), "prompt_at": 0}
    due = int(old.get("prompt_at") or 0)
    if questions and due > 0:
        return {**fresh, "prompt_at": max(1, due - int(old.get("credited") or 0))}
    return fresh


def _next_prompt(credited_ms, cfg):
    return credited_ms + random.SystemRandom().randint(cfg["prompt_min"], cfg["prompt_max"]) * 1000


def covered_seconds(uid, chapter_id):
    return raw_redis().bitcount(keys(uid, chapter_id)["coverage"])


def heartbeat_call(uid, data, now):
    """The keys and arguments of heartbeat.lua for one heartbeat."""
    cfg = settings()
    k = keys(uid, data.chapter_id, data.session_id)
    return ([k["session"], k["active"], k["coverage"], k["dirty"], k["events"], k["position"], k["done"]],
            [now, data.session_id, uid, data.chapter_id, data.seq, int(data.position * 1000), 1 if data.playing else 0,
             cfg["tolerance_ms"], cfg["max_gap_ms"], cfg["done_tolerance"], f"{uid}:{data.chapter_id}",
             cfg["interval"] * 1000, KEY_TTL])


def heartbeat(user, data, now_ms=None):
    """Credit one heartbeat (one Lua call). Returns what the player needs to know."""
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    status, credit, covered, newly, reason, qid = _script("heartbeat", LUA)(*heartbeat_call(user.id, data, now))
    answer = {"status": status, "credited_seconds": round(int(credit) / 1000, 3), "watched_seconds": int(covered),
              "reason": reason or None, "complete": bool(int(newly))}
    if int(newly):
        record_completion(user.id, data.chapter_id)  # once per chapter: never lose a completed chapter
    if status == "ask":
        answer["question"] = public_question(int(qid))
    elif status == "taken_over":
        answer["message"] = "您已在其他设备或页面开始学习，本页面已停止计时"
    elif status == "ended":
        answer["message"] = "本次学习已结束，请重新开始播放"
    return answer


def public_question(question_id):
    """A question as the learner sees it: never the answer."""
    q = Question.get_by_id(question_id)
    return {"id": q.id, "text": q.text, "options": json.loads(q.options)}


def answer_prompt(user, session_id, question_id, choice):
    """Check an answer on the server. Right: crediting resumes. Wrong: a new question, a few times."""
    cfg = settings()
    question = Question.get_or_none(Question.id == question_id)
    correct = question is not None and choice == question.answer
    gap_ms = random.SystemRandom().randint(cfg["prompt_min"], cfg["prompt_max"]) * 1000
    outcome, attempts, next_id, chapter = _script("answer", ANSWER_LUA)(
        keys=[f"learn:s:{session_id}"],
        args=[user.id, question_id, 1 if correct else 0, int(time.time() * 1000), gap_ms, cfg["attempts"],
              cfg["tolerance_ms"]])
    if outcome == "ended":
        raise ApiError("本次学习已结束，请重新开始播放", code="session_ended", status=409)
    if outcome == "stale":
        raise ApiError("该问题已失效，请回答当前问题", status=409)
    if outcome == "passed":
        log_event(user.id, chapter, session_id, "prompt_passed", f"question {question_id}")
        return {"correct": True}
    log_event(user.id, chapter, session_id, "prompt_wrong", f"question {question_id}, try {attempts}")
    if outcome == "failed":
        log_event(user.id, chapter, session_id, "prompt_failed", "too many wrong answers")
        return {"correct": False, "ended": True, "message": "回答错误次数过多，本次学习已结束，请重新开始播放"}
    return {"correct": False, "ended": False, "attempts_left": cfg["attempts"] - attempts,
            "question": public_question(int(next_id))}


def log_event(uid, chapter_id, session_id, reason, detail=""):
    get_redis().rpush(EVENTS_KEY, json.dumps({"uid": str(uid), "chapter": str(chapter_id), "sid": session_id,
                                              "reason": reason, "detail": detail, "at": int(time.time() * 1000)}))


def record_completion(uid, chapter_id):
    """Persist a chapter's completion right away (one write per chapter, not per heartbeat)."""
    flush_and_announce(uid, chapter_id)
