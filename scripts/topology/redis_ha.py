"""Redis for the topology: a primary, a replica and three sentinels that fail over between them."""
import time

import redis

from scripts.topology import procs


def redis_conf(cluster, port, replica_of=None):
    folder = cluster.path(f"redis-{port}")
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"port {port}", "bind 127.0.0.1", "protected-mode no", f'dir "{folder}"', "daemonize no",
             "appendonly yes", "appendfsync everysec", 'save ""', "maxmemory-policy noeviction",
             "repl-diskless-sync yes", "repl-diskless-sync-delay 0"]
    if replica_of:
        lines.append(f"replicaof 127.0.0.1 {replica_of}")
    path = folder / "redis.conf"
    path.write_text("\n".join(lines) + "\n")
    return path


def sentinel_conf(cluster, port):
    """A sentinel watching the primary; it rewrites this file as it learns (so it lives in CLUSTER_DIR)."""
    folder = cluster.path(f"sentinel-{port}")
    folder.mkdir(parents=True, exist_ok=True)
    name, primary = cluster.sentinel_master, cluster.redis_ports[0]
    quorum = len(cluster.sentinel_ports) // 2 + 1
    lines = [f"port {port}", "bind 127.0.0.1", "protected-mode no", f'dir "{folder}"', "daemonize no",
             f"sentinel monitor {name} 127.0.0.1 {primary} {quorum}",
             f"sentinel down-after-milliseconds {name} {cluster.sentinel_down_ms}",
             f"sentinel failover-timeout {name} {max(3 * cluster.sentinel_down_ms, 3000)}",
             f"sentinel parallel-syncs {name} 1"]
    path = folder / "sentinel.conf"
    path.write_text("\n".join(lines) + "\n")
    return path


def start(cluster):
    primary, *replicas = cluster.redis_ports
    procs.start(cluster, f"redis-{primary}", ["redis-server", str(redis_conf(cluster, primary))])
    procs.wait_port(primary, f"redis-{primary}", cluster)
    for port in replicas:
        procs.start(cluster, f"redis-{port}", ["redis-server", str(redis_conf(cluster, port, replica_of=primary))])
        procs.wait_port(port, f"redis-{port}", cluster)
    wait_replicas_in_sync(cluster, primary, len(replicas))
    for port in cluster.sentinel_ports:
        procs.start(cluster, f"sentinel-{port}", ["redis-sentinel", str(sentinel_conf(cluster, port))])
        procs.wait_port(port, f"sentinel-{port}", cluster)
    wait_for_sentinels(cluster)


def wait_replicas_in_sync(cluster, primary, count, seconds=20):
    client = redis.Redis(port=primary)
    deadline = time.time() + seconds
    while time.time() < deadline:
        info = client.info("replication")
        online = [v for k, v in info.items() if k.startswith("slave") and isinstance(v, dict)
                  and v.get("state") == "online"]
        if len(online) >= count:
            return
        time.sleep(0.1)
    raise RuntimeError(f"the Redis replicas of {primary} did not come online")


def wait_for_sentinels(cluster, seconds=20):
    """Every sentinel knows the primary, its replicas and the other sentinels."""
    deadline = time.time() + seconds
    others = len(cluster.sentinel_ports) - 1
    while time.time() < deadline:
        ready = 0
        for port in cluster.sentinel_ports:
            state = redis.Redis(port=port, decode_responses=True).sentinel_master(cluster.sentinel_master)
            if state.get("num-other-sentinels", 0) >= others and state.get("num-slaves", 0) >= 1:
                ready += 1
        if ready == len(cluster.sentinel_ports):
            return
        time.sleep(0.2)
    raise RuntimeError("the sentinels did not find each other")


def current_primary(cluster):
    """The port the sentinels name as primary now."""
    for port in cluster.sentinel_ports:
        try:
            _host, primary = redis.Redis(port=port, socket_timeout=1).sentinel_get_master_addr_by_name(
                cluster.sentinel_master)
            return int(primary)
        except (redis.RedisError, TypeError):
            continue
    return None
