"""`GET /api/v1/me` without the database: the masked profile cached in Redis per account.

An entry holds what /me shows (personal data already masked, as `service.profile`), the account's
session version and whether it is active, so that one look-up answers both "who may ask" and "what to
show". Every path that changes an account calls `policy.forget_profile` (or `forget_session_version`,
which includes it); that overwrites the entry with a tombstone rather than deleting it, so a reader that
missed and is filling the entry under WATCH sees the change and reads the row again: an older copy
never hides a committed change.
"""
import json

import redis
from flask import session

from app.accounts.policy import PROFILE_PREFIX, PROFILE_STALE, PROFILE_TTL, token_key
from app.errors import ApiError
from app.redis_client import app_script, get_redis
from app.security import bearer_token

FILL_ATTEMPTS = 3
# A bearer token's "uid:version" and that account's cached profile in one round trip.
# KEYS: 1 the token's key. ARGV: 1 the profile key prefix. Returns {reference, profile entry} or false.
TOKEN_PROFILE_LUA = """
local ref = redis.call('GET', KEYS[1])
if not ref then return false end
local uid = string.match(ref, '^(%d+):')
if not uid then return {ref, false} end
return {ref, redis.call('GET', ARGV[1] .. uid)}
"""


def _entry(user):
    from app.accounts import service

    return {"v": str(user.session_version), "a": user.is_active, "p": service.profile(user)}


def _fill(r, uid):
    """Read the account row and cache it, unless the account changed while it was being read."""
    from app.accounts.models import User

    key = PROFILE_PREFIX + str(uid)
    for _ in range(FILL_ATTEMPTS):
        with r.pipeline() as pipe:
            try:
                pipe.watch(key)
                user = User.get_or_none(User.id == uid)
                if user is None:
                    return None  # no such account: nothing to cache
                entry = _entry(user)
                pipe.multi()
                pipe.set(key, json.dumps(entry, ensure_ascii=False), ex=PROFILE_TTL)
                pipe.execute()
                return entry
            except redis.WatchError:
                continue  # changed meanwhile: read the row again
    user = User.get_or_none(User.id == uid)  # still changing: answer from the row, cache nothing
    return _entry(user) if user is not None else None


def my_profile():
    """The signed-in, active account's profile (masked), or a 401 like every other signed-in endpoint."""
    r = get_redis()
    token = bearer_token()
    if token:
        lookup = app_script("token_profile", TOKEN_PROFILE_LUA)
        ref, raw = lookup(keys=[token_key(token)], args=[PROFILE_PREFIX]) or [None, None]
        uid, _, version = (ref or "").partition(":")
    else:
        uid, version = session.get("uid"), session.get("ver")
        raw = r.get(PROFILE_PREFIX + str(uid)) if uid else None
    if not uid or not str(uid).isdigit():
        raise ApiError("请先登录", status=401)
    entry = json.loads(raw) if raw and raw != PROFILE_STALE else _fill(r, int(uid))
    if entry is None or not entry["a"] or entry["v"] != str(version):
        raise ApiError("请先登录", status=401)
    return entry["p"]
