"""Turn checked rows into accounts and unit memberships in a constant number of queries per batch.

Per batch of BATCH rows: one look-up of the ID numbers' blind indexes, one of the mobiles', one
multi-row INSERT of the new accounts, one SELECT of their ids and one multi-row INSERT of the
memberships. The accounts get no password hash (see app/accounts/first_login.py): the cost per
row is two AES-GCM encryptions and two HMACs, so 10,000 rows take seconds, not argon2's minutes.
"""
import peewee

from app.accounts import first_login, rules
from app.accounts.models import User
from app.accounts.service import _pii_columns
from app.db import db, utcnow
from app.pay.group.check import _chunks, _in, _param_limit
from app.pii import cipher
from app.units.models import UnitMember

BATCH = 500
NAME_MISMATCH = "姓名与身份证号不一致（该身份证号已注册）"
MOBILE_TAKEN = "手机号码已被其他账号使用，请填写本人手机号"


def _lookup(field, values, kind):
    """{value: (user id, name)} for the values whose blind index is stored in `field`."""
    c = cipher()
    by_hash = {h: v for v in values for h in c.all_indexes(v, kind)}
    found = {}
    if not by_hash:
        return found
    for chunk in _chunks(list(by_hash), _param_limit()):
        query = User.select(User.id, field, User.name).where(_in(field, chunk))
        for uid, h, name in db.execute(query).fetchall():
            found.setdefault(by_hash[h], (uid, name))
    return found


def _decide(rows):
    """Set outcome/reason from what is stored; returns (rows to create, {row: user id} to link)."""
    existing = _lookup(User.id_number_hash, [r.id_number for r in rows], "id_number")
    fresh = [r for r in rows if r.id_number not in existing]
    taken = _lookup(User.mobile_hash, [r.mobile for r in fresh], "mobile")
    create, link = [], {}
    for row in rows:
        if row.id_number in existing:
            uid, name = existing[row.id_number]
            if name != row.name:  # never say what the stored name is
                row.reason, row.outcome = NAME_MISMATCH, "refused"
            else:
                row.outcome, link[row.no] = "linked", uid
        elif row.mobile in taken:
            row.reason, row.outcome = MOBILE_TAKEN, "refused"
        else:
            create.append(row)
    return create, link


def _account_row(row, until, now):
    return {"name": row.name, "gender": rules.id_gender(row.id_number), "password_hash": first_login.INITIAL,
            "initial_password_until": until, "role": "learner", "is_active": True, "session_version": 1,
            "created_at": now, "updated_at": now, "data_confirmed_at": now, **_pii_columns(row.id_number, row.mobile)}


def _insert_accounts(rows, until):
    """Insert the new accounts; {row no: user id}. A concurrent registration falls back to one by one."""
    now = utcnow()
    values = [_account_row(r, until, now) for r in rows]
    try:
        with db.atomic():
            User.insert_many(values).execute()
    except peewee.IntegrityError:
        return _insert_one_by_one(rows, values)
    ids = _lookup(User.id_number_hash, [r.id_number for r in rows], "id_number")
    for row in rows:
        row.outcome = "created"
    return {r.no: ids[r.id_number][0] for r in rows}


def _insert_one_by_one(rows, values):
    created = {}
    for row, value in zip(rows, values, strict=True):
        try:
            with db.atomic():
                created[row.no] = User.insert(value).execute()
            row.outcome = "created"
        except peewee.IntegrityError:
            again, link = _decide([row])
            if again:  # neither the ID number nor the mobile is taken now: give up on this row
                row.reason, row.outcome = "保存失败，请稍后重试", "refused"
            elif link:
                created[row.no] = link[row.no]
    return created


def register_batch(unit, rows, year, until):
    """Create or link one batch of acceptable rows; every row gets its outcome."""
    create, link = _decide(rows)
    members = dict(link)
    if create:
        members.update(_insert_accounts(create, until))
    if members:
        now = utcnow()
        UnitMember.insert_many([{"unit": unit.id, "user": uid, "source": "bulk", "year": year, "created_at": now}
                                for uid in set(members.values())]).on_conflict_ignore().execute()


def register_rows(unit, rows, year, progress=None):
    """Register every acceptable row in batches; `progress(done)` after each batch."""
    until = first_login.expires_at()
    done = 0
    for row in rows:
        if row.refused:
            row.outcome = "refused"
    pending = [r for r in rows if not r.refused]
    done = len(rows) - len(pending)
    for start in range(0, len(pending), BATCH):
        batch = pending[start:start + BATCH]
        register_batch(unit, batch, year, until)
        done += len(batch)
        if progress:
            progress(done)
    return rows
