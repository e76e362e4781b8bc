"""Playback sessions, heartbeats and anti-idle prompts (R-10, R-11, R-12).

Credit comes from the server's clock: a heartbeat earns at most the real time since the previous one
(and since the session began), at most the position advanced, only inside the chapter, only for the
learner's single active session, and nothing while a question is open. The decision is one Lua call in
Redis; app/learning/flush.py folds the result into the database in batches.
"""
import json
import random
import secrets
import time
from pathlib import Path

from flask import current_app

from app.db import utcnow
from app.errors import ApiError
from app.learning.models import Chapter, ChapterProgress, Course, Enrollment, Question
from app.redis_client import get_redis

LUA = (Path(__file__).parent / "heartbeat.lua").read_text()
SESSION_TTL = 6 * 3600
EVENTS_KEY = "learn:events"
DIRTY_KEY = "learn:dirty"


def keys(uid, chapter_id, sid=""):
    return {"session": f"learn:s:{sid}", "active": f"learn:active:{uid}", "coverage": f"learn:cov:{uid}:{chapter_id}",
            "dirty": DIRTY_KEY, "events": EVENTS_KEY, "position": f"learn:pos:{uid}:{chapter_id}",
            "done": f"learn:done:{uid}:{chapter_id}"}


def settings():
    cfg = current_app.config
    return {"interval": cfg["LEARNING_HEARTBEAT_SECONDS"], "tolerance_ms": cfg["LEARNING_TOLERANCE_MS"],
            "max_gap_ms": cfg["LEARNING_MAX_GAP_SECONDS"] * 1000, "done_tolerance": cfg["LEARNING_COMPLETE_TOLERANCE"],
            "prompt_min": cfg["LEARNING_PROMPT_MIN_SECONDS"], "prompt_max": cfg["LEARNING_PROMPT_MAX_SECONDS"],
            "attempts": cfg["LEARNING_PROMPT_ATTEMPTS"]}


def raw_redis():
    """Redis without response decoding (coverage bitmaps are bytes)."""
    return current_app.extensions["rq_connection"]


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
        # Redis may have restarted: what the database holds is never lost.
        raw_redis().set(k["coverage"], bytes(progress.coverage), nx=True)
    Enrollment.update(started_at=utcnow()).where(Enrollment.user == user.id, Enrollment.project == course.project_id,
                                                 Enrollment.started_at.is_null()).execute()
    sid = secrets.token_urlsafe(18)
    cfg = settings()
    now = int(time.time() * 1000)
    resume = progress.last_position if progress and not progress.completed_at else 0
    questions = _question_order(course)
    state = {"uid": user.id, "chapter": chapter.id, "duration": chapter.duration_seconds, "last_seq": 0,
             "last_ts": now, "last_pos": resume * 1000, "credited": 0, "started": now, "state": "active",
             "prompt_qid": "", "questions": ",".join(map(str, questions)), "attempts": 0, "device": device[:40],
             "prompt_at": _next_prompt(0, cfg) if questions else 0}
    r = get_redis()
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


def _next_prompt(credited_ms, cfg):
    return credited_ms + random.SystemRandom().randint(cfg["prompt_min"], cfg["prompt_max"]) * 1000


def covered_seconds(uid, chapter_id):
    return raw_redis().bitcount(keys(uid, chapter_id)["coverage"])


def heartbeat(user, data, now_ms=None):
    """Credit one heartbeat (one Lua call). Returns what the player needs to know."""
    cfg = settings()
    k = keys(user.id, data.chapter_id, data.session_id)
    script = current_app.extensions.setdefault("heartbeat_script", get_redis().register_script(LUA))
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    status, credit, covered, newly, reason, qid = script(
        keys=[k["session"], k["active"], k["coverage"], k["dirty"], k["events"], k["position"], k["done"]],
        args=[now, data.session_id, user.id, data.chapter_id, data.seq, int(data.position * 1000),
              1 if data.playing else 0, cfg["tolerance_ms"], cfg["max_gap_ms"], cfg["done_tolerance"],
              f"{user.id}:{data.chapter_id}"])
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
    r = get_redis()
    key = f"learn:s:{session_id}"
    state = r.hgetall(key)
    if not state or state.get("uid") != str(user.id) or state.get("state") != "active":
        raise ApiError("本次学习已结束，请重新开始播放", code="session_ended", status=409)
    if state.get("prompt_qid") != str(question_id):
        raise ApiError("该问题已失效，请回答当前问题", status=409)
    question = Question.get_by_id(question_id)
    now = int(time.time() * 1000)
    if choice == question.answer:
        r.hset(key, mapping={"prompt_qid": "", "attempts": 0, "last_ts": now,
                             "prompt_at": _next_prompt(int(state["credited"]), cfg)})
        log_event(user.id, state["chapter"], session_id, "prompt_passed", f"question {question_id}")
        return {"correct": True}
    attempts = int(state.get("attempts", 0)) + 1
    log_event(user.id, state["chapter"], session_id, "prompt_wrong", f"question {question_id}, try {attempts}")
    if attempts >= cfg["attempts"]:
        r.hset(key, mapping={"state": "ended", "prompt_qid": ""})
        log_event(user.id, state["chapter"], session_id, "prompt_failed", "too many wrong answers")
        return {"correct": False, "ended": True, "message": "回答错误次数过多，本次学习已结束，请重新开始播放"}
    queue = [q for q in state.get("questions", "").split(",") if q]
    next_id = next((q for q in queue if q != str(question_id)), str(question_id))
    queue = [q for q in queue if q != next_id] + [next_id]
    r.hset(key, mapping={"prompt_qid": next_id, "attempts": attempts, "questions": ",".join(queue)})
    return {"correct": False, "ended": False, "attempts_left": cfg["attempts"] - attempts,
            "question": public_question(int(next_id))}


def log_event(uid, chapter_id, session_id, reason, detail=""):
    get_redis().rpush(EVENTS_KEY, json.dumps({"uid": str(uid), "chapter": str(chapter_id), "sid": session_id,
                                              "reason": reason, "detail": detail, "at": int(time.time() * 1000)}))


def record_completion(uid, chapter_id):
    """Persist a chapter's completion right away (one write per chapter, not per heartbeat)."""
    from app.learning.flush import flush_and_announce

    flush_and_announce(uid, chapter_id)
