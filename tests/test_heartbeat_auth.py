"""A heartbeat's credentials are checked in the heartbeat's own Redis round trip (heartbeat.lua) when this
worker has not checked them within the last few seconds, with the rules of every other endpoint: the
bearer token must exist and name the account's current session version; a logged-out token, a changed
password or a disabled account earn nothing.

Real Redis and database; `commands` records what the app's Redis connections send (and sends it on).
"""
import pytest

from app.accounts import policy
from app.accounts.models import User
from app.redis_client import get_redis
from tests.learning_fixtures import PASSWORD, Player, covered, make_learner, make_plan


@pytest.fixture
def plan(app):
    return make_plan(courses=((60,),))


@pytest.fixture
def learner(app, plan):
    return make_learner(app, plan)


@pytest.fixture
def commands(app, monkeypatch):
    """The name of each command the app's connections send to Redis, by the client's own calls or by a
    learning script's held connection (app.redis_client.HeldScript)."""
    connection_class, sent = get_redis().connection_pool.connection_class, []
    real = connection_class.send_packed_command

    def recording(self, command, check_health=True):
        packed = b"".join(part if isinstance(part, bytes) else part.encode()
                          for part in ([command] if isinstance(command, (bytes, str)) else command))
        sent.append(packed.split(b"\r\n")[2].decode())  # *<n> $<len> NAME ...
        return real(self, command, check_health)

    monkeypatch.setattr(connection_class, "send_packed_command", recording)
    return sent


@pytest.fixture(autouse=True)
def fresh_worker_memory():
    """Account ids repeat from one test's database to the next: nothing remembered from an earlier test."""
    forget_worker_memory()


def forget_worker_memory():
    """As if this worker had not seen the learner for RECENT_SECONDS (every heartbeat in production)."""
    policy._recent_tokens.clear()
    policy._recent_versions.clear()


def beat(learner, player, position):
    player.seq += 1
    return learner.post("/learning/heartbeat", {"session_id": player.session_id, "chapter_id": player.chapter.id,
                                                "seq": player.seq, "position": position, "playing": True})


def test_a_heartbeat_the_worker_does_not_remember_is_one_round_trip(app, clock, plan, learner, commands):
    player = Player(learner, clock, plan.chapter)
    player.start()
    assert beat(learner, player, 0)[1]["data"]["credited_seconds"] == 0.0  # the script is loaded in Redis
    forget_worker_memory()
    del commands[:]
    clock.advance(5)
    status, body = beat(learner, player, 5)
    assert (status, body["data"]["status"], body["data"]["credited_seconds"]) == (200, "ok", 5.0)
    assert commands == ["EVALSHA"]  # token, account version and crediting together
    del commands[:]
    clock.advance(5)
    status, body = beat(learner, player, 10)  # remembered now: the script is not asked to check again
    assert (status, body["data"]["credited_seconds"], commands) == (200, 5.0, ["EVALSHA"])
    assert covered(learner, plan.chapter) == 10


def test_a_logged_out_token_earns_nothing(app, clock, plan, learner):
    player = Player(learner, clock, plan.chapter)
    player.start()
    clock.advance(5)
    assert beat(learner, player, 5)[0] == 200
    assert learner.post("/auth/logout")[0] == 200
    forget_worker_memory()
    clock.advance(5)
    status, body = beat(learner, player, 10)
    assert (status, body["code"]) == (401, "unauthorized")
    assert covered(learner, plan.chapter) == 5


@pytest.mark.parametrize("change", ["password", "disabled"])
def test_a_changed_account_earns_nothing(app, clock, plan, learner, change):
    player = Player(learner, clock, plan.chapter)
    player.start()
    clock.advance(5)
    assert beat(learner, player, 5)[0] == 200
    if change == "password":
        User.update(session_version=User.session_version + 1).where(User.id == learner.user.id).execute()
    else:
        User.update(is_active=False).where(User.id == learner.user.id).execute()
    policy.forget_session_version(learner.user.id)
    forget_worker_memory()
    clock.advance(5)
    status, body = beat(learner, player, 10)
    assert (status, body["code"]) == (401, "unauthorized")
    assert covered(learner, plan.chapter) == 5
    expected = "off" if change == "disabled" else str(learner.user.session_version + 1)
    assert get_redis().get(f"{policy.VERSION_PREFIX}{learner.user.id}") == expected  # read from the database


