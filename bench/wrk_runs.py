"""Load runs with wrk against the bench server, and their report: one run's figures parsed from wrk's
output, endpoints interleaved over rounds (with the server's CPU per request from bench/cpu_meter.py),
and the table of medians with each endpoint's throughput against the first, the baseline (ping).
"""
import json
import re
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

import cpu_meter  # bench/ is on sys.path when run

WRK_TIMEOUT = "10s"  # a slow answer is measured as latency, not counted as a socket error


@dataclass
class Target:
    """One endpoint under load; `script` is the wrk Lua file that builds its requests, if any."""

    name: str
    path: str
    script: Path | None = None


# wrk's setup(): each thread learns its number (thread_id) before its init() runs, so that the threads of a
# generated script can take different shares of the load.
THREAD_IDS_LUA = """\
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end
"""


def lua_string(value):
    """A Lua string literal (JSON escaping is valid Lua for printable ASCII)."""
    if not (value.isascii() and value.isprintable()):
        raise ValueError(f"not printable ASCII: {value!r}")
    return json.dumps(value)


# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------

_TIME_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text):
    if text is None:  # wrk prints no distribution when nothing completed
        return None
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"unexpected wrk time {text!r}")
    return float(match.group(1)) * _TIME_UNITS_MS[match.group(2)]


def parse_wrk(output):
    """Requests/s, p50/p99 (ms), request count and error counts from wrk's text output."""
    def number(pattern, default=None):
        match = re.search(pattern, output, re.MULTILINE)
        return match.group(1) if match else default

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "rps": float(number(r"Requests/sec:\s+([\d.]+)", "0")),
        "p50_ms": _ms(number(r"^\s+50(?:\.0+)?%\s+(\S+)\s*$")),
        "p99_ms": _ms(number(r"^\s+99(?:\.0+)?%\s+(\S+)\s*$")),
        "requests": int(number(r"(\d+) requests in", "0")),
        "non_2xx": int(number(r"Non-2xx or 3xx responses:\s+(\d+)", "0")),
        "socket_errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    }


def run_wrk(base_url, target, threads, connections, duration):
    """One wrk run; a run with non-2xx answers, socket errors or no requests is marked failed."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", WRK_TIMEOUT, "--latency"]
    if target.script:
        cmd += ["-s", str(target.script)]
    cmd.append(base_url + target.path)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    if proc.returncode != 0:
        return {"ok": False, "error": f"wrk exited {proc.returncode}: {proc.stderr.strip()}", "output": proc.stdout}
    result = parse_wrk(proc.stdout)
    result["ok"] = (result["requests"] > 0 and result["p99_ms"] is not None
                    and result["non_2xx"] == 0 and result["socket_errors"] == 0)
    if not result["ok"]:
        result["error"] = (f"{result['non_2xx']} non-2xx answers, {result['socket_errors']} socket errors "
                           f"out of {result['requests']} requests")
        result["output"] = proc.stdout
    return result


def measure(base_url, targets, opts, meter=None):
    """Interleave the endpoints for `opts.rounds` rounds (after an unrecorded warm-up), each run with the CPU
    the server's processes spent per request when a cpu_meter.Meter is given."""
    if opts.warmup > 0:
        print(f"warm-up: {opts.warmup}s per endpoint")
        for target in targets:
            run_wrk(base_url, target, opts.threads, opts.connections, opts.warmup)
    runs = []
    for round_no in range(1, opts.rounds + 1):
        for target in targets:
            if meter:
                cpu_meter.wait_idle(meter)
            before = meter.snapshot() if meter else None
            result = run_wrk(base_url, target, opts.threads, opts.connections, opts.duration)
            cpu = meter.per_request(before, meter.snapshot(), result.get("requests", 0)) if meter else {}
            result.update(endpoint=target.name, round=round_no, cpu_us=cpu)
            runs.append(result)
            print(progress_line(result, opts.rounds) + cpu_meter.line(cpu), flush=True)
    return runs


def progress_line(result, rounds):
    head = f"round {result['round']}/{rounds}  {result['endpoint']:<34}"
    if not result["ok"]:
        return f"{head} FAILED: {result['error']}"
    return f"{head} {result['rps']:9.1f} req/s  p50 {result['p50_ms']:7.2f} ms  p99 {result['p99_ms']:7.2f} ms"


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

def summarize(runs, targets):
    """Per endpoint: medians of the successful runs, and the median of per-round ratios to ping."""
    baseline = targets[0].name
    ping_by_round = {r["round"]: r["rps"] for r in runs if r["endpoint"] == baseline and r["ok"]}
    summary = []
    for target in targets:
        mine = [r for r in runs if r["endpoint"] == target.name]
        good = [r for r in mine if r["ok"]]
        ratios = [r["rps"] / ping_by_round[r["round"]] for r in good if ping_by_round.get(r["round"])]
        summary.append({
            "endpoint": target.name, "runs": len(mine), "ok_runs": len(good),
            "rps": statistics.median(r["rps"] for r in good) if good else None,
            "p50_ms": statistics.median(r["p50_ms"] for r in good) if good else None,
            "p99_ms": statistics.median(r["p99_ms"] for r in good) if good else None,
            "vs_ping": statistics.median(ratios) if ratios else None,
        })
    return summary


def _cell(value, width, decimals):
    return f"{value:{width}.{decimals}f}" if value is not None else "-".rjust(width)


def print_table(summary):
    header = f"{'endpoint':<34} {'ok runs':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs ping':>8}"
    print(header)
    print("-" * len(header))
    for row in summary:
        print(f"{row['endpoint']:<34} {row['ok_runs']:>3}/{row['runs']:<3} {_cell(row['rps'], 9, 1)} "
              f"{_cell(row['p50_ms'], 8, 2)} {_cell(row['p99_ms'], 8, 2)} {_cell(row['vs_ping'], 8, 3)}")
    print("(medians over rounds; 'vs ping' is the median of each round's req/s divided by ping's in that round)")


def print_failures(runs):
    for run in runs:
        if not run["ok"]:
            print(f"\nFAILED round {run['round']} {run['endpoint']}: {run['error']}")
            if run.get("output"):
                print(run["output"].rstrip())
