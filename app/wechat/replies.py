"""What the official account answers: welcome on follow, menu clicks, keywords in text."""
from flask import current_app

from app.wechat import login
from app.wechat.menu import CLICK_CONTACT
from app.wechat.models import WechatIdentity

KEYWORDS = [
    (("证书", "打印"), "certs"),
    (("进度", "学习", "学时"), "progress"),
    (("客服", "电话", "人工", "帮助"), "contact"),
    (("密码", "登录"), "password"),
]


def _link(path, label):
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f'<a href="{base}/wechat/login?next={path}">{label}</a>'


def _contact():
    cfg = current_app.config
    return (f"账号注册、登录、证书咨询：{cfg['CONTACT_ACCOUNT_PHONE']}，{cfg['CONTACT_ACCOUNT_KEY']}\n"
            f"学习技术咨询：{cfg['CONTACT_TECH_PHONE']}，{cfg['CONTACT_TECH_KEY']}\n服务时间：{cfg['CONTACT_HOURS']}")


ANSWERS = {
    "certs": lambda: f"学完项目要求的学时后，可在{_link('/certs', '我的证书')}中打印带电子签章的证书。",
    "progress": lambda: f"在{_link('/learning', '我的学习')}中查看学习进度，继续上次的课程。",
    "contact": _contact,
    "password": lambda: f"忘记密码可在{_link('/forgot', '找回密码')}中用注册手机号重置。",
}


def welcome():
    return (f"欢迎关注{current_app.config['PLATFORM_NAME']}！\n\n"
            f"每年需完成 30 学时公需科目学习：\n· {_link('/', '选购公需科目')}\n· {_link('/learning', '我的学习')}\n"
            f"· {_link('/certs', '我的证书')}\n\n回复“客服”获取联系电话。")


def answer(message):
    """The reply text for a pushed message or event, or None for no reply."""
    if message.type == "event":
        return _event(message)
    if message.type == "text":
        content = (message.content or "").strip()
        for words, topic in KEYWORDS:
            if any(w in content for w in words):
                return ANSWERS[topic]()
        return "您好！回复“进度”查看学习进度，“证书”打印证书，“客服”获取联系电话。"
    return None


def _event(message):
    cfg = current_app.config
    if message.event in ("subscribe", "subscribe_scan", "unsubscribe"):
        identity = login.identity_for("mp", cfg["WECHAT_MP_APPID"], message.source)
        following = message.event != "unsubscribe"
        WechatIdentity.update(subscribed=following).where(WechatIdentity.id == identity.id).execute()
        return welcome() if following else None
    if message.event == "click" and message.key == CLICK_CONTACT:
        return _contact()
    return None
