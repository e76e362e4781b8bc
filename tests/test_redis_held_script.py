"""HeldScript (app/redis_client.py): a Lua script run with EVALSHA on a connection each thread keeps.

It must answer as redis-py's registered Script does, keep one connection per thread, load the script
again after SCRIPT FLUSH, fall back to the full client when its connection is dropped (and use the
connection again afterwards), raise Lua errors unchanged, and never share a socket with a forked child.
Real Redis throughout.
"""
import gc
import json
import os
import threading

import pytest
import redis

from app.redis_client import HeldScript, get_redis

ECHO = """
redis.call('SET', KEYS[1], ARGV[1])
return {KEYS[1], redis.call('GET', KEYS[1]), tonumber(ARGV[2]) + 1, {ARGV[3], #ARGV}}
"""
KEY, TEXT = "held:test:课程", "学员张三：第1讲"


@pytest.fixture
def held(app):
    return HeldScript(get_redis(), ECHO)


def expected(n):
    return [KEY, TEXT, n + 1, ["章节", 3]]


def call(script, n=41):
    return script(keys=[KEY], args=[TEXT, n, "章节"])


def client_id(conn):
    """The server's id of this connection (asked on the connection itself)."""
    conn.send_command("CLIENT", "ID")
    return conn.read_response()


def last_command(cid):
    """The last command Redis saw on client `cid` (asked on another connection), or None if it is gone."""
    found = [c for c in get_redis().client_list() if int(c["id"]) == cid]
    return found[0]["cmd"] if found else None


def test_it_answers_as_redis_pys_script_does(held):
    r = get_redis()
    r.delete(KEY)
    reference = r.register_script(ECHO)
    assert held.script.sha == reference.sha
    assert call(held) == expected(41)
    assert call(reference) == expected(41)
    assert call(held, -7) == call(reference, -7) == expected(-7)
    assert r.get(KEY) == TEXT
    assert HeldScript(r, "return nil")() is None
    assert HeldScript(r, "return 'ok'")() == "ok"  # decoded, as the client's own replies are
    assert HeldScript(r, "return {1, false, 'a'}")() == [1, None, "a"]


def test_one_thread_keeps_one_connection_and_another_thread_has_its_own(held):
    assert "conn" not in held.held.__dict__
    assert call(held) == expected(41)
    conn = held.held.conn
    cid = client_id(conn)
    assert call(held, 1) == expected(1)
    assert held.held.conn is conn
    assert last_command(cid) == "evalsha"  # the call ran on the held connection
    assert client_id(conn) == cid
    seen = {}

    def other():
        seen["answer"] = call(held, 2)
        seen["conn"] = held.held.conn
        seen["again"] = call(held, 3)
        seen["same"] = held.held.conn is seen["conn"]
        seen["id"] = client_id(seen["conn"])

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(10)
    assert (seen["answer"], seen["again"], seen["same"]) == (expected(2), expected(3), True)
    assert seen["conn"] is not conn and seen["id"] != cid
    assert held.held.conn is conn  # this thread's connection is untouched


def test_a_flushed_script_is_loaded_again(held):
    r = get_redis()
    assert call(held) == expected(41)
    conn = held.held.conn
    r.script_flush()
    assert r.script_exists(held.script.sha) == [False]
    assert call(held, 5) == expected(5)
    assert r.script_exists(held.script.sha) == [True]
    assert held.held.conn is conn
    cid = client_id(conn)
    assert call(held, 6) == expected(6)
    assert last_command(cid) == "evalsha"


def test_a_killed_connection_falls_back_then_reconnects(held):
    r = get_redis()
    assert call(held) == expected(41)
    conn = held.held.conn
    killed = client_id(conn)
    assert r.client_kill_filter(_id=killed) == 1
    assert last_command(killed) is None
    r.delete(KEY)
    assert call(held, 7) == expected(7)  # answered by the client's own call
    assert r.get(KEY) == TEXT
    assert conn._sock is None  # the held connection was dropped, not used
    assert call(held, 8) == expected(8)
    assert held.held.conn is conn and conn._sock is not None  # reconnected through the same object
    fresh = client_id(conn)
    assert fresh != killed
    assert call(held, 9) == expected(9)
    assert last_command(fresh) == "evalsha"