def test_an_uncached_account_version_is_read_once_and_the_heartbeat_counts(app, clock, plan, learner, commands):
    player = Player(learner, clock, plan.chapter)
    player.start()
    assert beat(learner, player, 0)[1]["data"]["credited_seconds"] == 0.0  # the script is loaded in Redis
    get_redis().delete(f"{policy.VERSION_PREFIX}{learner.user.id}")
    forget_worker_memory()
    del commands[:]
    clock.advance(5)
    status, body = beat(learner, player, 5)
    assert (status, body["data"]["status"], body["data"]["credited_seconds"]) == (200, "ok", 5.0)
    assert commands == ["EVALSHA", "GET", "SET", "EVALSHA"]  # asked, the version filled from the database, again
    assert get_redis().get(f"{policy.VERSION_PREFIX}{learner.user.id}") == str(learner.user.session_version)
    assert covered(learner, plan.chapter) == 5


def test_a_bad_body_from_a_stranger_is_a_401_first(app, clock, plan, learner):
    player = Player(learner, clock, plan.chapter)
    player.start()
    forget_worker_memory()
    bad = {"session_id": player.session_id, "chapter_id": plan.chapter.id, "seq": 0, "position": 0, "playing": True}
    status, body = learner.post("/learning/heartbeat", bad)
    assert (status, body["code"], list(body["data"]["fields"])) == (422, "invalid_input", ["seq"])
    learner.token = "not-a-token-" + "x" * 30
    assert learner.post("/learning/heartbeat", bad)[1]["code"] == "unauthorized"
    status, body = beat(learner, player, 0)
    assert (status, body["code"]) == (401, "unauthorized")


def browser_of(app, learner):
    browser = app.test_client()
    login = browser.post("/api/v1/auth/login", json={"username": learner.username, "password": PASSWORD})
    assert login.status_code == 200
    return browser


def browser_beat(browser, player, seq, position):
    payload = {"session_id": player.session_id, "chapter_id": player.chapter.id, "seq": seq, "position": position,
               "playing": True}
    resp = browser.post("/api/v1/learning/heartbeat", json=payload)
    return resp.status_code, resp.get_json()


def test_the_h5_session_cookie_is_checked_the_same_way(app, clock, plan, learner):
    browser = browser_of(app, learner)
    player = Player(learner, clock, plan.chapter)
    player.start()
    forget_worker_memory()
    clock.advance(5)
    status, body = browser_beat(browser, player, 1, 5)
    assert (status, body["data"]["credited_seconds"]) == (200, 5.0)
    User.update(session_version=User.session_version + 1).where(User.id == learner.user.id).execute()
    policy.forget_session_version(learner.user.id)
    forget_worker_memory()
    clock.advance(5)
    status, body = browser_beat(browser, player, 2, 10)
    assert (status, body["code"]) == (401, "unauthorized")
    assert covered(learner, plan.chapter) == 5


def test_an_h5_heartbeat_is_one_round_trip_the_session_read_in_the_script(app, clock, plan, learner, commands):
    """The browser session is not read before the view: heartbeat.lua reads it with the account's version."""
    browser = browser_of(app, learner)
    player = Player(learner, clock, plan.chapter)
    player.start()
    assert browser_beat(browser, player, 1, 0)[0] == 200  # the script is loaded in Redis
    forget_worker_memory()
    del commands[:]
    clock.advance(5)
    status, body = browser_beat(browser, player, 2, 5)
    assert (status, body["data"]["status"], body["data"]["credited_seconds"]) == (200, "ok", 5.0)
    assert commands == ["EVALSHA"]
    del commands[:]
    clock.advance(1)
    assert browser_beat(browser, player, 3, 6)[1]["data"]["credited_seconds"] == 1.0  # remembered: the same
    assert commands == ["EVALSHA"]
    assert covered(learner, plan.chapter) == 6


def test_an_h5_heartbeat_after_logout_earns_nothing(app, clock, plan, learner):
    browser = browser_of(app, learner)
    player = Player(learner, clock, plan.chapter)
    player.start()
    clock.advance(5)
    assert browser_beat(browser, player, 1, 5)[1]["data"]["credited_seconds"] == 5.0
    csrf = browser.get("/api/v1/auth/csrf").get_json()["data"]["csrf_token"]
    assert browser.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    forget_worker_memory()
    clock.advance(5)
    status, body = browser_beat(browser, player, 2, 10)
    assert (status, body["code"]) == (401, "unauthorized")
    assert covered(learner, plan.chapter) == 5


def test_an_h5_session_of_someone_not_logged_in_earns_nothing(app, clock, plan, learner):
    """A session that holds no login (only a CSRF token, say) is refused by the script as by the view."""
    browser = app.test_client()
    assert browser.get("/api/v1/auth/csrf").status_code == 200  # a session with a CSRF token, no login
    player = Player(learner, clock, plan.chapter)
    player.start()
    forget_worker_memory()
    clock.advance(5)
    status, body = browser_beat(browser, player, 1, 5)
    assert (status, body["code"]) == (401, "unauthorized")
    assert covered(learner, plan.chapter) == 0
