"""The WeChat sandbox: a local server that speaks WeChat's protocol for development and tests.

It plays api.weixin.qq.com (official account and mini-program APIs), open.weixin.qq.com (the OAuth
consent page) and api.mch.weixin.qq.com (WeChat Pay v3 and its e-invoices), for the apps configured in the platform's
own settings (WECHAT_MP_*, WECHAT_MINI_*, WECHATPAY_*). State lives in Redis under "wxsb:".
Control endpoints for tests and developers live under /_sandbox/. It refuses to run in production.

Run it: `python -m app.wechat.sandbox --port 5001` (scripts/dev starts it for you).
"""
from flask import Flask

from app import money
from app.config import Config
from app.redis_client import connect


def create_sandbox_app(overrides=None):
    """Build the sandbox app; `overrides` replaces settings (tests pass the platform's test config)."""
    settings = Config(env=(overrides or {}).get("APP_ENV")).as_dict()
    settings.update(overrides or {})
    if settings["APP_ENV"] == "production":
        raise RuntimeError("The WeChat sandbox refuses to run with APP_ENV=production")
    app = Flask(__name__, template_folder="templates")
    app.config.update(settings)
    app.json.ensure_ascii = False
    money.init_app(app)
    app.extensions["sandbox_redis"] = connect(settings, decode_responses=True)

    from app.wechat.sandbox import control, control_push, fapiao, mp, mp_menu, mp_messages, mp_oauth, pay, state

    _ = (mp_menu, mp_messages, mp_oauth, control_push)  # their routes join mp.bp and control.bp
    state.init_app(app)
    app.register_blueprint(mp.bp)
    app.register_blueprint(pay.bp)
    app.register_blueprint(fapiao.bp)
    app.register_blueprint(control.bp, url_prefix="/_sandbox")
    app.add_url_rule("/_sandbox/health", "health", lambda: {"status": "ok"})
    return app
