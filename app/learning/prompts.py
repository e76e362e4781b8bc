"""Anti-idle questions (R-11): when they are asked, how answers are judged, and what too many wrong
answers cost.

Questions follow the learner, not the session: a new session (any chapter, any device) keeps an open
question open and keeps counting towards the next one. An answer is judged only on the learner's
current session (the one heartbeats count for); wrong answers are counted per learner across sessions
and devices, and after LEARNING_PROMPT_ATTEMPTS of them in a row the session ends and the learner waits
LEARNING_PROMPT_COOLDOWN_SECONDS before starting again. No answer is ever sent to the client.
"""
import json
import random

from flask import current_app

from app.errors import ApiError
from app.learning.keys import EVENT_COUNTS_KEY, EVENTS_KEY, learner_keys, now_ms, script
from app.learning.models import Question
from app.redis_client import get_redis

# Answering the open question, atomically: of answers sent at once for the same question, one is judged
# (the others find the question gone), so parallel guesses cannot try every option.
# KEYS: 1 session hash, 2 the learner's active-session key, 3 the learner's wrong-answer count, 4 the
# learner's cool-down. ARGV: 1 uid, 2 question id, 3 correct (0/1), 4 now_ms, 5 ms of credit until the next
# question, 6 attempts allowed, 7 tolerance_ms, 8 session id, 9 cool-down ms.
# Returns {outcome, attempts, next question id, chapter}.
ANSWER_LUA = """
local h = redis.call('HMGET', KEYS[1], 'uid', 'state', 'prompt_qid', 'attempts', 'questions', 'credited', 'chapter')
if not h[1] or h[1] ~= ARGV[1] or h[2] ~= 'active' then return {'ended', 0, '', ''} end
if redis.call('GET', KEYS[2]) ~= ARGV[8] then return {'not_current', 0, '', h[7]} end
if h[3] ~= ARGV[2] then return {'stale', 0, '', h[7]} end
-- The time spent on the question does not count, and a right answer buys none either: crediting starts
-- afresh from now with the bank at -tolerance, as at a session's start, so the next heartbeat earns at
-- most the time since the answer. `playing` is left as the last heartbeat said (a pause heartbeat sent
-- when the question appeared may arrive after the answer).
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[3])
  redis.call('HSET', KEYS[1], 'prompt_qid', '', 'attempts', 0, 'prompt_at', tonumber(h[6]) + tonumber(ARGV[5]),
             'last_ts', ARGV[4], 'bank', -tonumber(ARGV[7]))
  return {'passed', 0, '', h[7]}
end
local attempts = redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], 86400)
if attempts >= tonumber(ARGV[6]) then
  redis.call('DEL', KEYS[3])
  redis.call('SET', KEYS[4], tonumber(ARGV[4]) + tonumber(ARGV[9]), 'EX', math.ceil(tonumber(ARGV[9]) / 1000) + 60)
  redis.call('HSET', KEYS[1], 'state', 'ended', 'ended_by', 'prompt', 'prompt_qid', '', 'attempts', attempts)
  return {'failed', attempts, '', h[7]}
end
local queue, nxt = {}, nil
for q in string.gmatch(h[5] or '', '[^,]+') do
  if nxt == nil and q ~= ARGV[2] then nxt = q else table.insert(queue, q) end
end
if nxt == nil then nxt = ARGV[2] else table.insert(queue, nxt) end
redis.call('HSET', KEYS[1], 'prompt_qid', nxt, 'attempts', attempts, 'questions', table.concat(queue, ','),
           'last_ts', ARGV[4], 'bank', -tonumber(ARGV[7]), 'playing', 0)
return {'wrong', attempts, nxt, h[7]}
"""


def settings():
    cfg = current_app.config
    return {"min": cfg["LEARNING_PROMPT_MIN_SECONDS"], "max": cfg["LEARNING_PROMPT_MAX_SECONDS"],
            "attempts": cfg["LEARNING_PROMPT_ATTEMPTS"], "cooldown": cfg["LEARNING_PROMPT_COOLDOWN_SECONDS"],
            "tolerance_ms": cfg["LEARNING_TOLERANCE_MS"]}


