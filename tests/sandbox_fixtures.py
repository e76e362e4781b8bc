"""Fixtures of the WeChat sandbox tests: wechatpy clients on the sandbox, its control API, a receiver."""
import threading

import pytest
import redis
import requests
from flask import Flask, request
from wechatpy import WeChatClient, WeChatOAuth, create_reply, parse_message
from wechatpy.client.api.base import BaseWeChatAPI
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature
from werkzeug.serving import make_server

# A paid-order message's data, as the platform sends it.
PAID = {"thing1": {"value": "2024 年度公需科目"}, "amount2": {"value": "¥99.00"},
        "time3": {"value": "2024年05月01日 10:00"}, "character_string4": {"value": "P202405010001"}}
REDIRECT_URI = "https://platform.example/wechat/oauth/callback?next=/me"


# ---- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def clean_sandbox(sandbox):
    redis.Redis.from_url(sandbox.config["REDIS_URL"]).flushdb()


def sandbox_client(base, appid, secret, **kwargs):
    """Recipe A: wechatpy's WeChatClient pointed at the sandbox."""
    class SandboxClient(WeChatClient):
        API_BASE_URL = base + "/cgi-bin/"

        def fetch_access_token(self):
            return self._fetch_access_token(url=base + "/cgi-bin/token", params={
                "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})

    client = SandboxClient(appid, secret, **kwargs)
    for api in list(vars(client).values()):
        api_base = getattr(api, "API_BASE_URL", None) if isinstance(api, BaseWeChatAPI) else None
        if isinstance(api_base, str) and api_base.startswith("https://api.weixin.qq.com/"):
            api.API_BASE_URL = api_base.replace("https://api.weixin.qq.com", base)
    return client


@pytest.fixture
def mp_client(sandbox):
    return sandbox_client(sandbox.url, sandbox.app.config["WECHAT_MP_APPID"], sandbox.app.config["WECHAT_MP_SECRET"])


@pytest.fixture
def mini_client(sandbox):
    config = sandbox.app.config
    return sandbox_client(sandbox.url, config["WECHAT_MINI_APPID"], config["WECHAT_MINI_SECRET"])


def sandbox_oauth(sandbox, scope="snsapi_userinfo", state="st-1"):
    oauth = WeChatOAuth(sandbox.app.config["WECHAT_MP_APPID"], sandbox.app.config["WECHAT_MP_SECRET"], REDIRECT_URI,
                        scope=scope, state=state)
    oauth.API_BASE_URL = sandbox.url + "/"
    oauth.OAUTH_BASE_URL = sandbox.url + "/connect/"
    return oauth


class Control:
    """The sandbox's /_sandbox/ endpoints over HTTP."""

    def __init__(self, base):
        self.base = base + "/_sandbox"
        self.http = requests.Session()

    def call(self, method, path, expect=(200, 201), **kwargs):
        resp = self.http.request(method, self.base + path, timeout=10, **kwargs)
        assert resp.status_code in expect, resp.text
        return resp.json()

    def get(self, path, **params):
        return self.call("GET", path, params=params)

    def post(self, path, **body):
        return self.call("POST", path, json=body)

    def delete(self, path, **params):
        return self.call("DELETE", path, params=params)


@pytest.fixture
def control(sandbox):
    return Control(sandbox.url)


@pytest.fixture
def mp_openid(sandbox, control):
    user = control.post("/users", nickname="李老师")
    return user["openids"][sandbox.app.config["WECHAT_MP_APPID"]]


@pytest.fixture(scope="module")
def receiver(sandbox):
    """A tiny official-account server written the way wechatpy's examples do; echoes text back."""
    config = sandbox.app.config
    token, aes_key, appid = config["WECHAT_MP_TOKEN"], config["WECHAT_MP_AES_KEY"], config["WECHAT_MP_APPID"]
    seen = []
    app = Flask("receiver")

    @app.route("/wechat", methods=["GET", "POST"])
    def wechat():
        args = request.args
        seen.append({"args": args.to_dict(), "body": request.get_data(as_text=True)})
        try:
            check_signature(token, args["signature"], args["timestamp"], args["nonce"])
        except InvalidSignatureException:
            return "bad signature", 403
        if request.method == "GET":
            return args["echostr"]
        crypto = WeChatCrypto(token, aes_key, appid)
        encrypted = args.get("encrypt_type") == "aes"
        xml = request.get_data()
        if encrypted:
            xml = crypto.decrypt_message(xml, args["msg_signature"], args["timestamp"], args["nonce"])
        msg = parse_message(xml)
        text = f"收到：{msg.content}" if msg.type == "text" else f"事件：{msg.event}"
        out = create_reply(text, msg).render()
        return crypto.encrypt_message(out, args["nonce"], args["timestamp"]) if encrypted else out

    @app.get("/broken")
    def broken():
        return "not-the-echostr"

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield type("Receiver", (), {"url": f"http://127.0.0.1:{server.server_port}", "seen": seen})
    server.shutdown()
