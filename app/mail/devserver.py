"""Development SMTP server (aiosmtpd): every message received is stored as a .eml file.

Run with `python -m app.mail.devserver --port 5025 --dir instance/mail-outbox`; scripts/dev starts it,
and the tests start the same `Outbox` handler in-process. Nothing is relayed anywhere.
"""
import argparse
import os
import time
import uuid
from pathlib import Path


class Outbox:
    """aiosmtpd handler writing each accepted message to `directory/<time>-<id>.eml`."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.directory / (name + ".part")
        tmp.write_bytes(envelope.original_content or envelope.content)
        os.replace(tmp, self.directory / name)  # readers never see half a message
        return "250 Message accepted for delivery"


def controller(directory, host="127.0.0.1", port=0):
    """A started-on-demand aiosmtpd Controller with the Outbox handler (port 0: pick a free one)."""
    from aiosmtpd.controller import Controller

    if port == 0:
        import socket

        with socket.socket() as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
    return Controller(Outbox(directory), hostname=host, port=port)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5025)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    ctl = controller(args.dir, args.host, args.port)
    ctl.start()
    print(f"development SMTP server on {args.host}:{args.port}, storing mail in {args.dir}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        ctl.stop()


if __name__ == "__main__":
    main()
