"""Settings of the production topology: the heartbeat interval, Redis Sentinel, worker queues, the clock."""
import redis

from app.config import Config
from app.jobs.clock import PERIODIC, tick
from app.production_checks import check_production
from app.redis_client import connect, sentinel_addresses


def test_production_reports_every_15_seconds_and_credits_a_silence_of_up_to_60():
    production, development = Config(env="production"), Config(env="development")
    assert (production.LEARNING_HEARTBEAT_SECONDS, production.LEARNING_MAX_GAP_SECONDS) == (15, 60)
    assert (development.LEARNING_HEARTBEAT_SECONDS, development.LEARNING_MAX_GAP_SECONDS) == (5, 30)


def test_a_gap_shorter_than_two_heartbeats_is_refused_in_production():
    gap = "LEARNING_MAX_GAP_SECONDS must be at least twice LEARNING_HEARTBEAT_SECONDS " \
          "(one lost heartbeat must not cost the learner the time it covered)"
    assert gap in check_production({"LEARNING_HEARTBEAT_SECONDS": 15, "LEARNING_MAX_GAP_SECONDS": 20})
    assert gap not in check_production({"LEARNING_HEARTBEAT_SECONDS": 15, "LEARNING_MAX_GAP_SECONDS": 60})


def test_sentinel_addresses_are_read_from_one_setting():
    assert sentinel_addresses("10.0.0.1:26379, 10.0.0.2:26380,") == [("10.0.0.1", 26379), ("10.0.0.2", 26380)]
    assert sentinel_addresses(":26390") == [("127.0.0.1", 26390)]
    assert sentinel_addresses("") == []


def test_without_sentinels_the_client_is_the_url_and_with_them_the_sentinels_primary(app):
    plain = connect({"REDIS_URL": "redis://127.0.0.1:6379/3"})
    assert plain.connection_pool.connection_kwargs["db"] == 3
    managed = connect({"REDIS_URL": "redis://127.0.0.1:6379/5", "REDIS_SENTINELS": "127.0.0.1:1",
                       "REDIS_SENTINEL_MASTER": "ce-test", "REDIS_FAILOVER_RETRIES": 0})
    assert managed.connection_pool.service_name == "ce-test"
    assert managed.connection_pool.connection_kwargs["db"] == 5
    try:  # no sentinel answers on port 1: the client says so instead of using some other Redis
        managed.ping()
        raised = None
    except redis.ConnectionError as exc:
        raised = type(exc).__name__
    assert raised == "MasterNotFoundError"


def test_a_period_from_the_settings_fires_once_per_slot_whichever_clock_ticks(app):
    app.config["DURABLE_SWEEP_SECONDS"] = 7
    [entry] = [p for p in PERIODIC if p[0] == "durable-jobs-sweep"]
    assert entry[1](app.config) == 7
    assert "durable-jobs-sweep" in tick(now=700.0)  # slot 100 of 7 s
    assert "durable-jobs-sweep" not in tick(now=703.0)  # the other clock, same slot
    assert "durable-jobs-sweep" in tick(now=707.0)  # the next slot
