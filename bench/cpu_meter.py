"""CPU time spent per request by the server's processes during a load run, read from /proc.

Throughput on a small shared machine swings from run to run (the host steals time, wrk and Redis share
the CPUs with the server), and wrk's own cost grows with the request it builds. The CPU time that the
gunicorn workers and Redis spend per answered request is steadier and charges each endpoint only for
the server's work, so benches print it next to requests/s.
"""
import os
import resource
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid):
    """User + system seconds of one process (all its threads), or 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15 of stat)


def pids_with(fragment):
    """Processes whose command line contains `fragment` (a gunicorn master and its workers share theirs)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if fragment in cmdline:
                found.append(int(entry.name))
    return found


class Meter:
    """CPU seconds of named process groups, plus this process's waited-for children (wrk)."""

    def __init__(self, groups):
        self.groups = groups  # name -> callable returning the group's pids now

    def snapshot(self):
        taken = {name: sum(process_cpu(pid) for pid in pids()) for name, pids in self.groups.items()}
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        taken["wrk"] = children.ru_utime + children.ru_stime
        return taken

    @staticmethod
    def per_request(before, after, requests):
        """Microseconds of CPU per request for each group between two snapshots."""
        if not requests:
            return {}
        return {name: (after[name] - before[name]) / requests * 1e6 for name in after}


def line(cpu):
    """The run's CPU per request, for its progress line."""
    if not cpu:
        return ""
    return "  cpu/req " + "  ".join(f"{name} {us:6.0f} us" for name, us in cpu.items())


def server_us(cpu, groups):
    return sum(cpu[name] for name in groups)


def ratio_by_round(runs, numerator, denominator, groups):
    """Median over rounds of CPU per request of `numerator` / `denominator` (endpoint names), counting the
    given process groups: an endpoint's capacity relative to another's on the same processes."""
    import statistics

    per_round = {}
    for run in runs:
        if run.get("ok") and run.get("cpu_us"):
            per_round.setdefault(run["round"], {})[run["endpoint"]] = server_us(run["cpu_us"], groups)
    ratios = [r[numerator] / r[denominator] for r in per_round.values()
              if r.get(numerator) and r.get(denominator)]
    return statistics.median(ratios) if ratios else float("nan"), ratios


def median_cpu(runs, endpoint):
    """Per process group: the median CPU per request of an endpoint's successful runs."""
    import statistics

    mine = [r["cpu_us"] for r in runs if r["endpoint"] == endpoint and r.get("ok") and r.get("cpu_us")]
    return {name: statistics.median(c[name] for c in mine) for name in (mine[0] if mine else {})}


def pin(pids, cpus):
    """Bind every thread of the given processes to `cpus`; returns what to restore (pid -> old CPUs)."""
    old = {}
    for pid in pids:
        try:
            old[pid] = os.sched_getaffinity(pid)
            for task in Path(f"/proc/{pid}/task").iterdir():
                os.sched_setaffinity(int(task.name), cpus)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return old


def unpin(old):
    for pid, cpus in old.items():
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                os.sched_setaffinity(int(task.name), cpus)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue


def server_meter(base_url, redis_url):
    """CPU of the gunicorn master and workers (found by their --bind) and of the local Redis server."""
    import redis

    bind = "--bind " + base_url.split("//", 1)[1]
    client = redis.Redis.from_url(redis_url)
    try:
        redis_pid = client.info("server")["process_id"]
    finally:
        client.close()
    return Meter({"gunicorn": lambda: pids_with(bind), "redis": lambda: [redis_pid]})


def pin_server(meter, shared=False):
    """The server (gunicorn's master, workers and the threads they start) on the first half of the CPUs,
    wrk (started from this process) and Redis on the others, as production's app nodes do not share their
    CPUs with Redis or the clients: requests/s then measure the server alone. Returns what unpin restores."""
    cpus = sorted(os.sched_getaffinity(0))
    if shared or len(cpus) < 2:
        return {}
    server, rest = set(cpus[:len(cpus) // 2]), set(cpus[len(cpus) // 2:])
    pin(meter.groups["gunicorn"](), server)
    return pin([*meter.groups["redis"](), os.getpid()], rest)


def print_table(runs, names):
    """CPU per answered request by process group, median of the rounds, one line per endpoint label."""
    print("\nCPU per answered request (median of the rounds; gunicorn = master + workers):")
    for label, name in names.items():
        cpu = median_cpu(runs, name)
        print(f"  {label:<12} " + "  ".join(f"{k} {v:7.1f} us" for k, v in cpu.items())
              + f"   server {cpu.get('gunicorn', 0) + cpu.get('redis', 0):7.1f} us")


def wait_idle(meter, group="gunicorn", busy=0.05, step=0.25, limit=10.0):
    """Wait until `group` uses under `busy` of a CPU (answers left over from the previous run, a slow login
    say, are not charged to the next one); at most `limit` seconds."""
    import time

    deadline = time.monotonic() + limit
    last = meter.snapshot()[group]
    while time.monotonic() < deadline:
        time.sleep(step)
        now = meter.snapshot()[group]
        if now - last < busy * step:
            return
        last = now


def best(runs, endpoint, groups):
    """The least disturbed of an endpoint's runs: (lowest CPU per request of `groups`, highest req/s).
    Interference from other work on the machine only ever adds CPU time and takes throughput away."""
    mine = [r for r in runs if r["endpoint"] == endpoint and r.get("ok") and r.get("cpu_us")]
    if not mine:
        return float("nan"), float("nan")
    return min(server_us(r["cpu_us"], groups) for r in mine), max(r["rps"] for r in mine)
