"""Workbooks checked in the worker: the web request only stores the upload and queues the job.

    start(data, buyer, unit, project) -> token      the upload kept UPLOAD_TTL in Redis, a job queued
    run(token)                                       the job: read, check, save; the outcome kept for the page
    outcome(token, buyer) -> dict                    {"state": "running"} | {"state": "done", ...} | "failed"

Uploads up to INLINE_BYTES are checked in the request (a list of a few hundred people answers at
once); larger ones, up to the upload limit, go to the worker so a web process never spends
seconds of CPU on one request.
"""
import json
import secrets

from app.errors import ApiError
from app.redis_client import get_redis

INLINE_BYTES = 64 * 1024
UPLOAD_TTL = 3600


def _key(token, part):
    return f"group:upload:{token}:{part}"


def start(data, buyer, unit, project):
    from app.jobs import enqueue

    token = secrets.token_urlsafe(18)
    meta = {"buyer_id": buyer.id, "unit_id": unit.id, "project_id": project.id}
    r = get_redis()
    pipe = r.pipeline()
    pipe.set(_key(token, "data"), bytes(data), ex=UPLOAD_TTL)
    pipe.set(_key(token, "meta"), json.dumps(meta), ex=UPLOAD_TTL)
    pipe.set(_key(token, "outcome"), json.dumps({"state": "running", **meta}), ex=UPLOAD_TTL)
    pipe.execute()
    enqueue(run, token, retry=(), job_id=f"group-upload-{token}")
    return token


def check_workbook(data, buyer, unit, project):
    """Read and check a workbook, save the check and its staff record; the answer for the page."""
    from app.pay.group import check, lines, store
    from app.units import roster

    result = check.check_lines(project, lines.from_roster(roster.read_roster(data)))
    result["unit_id"], result["source"] = unit.id, "xlsx"
    check_id = store.save_check(result, buyer, unit, project)
    store.record_check(result, buyer, unit, project)
    return {**store.public_view(result), "check_id": check_id,
            "errors_url": f"/api/v1/group-orders/checks/{check_id}/errors.xlsx"}


def run(token):
    """Job: check the stored upload; a refusal of the file (ApiError) is the outcome, not a job failure."""
    from app.accounts.models import User
    from app.learning.models import Project
    from app.units.models import Unit

    r = get_redis()
    raw_meta, data = r.get(_key(token, "meta")), get_redis_bytes(_key(token, "data"))
    if raw_meta is None or data is None:
        return
    meta = json.loads(raw_meta)
    try:
        answer = {"state": "done", **check_workbook(data, User.get_by_id(meta["buyer_id"]),
                                                    Unit.get_by_id(meta["unit_id"]),
                                                    Project.get_by_id(meta["project_id"]))}
    except ApiError as exc:
        answer = {"state": "failed", "message": exc.message}
    r.set(_key(token, "outcome"), json.dumps({**answer, "buyer_id": meta["buyer_id"]}, ensure_ascii=False),
          ex=UPLOAD_TTL)
    r.delete(_key(token, "data"))


def get_redis_bytes(key):
    """Raw bytes from Redis (the shared client decodes responses; the queue's connection does not)."""
    from flask import current_app

    return current_app.extensions["rq_connection"].get(key)


def outcome(token, buyer):
    gone = ApiError("名单校验任务不存在或已过期，请重新上传", status=404)
    raw = get_redis().get(_key(str(token)[:64], "outcome"))
    if raw is None:
        raise gone
    answer = json.loads(raw)
    if answer.pop("buyer_id", None) != buyer.id:
        raise gone
    return answer
