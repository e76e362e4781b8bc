"""Processes of the topology: each started in its own process group, its id kept in a pid file."""
import os
import signal
import socket
import subprocess
import time
import urllib.request

from scripts.topology.settings import ROOT


def pid_file(cluster, name):
    return cluster.path("pids", f"{name}.pid")


def start(cluster, name, argv, env=None, cwd=ROOT):
    """Start `argv` as process group `name` (its stdout and stderr in logs/<name>.log); returns the pid."""
    cluster.path("pids").mkdir(parents=True, exist_ok=True)
    cluster.path("logs").mkdir(parents=True, exist_ok=True)
    log = open(cluster.path("logs", f"{name}.log"), "ab")
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    log.close()
    pid_file(cluster, name).write_text(str(proc.pid))
    return proc.pid


def pid_of(cluster, name):
    try:
        return int(pid_file(cluster, name).read_text())
    except (FileNotFoundError, ValueError):
        return None


def alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of this process counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def group_alive(pgid):
    """Whether any process of this group still runs."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[2]) == pgid:
                return True
    return False


def kill_group(pgid, sig=signal.SIGKILL):
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def stop(cluster, name, timeout=10):
    """SIGTERM the process group, SIGKILL what is left after `timeout`; forget its pid file."""
    pid = pid_of(cluster, name)
    if pid:
        kill_group(pid, signal.SIGTERM)
        deadline = time.time() + timeout
        while group_alive(pid) and time.time() < deadline:
            _reap()
            time.sleep(0.1)
        kill_group(pid, signal.SIGKILL)
        while group_alive(pid) and time.time() < deadline + 5:
            _reap()
            time.sleep(0.05)
    pid_file(cluster, name).unlink(missing_ok=True)


def _reap():
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def names(cluster):
    folder = cluster.path("pids")
    return sorted(p.stem for p in folder.glob("*.pid")) if folder.exists() else []


def port_open(port, host="127.0.0.1"):
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def wait_port(port, name, cluster, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if port_open(port):
            return
        if not alive(pid_of(cluster, name)):
            raise RuntimeError(f"{name} exited; see {cluster.path('logs', name + '.log')}")
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not listen on {port} within {seconds} s")


def wait_http(url, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")
