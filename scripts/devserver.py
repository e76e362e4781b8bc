"""Start the whole platform on a laptop: web server, job worker, clock, with demo data.

Called by scripts/dev. Everything stops with Ctrl-C, including an embedded Redis.
"""
import argparse
import os
import signal
import subprocess
import sys
import time

from app.config import Config
from app.redis_client import resolve_redis_url

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _wait_for(url, proc, seconds=20):
    """Wait until a freshly started server answers (or give up when it died)."""
    import urllib.request

    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{url} did not start (exit code {proc.returncode})")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer within {seconds} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 5000)))
    parser.add_argument("--sandbox-port", type=int, default=int(os.environ.get("SANDBOX_PORT", 5001)))
    parser.add_argument("--smtp-port", type=int, default=None, help="local SMTP server (default: port + 25)")
    args = parser.parse_args()

    env = dict(os.environ, APP_ENV=os.environ.get("APP_ENV", "development"),
               PUBLIC_BASE_URL=os.environ.get("PUBLIC_BASE_URL", f"http://{args.host}:{args.port}"),
               FLASK_APP="wsgi", PYTHONUNBUFFERED="1")
    # The demo chapters last 12-20 seconds: ask the anti-idle questions early enough to be seen.
    env.setdefault("LEARNING_PROMPT_MIN_SECONDS", "6")
    env.setdefault("LEARNING_PROMPT_MAX_SECONDS", "10")
    redis_url, embedded = resolve_redis_url(Config().REDIS_URL)
    env["REDIS_URL"] = redis_url
    flask = [sys.executable, "-m", "flask"]
    sandbox_url = env.setdefault("WECHAT_SANDBOX_URL", f"http://{args.host}:{args.sandbox_port}")

    # A real SMTP server on this machine receives the platform's mail; /dev/mail lists it.
    smtp_port = args.smtp_port or args.port + 25
    env["MAIL_SMTP_HOST"], env["MAIL_SMTP_PORT"] = args.host, str(smtp_port)
    env.setdefault("MAIL_OUTBOX_DIR", os.path.join(ROOT, "instance", "mail-outbox"))
    smtp = subprocess.Popen([sys.executable, "-m", "app.mail.devserver", "--host", args.host,
                             "--port", str(smtp_port), "--dir", env["MAIL_OUTBOX_DIR"]], env=env, cwd=ROOT)

    # The WeChat sandbox first: it makes the development WeChat Pay keys on its first start.
    sandbox = subprocess.Popen([sys.executable, "-m", "app.wechat.sandbox", "--host", args.host,
                                "--port", str(args.sandbox_port)], env=env, cwd=ROOT)
    procs = [sandbox, smtp]
    try:
        _wait_for(sandbox_url + "/_sandbox/health", sandbox)
    except SystemExit:
        smtp.terminate()
        raise
    subprocess.run(flask + ["migrate"], env=env, cwd=ROOT, check=True)
    demo = subprocess.run(flask + ["demo", "seed"], env=env, cwd=ROOT, check=True, capture_output=True, text=True)

    procs += [
        subprocess.Popen(flask + ["run", "--host", args.host, "--port", str(args.port), "--no-reload"],
                         env=env, cwd=ROOT),
        subprocess.Popen(flask + ["jobs", "worker"], env=env, cwd=ROOT),
        subprocess.Popen(flask + ["jobs", "worker", "--queue", "video"], env=env, cwd=ROOT),  # transcoding
        subprocess.Popen(flask + ["jobs", "clock"], env=env, cwd=ROOT),
    ]
    base = env["PUBLIC_BASE_URL"]
    print("\n" + "=" * 72)
    print(f" Platform:      {base}/")
    print(f" SMS outbox:    {base}/dev/sms   (reset codes appear here)")
    print(f" Mail outbox:   {base}/dev/mail  (SMTP server on {args.host}:{smtp_port})")
    print(f" API document:  {base}/api/v1/openapi.json")
    print(f" Redis:         {redis_url}{'  (embedded)' if embedded else ''}")
    print(f" WeChat sandbox: {sandbox_url}/_sandbox/   (demo WeChat users, messages, payments)")
    print(f" WeChat login:  {base}/wechat/login   (through the sandbox's consent page)")
    print(" Demo accounts:")
    for line in demo.stdout.strip().splitlines():
        print("   " + line)
    print(" Stop with Ctrl-C.")
    print("=" * 72 + "\n", flush=True)

    def stop(*_):
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        if embedded:
            embedded.stop()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while True:
        for p in procs:
            if p.poll() is not None:
                print(f"process {p.args[3:5]} exited with {p.returncode}; stopping", file=sys.stderr)
                stop()
        time.sleep(1)


if __name__ == "__main__":
    main()
