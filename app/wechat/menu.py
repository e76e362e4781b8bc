"""The official account's menu, kept in the repository and published by `flask wechat publish-menu`.

View links go through /wechat/login, which runs web OAuth and then opens the page.
"""
from urllib.parse import quote

from flask import current_app

CLICK_CONTACT = "HELP_CONTACT"


def menu_definition():
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")

    def via_oauth(path):
        return f"{base}/wechat/login?next={quote(path, safe='')}"

    return {"button": [
        {"name": "继续教育", "sub_button": [
            {"type": "view", "name": "公需科目", "url": via_oauth("/")},
            {"type": "view", "name": "我的学习", "url": via_oauth("/learning")},
            {"type": "view", "name": "我的证书", "url": via_oauth("/certs")},
        ]},
        {"name": "帮助", "sub_button": [
            {"type": "click", "name": "联系客服", "key": CLICK_CONTACT},
            {"type": "view", "name": "帮助中心", "url": via_oauth("/help")},
            {"type": "view", "name": "我的账号", "url": via_oauth("/account")},
        ]},
    ]}


def publish():
    """Create the menu through WeChat's API; returns the definition sent."""
    from app.wechat.clients import mp_client

    definition = menu_definition()
    mp_client().menu.create(definition)
    return definition
