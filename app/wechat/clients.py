"""wechatpy clients for the official account and the mini-program, pointed at WeChat or the sandbox.

Access tokens (and JS-SDK tickets) live in Redis, shared by every web worker and background worker;
a refresh takes a Redis lock so that one process refreshes while the others wait and reuse its token.
"""
import time

from flask import current_app
from wechatpy import WeChatClient, WeChatOAuth
from wechatpy.client.api.base import BaseWeChatAPI
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage

from app.redis_client import get_redis

OFFICIAL_API = "https://api.weixin.qq.com"
TIMEOUT = 5


class SharedTokenClient(WeChatClient):
    """WeChatClient with a configurable API host and a token refreshed once across all workers."""

    def __init__(self, appid, secret, api_base, redis):
        self.api_base = api_base.rstrip("/")
        self._lock_redis = redis
        self._forced = []
        super().__init__(appid, secret, session=RedisStorage(redis, prefix="wechat"), timeout=TIMEOUT)
        self.API_BASE_URL = self.api_base + "/cgi-bin/"
        for api in list(vars(self).values()):  # sub-APIs with their own absolute base (wxa, ...)
            base = getattr(api, "API_BASE_URL", None) if isinstance(api, BaseWeChatAPI) else None
            if isinstance(base, str) and base.startswith(OFFICIAL_API):
                api.API_BASE_URL = base.replace(OFFICIAL_API, self.api_base)

    # wechatpy keeps expires_at in process memory; keep it beside the token in Redis instead.
    @property
    def expires_at(self):
        return self.session.get(f"{self.appid}_expires_at")

    @expires_at.setter
    def expires_at(self, value):
        if value is not None:
            self.session.set(f"{self.appid}_expires_at", int(value), ttl=7200)

    def fetch_access_token(self):
        """Refresh under a lock; if another worker refreshed while we waited, use its token."""
        self._guard_retry_storm()
        before = self.session.get(self.access_token_key)
        with self._lock_redis.lock(f"wechat:token-lock:{self.appid}", timeout=15, blocking_timeout=15):
            current = self.session.get(self.access_token_key)
            expires_at = self.expires_at or 0
            if current and current != before and expires_at - time.time() > 60:
                return {"access_token": current, "expires_in": int(expires_at - time.time())}
            return self._fetch_access_token(
                url=self.api_base + "/cgi-bin/token",
                params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret})

    def _guard_retry_storm(self):
        """wechatpy retries token errors without limit; stop after a few refreshes in a short time."""
        now = time.time()
        self._forced = [t for t in self._forced if now - t < 10] + [now]
        if len(self._forced) > 3:
            self._forced.clear()
            raise WeChatClientException(40001, "access token refused repeatedly after refreshing")


def _client(kind):
    cfg = current_app.config
    cache = current_app.extensions.setdefault("wechat_clients", {})
    if kind not in cache:
        appid, secret = (cfg["WECHAT_MP_APPID"], cfg["WECHAT_MP_SECRET"]) if kind == "mp" else \
            (cfg["WECHAT_MINI_APPID"], cfg["WECHAT_MINI_SECRET"])
        cache[kind] = SharedTokenClient(appid, secret, cfg["WECHAT_API_BASE"], get_redis())
    return cache[kind]


def mp_client():
    """The official account (公众号) client."""
    return _client("mp")


def mini_client():
    """The mini-program (小程序) client."""
    return _client("mini")


def oauth(redirect_uri, scope="snsapi_base", state=""):
    """Web OAuth for the official account's H5 pages."""
    cfg = current_app.config
    client = WeChatOAuth(cfg["WECHAT_MP_APPID"], cfg["WECHAT_MP_SECRET"], redirect_uri, scope=scope, state=state)
    client.API_BASE_URL = cfg["WECHAT_API_BASE"].rstrip("/") + "/"
    client.OAUTH_BASE_URL = cfg["WECHAT_OPEN_BASE"].rstrip("/") + "/connect/"
    return client


def jssdk_config(url, api_list=("chooseWXPay", "hideMenuItems")):
    """wx.config parameters for a page URL (JS-SDK), with the ticket shared through Redis."""
    import secrets

    client = mp_client()
    page_url = url.split("#", 1)[0]
    nonce, timestamp = secrets.token_hex(8), int(time.time())
    signature = client.jsapi.get_jsapi_signature(nonce, jsapi_ticket(client), timestamp, page_url)
    return {"appId": client.appid, "timestamp": timestamp, "nonceStr": nonce, "signature": signature,
            "jsApiList": list(api_list)}


def jsapi_ticket(client):
    """The JS-SDK ticket, fetched by one worker at a time and cached for all."""
    key = f"wechat:jsapi-ticket:{client.appid}"
    redis = client._lock_redis
    ticket = redis.get(key)
    if ticket:
        return ticket
    with redis.lock(f"{key}:lock", timeout=15, blocking_timeout=15):
        ticket = redis.get(key)
        if not ticket:
            result = client.jsapi.get_ticket()
            ticket = result["ticket"]
            redis.set(key, ticket, ex=max(int(result.get("expires_in", 7200)) - 300, 60))
    return ticket