BOOM = "redis.call('INCR', KEYS[1]) return redis.error_reply('boom')"


def test_a_lua_error_is_raised_once_and_the_connection_stays_usable(held):
    r = get_redis()
    r.delete("held:test:runs")
    failing = HeldScript(r, BOOM)
    with pytest.raises(redis.exceptions.ResponseError) as raised:
        failing(keys=["held:test:runs"])
    assert type(raised.value) is redis.exceptions.ResponseError and str(raised.value) == "boom"
    assert r.get("held:test:runs") == "1"  # run once: an error is not retried through the client
    with pytest.raises(redis.exceptions.ResponseError) as reference:
        r.register_script(BOOM)(keys=["held:test:runs"])
    assert str(reference.value) == str(raised.value)
    conn = failing.held.conn
    cid = client_id(conn)
    with pytest.raises(redis.exceptions.ResponseError, match="^boom$"):
        failing(keys=["held:test:runs"])
    assert r.get("held:test:runs") == "3"
    assert failing.held.conn is conn and client_id(conn) == cid  # nothing left unread on it
    counter = HeldScript(r, "return redis.call('INCR', KEYS[1])")
    r.delete("held:test:n")
    assert [counter(keys=["held:test:n"]) for _ in range(3)] == [1, 2, 3]


def test_a_forked_child_takes_its_own_connection(held):
    assert call(held) == expected(41)
    conn = held.held.conn
    port, cid = conn._sock.getsockname()[1], client_id(conn)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running anything of pytest's
        status = 1
        try:
            os.close(read_end)
            answer = call(held, 11)
            mine = held.held.conn
            report = {"answer": answer, "same_object": mine is conn, "port": mine._sock.getsockname()[1],
                      "id": client_id(mine)}
            os.write(write_end, json.dumps(report, ensure_ascii=False).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        report = json.loads(pipe.read().decode() or "{}")
    assert os.waitpid(pid, 0)[1] == 0
    assert report["answer"] == expected(11)
    assert report["same_object"] is False
    assert report["port"] != port and report["id"] != cid
    assert call(held, 12) == expected(12)  # the parent's connection still works after the child left
    assert held.held.conn is conn and conn._sock.getsockname()[1] == port and client_id(conn) == cid


def test_a_pipeline_runs_it_through_redis_pys_script(held):
    r = get_redis()
    r.script_flush()
    r.delete(KEY)
    pipe = r.pipeline()
    assert held(keys=[KEY], args=[TEXT, 1, "章节"], client=pipe) is pipe
    pipe.get(KEY)
    assert r.get(KEY) is None  # queued, not sent
    assert pipe.execute() == [expected(1), TEXT]
    assert "conn" not in held.held.__dict__  # the held connection was not taken


def test_a_thread_that_ended_leaves_no_connection_open(held):
    """A server that starts a thread per request (werkzeug's threaded server: `flask run`, the live_server
    fixture) must not keep one Redis connection open for every request it ever served."""
    r = get_redis()
    assert call(held) == expected(41)
    ours = str(r.connection_pool.connection_kwargs.get("db", 0))  # other test runs use other databases

    def open_here():
        return sum(1 for c in r.client_list() if c["db"] == ours)

    gc.collect()  # connections of earlier tests' apps close now, not during the count
    before = open_here()
    for n in range(10):
        thread = threading.Thread(target=call, args=(held, n))
        thread.start()
        thread.join(10)
    gc.collect()
    assert not held.pool._in_use_connections  # held connections are not the pool's to lend
    assert open_here() == before