def check_cooldown(uid):
    """Refuse a new session while the learner waits after too many wrong answers."""
    until = get_redis().get(learner_keys(uid)["cooldown"])
    left = (int(until) - now_ms()) if until else 0
    if left > 0:
        minutes = -(-left // 60000)
        raise ApiError(f"回答错误次数过多，请 {minutes} 分钟后再继续学习", code="prompt_cooldown", status=429)


def carried_prompt(uid, questions):
    """The anti-idle schedule belongs to the learner, not to a session: a new session (any chapter, any
    device) keeps an open question open, owes a question after one was failed, and keeps counting
    towards the next question instead of starting the count again."""
    r = get_redis()
    fresh = {"prompt_qid": "", "attempts": 0, "questions": ",".join(map(str, questions)),
             "prompt_at": next_prompt(0) if questions else 0}
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


def next_prompt(credited_ms):
    cfg = settings()
    return credited_ms + random.SystemRandom().randint(cfg["min"], cfg["max"]) * 1000


def public_question(question_id):
    """A question as the learner sees it: never the answer."""
    q = Question.get_by_id(question_id)
    return {"id": q.id, "text": q.text, "options": json.loads(q.options)}


def answer_prompt(user, session_id, question_id, choice):
    """Check an answer on the server. Right: crediting resumes. Wrong: a new question, a few times."""
    cfg = settings()
    question = Question.get_or_none(Question.id == question_id)
    correct = question is not None and choice == question.answer
    lk = learner_keys(user.id)
    outcome, attempts, next_id, chapter = script("answer", ANSWER_LUA)(
        keys=[f"learn:s:{session_id}", f"learn:active:{user.id}", lk["wrong"], lk["cooldown"]],
        args=[user.id, question_id, 1 if correct else 0, now_ms(), next_prompt(0), cfg["attempts"],
              cfg["tolerance_ms"], session_id, cfg["cooldown"] * 1000])
    if outcome == "ended":
        raise ApiError("本次学习已结束，请重新开始播放", code="session_ended", status=409)
    if outcome == "not_current":
        log_event(user.id, chapter, session_id, "prompt_not_current", f"question {question_id}")
        raise ApiError("您已在其他设备或页面继续学习，请在当前播放的页面回答问题", code="not_current_session",
                       status=409)
    if outcome == "stale":
        raise ApiError("该问题已失效，请回答当前问题", status=409)
    if outcome == "passed":
        log_event(user.id, chapter, session_id, "prompt_passed", f"question {question_id}")
        return {"correct": True}
    log_event(user.id, chapter, session_id, "prompt_wrong", f"question {question_id}, try {attempts}")
    if outcome == "failed":
        log_event(user.id, chapter, session_id, "prompt_failed", "too many wrong answers")
        minutes = -(-cfg["cooldown"] // 60)
        return {"correct": False, "ended": True,
                "message": f"回答错误次数过多，本次学习已结束，请 {minutes} 分钟后重新开始播放"}
    return {"correct": False, "ended": False, "attempts_left": cfg["attempts"] - attempts,
            "question": public_question(int(next_id))}


# A record for staff, within the learner's share of detailed records (as heartbeat.lua's event()).
# KEYS: 1 events list, 2 the learner's event quota, 3 event counts. ARGV: 1 record, 2 uid, 3 reason,
# 4 detailed records per window, 5 window (s).
EVENT_LUA = """
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('EXPIRE', KEYS[2], tonumber(ARGV[5])) end
if n > tonumber(ARGV[4]) then
  redis.call('HINCRBY', KEYS[3], ARGV[2] .. ':' .. ARGV[3], 1)
  return 0
end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -100000, -1)
return 1
"""


def log_event(uid, chapter_id, session_id, reason, detail=""):
    cfg = current_app.config
    record = json.dumps({"uid": str(uid), "chapter": str(chapter_id), "sid": session_id, "reason": reason,
                         "detail": detail, "at": now_ms()})
    script("event", EVENT_LUA)(keys=[EVENTS_KEY, learner_keys(uid)["event_quota"], EVENT_COUNTS_KEY],
                               args=[record, uid, reason, cfg["LEARNING_EVENTS_PER_LEARNER"],
                                     cfg["LEARNING_EVENTS_WINDOW_SECONDS"]])
