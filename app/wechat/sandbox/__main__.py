"""`python -m app.wechat.sandbox [--host 127.0.0.1] [--port 5001]`"""
import argparse

from werkzeug.serving import run_simple

from app.wechat.sandbox import create_sandbox_app


def main():
    parser = argparse.ArgumentParser(description="Run the WeChat sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    args = parser.parse_args()
    run_simple(args.host, args.port, create_sandbox_app(), threaded=True)


if __name__ == "__main__":
    main()
