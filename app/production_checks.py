"""Why a configuration must not run in production: secrets missing or left at their development values,
a deployment that is not one (local hosts, files that are not there), WeChat pointed at the sandbox.

APP_ENV=production refuses to start with any of these (app/__init__.py).
"""
import os
from urllib.parse import urlsplit

from app.config import DEV_CERT_SIGNING_KEY, DEV_PII_KEYS, DEV_SECRET

LOCAL_HOSTS = {"localhost", "0.0.0.0", "::1"}
OFFICIAL_WECHAT_HOSTS = {"https://api.weixin.qq.com", "https://open.weixin.qq.com", "https://api.mch.weixin.qq.com"}


def check_production(cfg):
    """Return the reasons this configuration must not run in production."""
    return _secret_problems(cfg) + _deployment_problems(cfg) + _wechat_problems(cfg)


def _secret_problems(cfg):
    problems = []
    if not cfg.get("SECRET_KEY") or cfg["SECRET_KEY"] == DEV_SECRET or len(cfg["SECRET_KEY"]) < 32:
        problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
    key = cfg.get("CERT_SIGNING_KEY") or ""
    if key == DEV_CERT_SIGNING_KEY or len(key) < 32:
        problems.append("CERT_SIGNING_KEY must be set to a random value of at least 32 characters")
    elif key == cfg.get("SECRET_KEY"):
        problems.append("CERT_SIGNING_KEY must differ from SECRET_KEY (one leaked key must not forge both)")
    p12, module = cfg.get("CERT_SIGNER_P12_PATH") or "", cfg.get("CERT_SIGNER_PKCS11_MODULE") or ""
    if module:
        if not os.path.isfile(module) or not (cfg.get("CERT_SIGNER_PKCS11_TOKEN")
                                               and cfg.get("CERT_SIGNER_PKCS11_KEY_LABEL")):
            problems.append("CERT_SIGNER_PKCS11_MODULE must name the PKCS#11 module, with CERT_SIGNER_PKCS11_TOKEN, "
                            "CERT_SIGNER_PKCS11_PIN and CERT_SIGNER_PKCS11_KEY_LABEL")
    elif not p12 or not os.path.isfile(p12):
        problems.append("CERT_SIGNER_P12_PATH must name the PKCS#12 file of the certificate signer "
                        "(a signing certificate from a licensed CA) and CERT_SIGNER_P12_PASSPHRASE its passphrase, "
                        "or CERT_SIGNER_PKCS11_MODULE a hardware module holding its key")
    if not cfg.get("CERT_TRUST_ROOT_PATH") or not os.path.isfile(cfg["CERT_TRUST_ROOT_PATH"]):
        problems.append("CERT_TRUST_ROOT_PATH must name the PEM file of the signer's root certificate")
    if cfg.get("STORAGE_BACKEND") == "s3" and not cfg.get("STORAGE_S3_BUCKET"):
        problems.append("STORAGE_S3_BUCKET is required for STORAGE_BACKEND=s3")
    if not cfg.get("PII_KEYS") or cfg["PII_KEYS"] == DEV_PII_KEYS:
        problems.append("PII_KEYS must be set (generate with `flask keys new`)")
    return problems


def _deployment_problems(cfg):
    problems = []
    if cfg.get("DEBUG") or cfg.get("FLASK_DEBUG"):
        problems.append("FLASK_DEBUG must be off in production (the debugger runs code for whoever reaches it)")
    base = urlsplit(str(cfg.get("PUBLIC_BASE_URL") or ""))
    if base.scheme != "https" or not base.hostname or base.hostname in LOCAL_HOSTS \
            or base.hostname.startswith("127."):
        problems.append("PUBLIC_BASE_URL must be the public https:// address (it is printed in certificate QR codes)")
    if str(cfg.get("DATABASE_URL", "")).startswith("sqlite"):
        problems.append("DATABASE_URL must point at PostgreSQL in production")
    if cfg.get("SMS_PROVIDER") == "outbox":
        problems.append("SMS_PROVIDER=outbox only writes codes to a developer outbox; configure a gateway")
    if cfg.get("SMS_PROVIDER") == "http":
        if not (cfg.get("SMS_GATEWAY_URL") and cfg.get("SMS_GATEWAY_SECRET")):
            problems.append("SMS_GATEWAY_URL and SMS_GATEWAY_SECRET are required for SMS_PROVIDER=http")
        elif not str(cfg["SMS_GATEWAY_URL"]).startswith("https://"):
            problems.append("SMS_GATEWAY_URL must use https:// (codes and mobiles travel in it)")
    if str(cfg.get("MAIL_SMTP_HOST", "")) in ("", "127.0.0.1", "localhost") or cfg.get("MAIL_FROM", "").endswith(
            "@localhost"):
        problems.append("MAIL_SMTP_HOST and MAIL_FROM must name the real mail relay and sender in production")
    if int(cfg.get("LEARNING_MAX_GAP_SECONDS") or 0) < 2 * int(cfg.get("LEARNING_HEARTBEAT_SECONDS") or 0):
        problems.append("LEARNING_MAX_GAP_SECONDS must be at least twice LEARNING_HEARTBEAT_SECONDS "
                        "(one lost heartbeat must not cost the learner the time it covered)")
    if not cfg.get("SESSION_COOKIE_SECURE"):
        problems.append("SESSION_COOKIE_SECURE must be on in production (HTTPS only)")
    return problems


def _wechat_problems(cfg):
    problems = []
    sandbox_hosts = [k for k in ("WECHAT_SANDBOX_URL", "WECHAT_API_BASE", "WECHAT_OPEN_BASE", "WECHATPAY_GATEWAY")
                     if cfg.get(k) and cfg[k].rstrip("/") not in OFFICIAL_WECHAT_HOSTS]
    if sandbox_hosts:
        problems.append("WeChat URLs must be WeChat's own in production, not the sandbox: " + ", ".join(sandbox_hosts))
    missing = [k for k in ("WECHAT_MP_APPID", "WECHAT_MP_SECRET", "WECHAT_MP_TOKEN", "WECHAT_MP_AES_KEY",
                           "WECHAT_MINI_APPID", "WECHAT_MINI_SECRET", "WECHAT_TEMPLATE_IDS",
                           "WECHAT_SUBSCRIBE_IDS") if not cfg.get(k)]
    if missing:
        problems.append("WeChat settings missing: " + ", ".join(missing))
    aes = cfg.get("WECHAT_MP_AES_KEY") or ""
    if aes and len(aes) != 43:
        problems.append("WECHAT_MP_AES_KEY must be the 43-character EncodingAESKey from the official account")
    pay_missing = [k for k in ("WECHATPAY_MCHID", "WECHATPAY_APIV3_KEY", "WECHATPAY_PRIVATE_KEY_PATH",
                               "WECHATPAY_CERT_SERIAL", "WECHATPAY_PUBLIC_KEY_PATH", "WECHATPAY_PUBLIC_KEY_ID")
                   if not cfg.get(k)]
    if pay_missing:
        problems.append("WeChat Pay merchant settings missing: " + ", ".join(pay_missing))
    elif len(cfg["WECHATPAY_APIV3_KEY"]) != 32:
        problems.append("WECHATPAY_APIV3_KEY must be the merchant's 32-character APIv3 key")
    return problems
