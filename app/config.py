"""Configuration read from the environment, with safe development defaults.

Production (APP_ENV=production) refuses to start when a secret is missing or
still has its development value; see app/production_checks.py.
"""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-key-not-for-production"
# A fixed development key so a laptop database survives restarts; production must set its own.
DEV_PII_KEYS = "dev1:ZGV2LW9ubHktcGlpLWtleS0zMi1ieXRlcy1sb25nISE="
DEV_CERT_SIGNING_KEY = "dev-only-certificate-signing-key-not-for-production"


def _bool(value, default=False):
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _int(name, default):
    return int(os.environ.get(name, default))


class Config:
    """Every setting, read from the environment once at start-up."""

    def __init__(self, env=None):
        e = os.environ
        self.APP_ENV = env or e.get("APP_ENV", "development")
        self.SECRET_KEY = e.get("SECRET_KEY", DEV_SECRET)
        self.FLASK_DEBUG = _bool(e.get("FLASK_DEBUG"))
        self.DATABASE_URL = e.get("DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'app.sqlite3'}")
        # Connections kept per process for PostgreSQL (0: connect per request without a pool).
        self.DB_POOL_SIZE = _int("DB_POOL_SIZE", 10)
        self.REDIS_URL = e.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        self.PUBLIC_BASE_URL = e.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
        # PII encryption keys: "id:base64key,id:base64key"; the first one encrypts, all decrypt.
        self.PII_KEYS = e.get("PII_KEYS", DEV_PII_KEYS)
        # Password hashing (argon2id). Defaults follow OWASP's minimum (19 MiB, t=2).
        self.ARGON2_TIME_COST = _int("ARGON2_TIME_COST", 2)
        self.ARGON2_MEMORY_KIB = _int("ARGON2_MEMORY_KIB", 19456)
        self.ARGON2_PARALLELISM = _int("ARGON2_PARALLELISM", 1)
        # Sessions and cookies.
        self.SESSION_COOKIE_NAME = "ce_sid"
        self.SESSION_COOKIE_SECURE = _bool(e.get("SESSION_COOKIE_SECURE"), self.APP_ENV == "production")
        self.SESSION_LIFETIME = _int("SESSION_LIFETIME", 7 * 24 * 3600)
        self.API_TOKEN_LIFETIME = _int("API_TOKEN_LIFETIME", 30 * 24 * 3600)
        self.MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 64 * 1024)
        # Number of trusted reverse proxies (load balancer) in front of the app, for client IPs.
        self.PROXY_COUNT = _int("PROXY_COUNT", 0)
        # Login throttling.
        self.LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)
        self.LOGIN_IP_MAX_FAILURES = _int("LOGIN_IP_MAX_FAILURES", 30)
        # Failures fade after LOGIN_FAIL_WINDOW; past the free ones each makes the next attempt wait,
        # doubling from LOGIN_BASE_DELAY up to LOGIN_MAX_DELAY (app/accounts/throttle.py).
        self.LOGIN_FAIL_WINDOW = _int("LOGIN_FAIL_WINDOW", 3600)
        # Registration steps (code requests and submissions) per network address and hour.
        self.REGISTER_IP_HOURLY_LIMIT = _int("REGISTER_IP_HOURLY_LIMIT", 30)
        self.LOGIN_BASE_DELAY = _int("LOGIN_BASE_DELAY", 30)
        self.LOGIN_MAX_DELAY = _int("LOGIN_MAX_DELAY", 15 * 60)
        # SMS codes.
        self.SMS_PROVIDER = e.get("SMS_PROVIDER", "outbox")
        self.SMS_GATEWAY_URL = e.get("SMS_GATEWAY_URL", "")
        self.SMS_GATEWAY_SECRET = e.get("SMS_GATEWAY_SECRET", "")
        self.SMS_CODE_TTL = _int("SMS_CODE_TTL", 5 * 60)
        self.SMS_RESEND_SECONDS = _int("SMS_RESEND_SECONDS", 60)
        self.SMS_DAILY_LIMIT = _int("SMS_DAILY_LIMIT", 10)
        self.SMS_IP_HOURLY_LIMIT = _int("SMS_IP_HOURLY_LIMIT", 20)
        self.SMS_MAX_ATTEMPTS = _int("SMS_MAX_ATTEMPTS", 5)
        # Bulk registration: how long an unused initial password works (see app/accounts/first_login.py).
        self.BULK_INITIAL_PASSWORD_DAYS = _int("BULK_INITIAL_PASSWORD_DAYS", 30)
        self.BULK_UPLOADS_PER_HOUR = _int("BULK_UPLOADS_PER_HOUR", 20)
        # Background jobs.
        self.QUEUE_NAME = e.get("QUEUE_NAME", "default")
        self.JOB_RETRY = e.get("JOB_RETRY", "10,30,120,600")
        # Learning: heartbeats and anti-idle prompts (see app/learning/playback.py).
        production = self.APP_ENV == "production"  # every 15 s, a silence of up to 60 s: docs/capacity.md
        self.LEARNING_HEARTBEAT_SECONDS = _int("LEARNING_HEARTBEAT_SECONDS", 15 if production else 5)
        self.LEARNING_TOLERANCE_MS = _int("LEARNING_TOLERANCE_MS", 1000)
        self.LEARNING_MAX_GAP_SECONDS = _int("LEARNING_MAX_GAP_SECONDS", 60 if production else 30)
        self.LEARNING_COMPLETE_TOLERANCE = _int("LEARNING_COMPLETE_TOLERANCE", 2)
        self.LEARNING_PROMPT_MIN_SECONDS = _int("LEARNING_PROMPT_MIN_SECONDS", 180)
        self.LEARNING_PROMPT_MAX_SECONDS = _int("LEARNING_PROMPT_MAX_SECONDS", 420)
        self.LEARNING_PROMPT_ATTEMPTS = _int("LEARNING_PROMPT_ATTEMPTS", 3)
        # After that many wrong answers in a row (per learner, across devices): a wait before learning again.
        self.LEARNING_PROMPT_COOLDOWN_SECONDS = _int("LEARNING_PROMPT_COOLDOWN_SECONDS", 300)
        self.LEARNING_FLUSH_SECONDS = _int("LEARNING_FLUSH_SECONDS", 10)
        # Refused heartbeats kept in detail per learner and window; beyond that, counted per learner and reason.
        self.LEARNING_EVENTS_PER_LEARNER = _int("LEARNING_EVENTS_PER_LEARNER", 60)
        self.LEARNING_EVENTS_WINDOW_SECONDS = _int("LEARNING_EVENTS_WINDOW_SECONDS", 60)
        # Contact block shown on every page.
        # Customer service: the operating manual's lines and mailboxes are the defaults.
        self.CONTACT_ACCOUNT_PHONE = e.get("CONTACT_ACCOUNT_PHONE", "400-023-9229")
        self.CONTACT_ACCOUNT_KEY = e.get("CONTACT_ACCOUNT_KEY", "按 1 选择登录注册问题")
        self.CONTACT_TECH_PHONE = e.get("CONTACT_TECH_PHONE", "400-618-7500")
        self.CONTACT_TECH_KEY = e.get("CONTACT_TECH_KEY", "按 2 选择售后服务")
        self.CONTACT_REGISTER_MAIL = e.get("CONTACT_REGISTER_MAIL", "2020gxkm@cqhrsp.com")
        self.CONTACT_BACKFILL_MAIL = e.get("CONTACT_BACKFILL_MAIL", "cqgxkm@cqhrsp.com")
        self.CONTACT_HOURS = e.get("CONTACT_HOURS", "工作日 9:00-17:30")
        self.PLATFORM_NAME = e.get("PLATFORM_NAME", "专业技术人员继续教育公需科目学习平台")
        self._topology(e)
        self._mail(e)
        self._certificates(e)
        self._wechat(e)
        self.TESTING = False

    def _topology(self, e):
        """Several nodes (README, "Production topology"): Redis Sentinel ("host:port,…"; REDIS_URL then only
        names the database), workers' queues, RQ's maintenance pass, the durable job outbox."""
        self.REDIS_SENTINELS = e.get("REDIS_SENTINELS", "")
        self.REDIS_SENTINEL_MASTER = e.get("REDIS_SENTINEL_MASTER", "ce-primary")
        self.REDIS_FAILOVER_RETRIES = _int("REDIS_FAILOVER_RETRIES", 20)
        self.WORKER_QUEUES = e.get("WORKER_QUEUES", "")  # comma-separated; empty: QUEUE_NAME
        self.RQ_MAINTENANCE_INTERVAL = _int("RQ_MAINTENANCE_INTERVAL", 600)
        self.RQ_JOB_MONITORING_INTERVAL = _int("RQ_JOB_MONITORING_INTERVAL", 30)  # abandoned after this + 60 s
        self.DURABLE_JOB_GRACE_SECONDS = _int("DURABLE_JOB_GRACE_SECONDS", 120)  # doubled after each attempt…
        self.DURABLE_JOB_MAX_BACKOFF_SECONDS = _int("DURABLE_JOB_MAX_BACKOFF_SECONDS", 3600)  # …up to this
        self.DURABLE_JOB_MAX_ATTEMPTS = _int("DURABLE_JOB_MAX_ATTEMPTS", 12)  # then "failed", for an operator
        self.DURABLE_SWEEP_SECONDS = _int("DURABLE_SWEEP_SECONDS", 30)

    def _mail(self, e):
        """Outgoing mail (app/mail): an SMTP relay; development uses scripts/dev's local aiosmtpd server."""
        self.MAIL_SMTP_HOST = e.get("MAIL_SMTP_HOST", "127.0.0.1")
        self.MAIL_SMTP_PORT = _int("MAIL_SMTP_PORT", 5025)
        self.MAIL_SMTP_SECURITY = e.get("MAIL_SMTP_SECURITY", "")  # "", "starttls" or "ssl"
        self.MAIL_SMTP_USER = e.get("MAIL_SMTP_USER", "")
        self.MAIL_SMTP_PASSWORD = e.get("MAIL_SMTP_PASSWORD", "")
        self.MAIL_FROM = e.get("MAIL_FROM", "noreply@localhost")
        # Where the development SMTP server stores what it receives (read by /dev/mail).
        self.MAIL_OUTBOX_DIR = e.get("MAIL_OUTBOX_DIR", str(ROOT / "instance" / "mail-outbox"))

    def _certificates(self, e):
        """Certificates (app/certs): the issuing body, the fingerprint key, the embedded font, links."""
        self.CERT_ISSUER = e.get("CERT_ISSUER", self.PLATFORM_NAME)
        self.CERT_SIGNING_KEY = e.get("CERT_SIGNING_KEY", DEV_CERT_SIGNING_KEY)
        # Earlier keys, comma-separated: certificates fingerprinted with them still verify.
        self.CERT_SIGNING_OLD_KEYS = e.get("CERT_SIGNING_OLD_KEYS", "")
        self.CERT_FONT_PATH = e.get("CERT_FONT_PATH", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
        self.CERT_LINK_DAYS = _int("CERT_LINK_DAYS", 7)
        # Characters the main font lacks (CJK Extension B in names) are drawn with this TrueType font.
        self.CERT_FALLBACK_FONT_PATH = e.get("CERT_FALLBACK_FONT_PATH",
                                             "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf")
        # The full ID number on the PDF (the learner's document for title review); pages keep it masked.
        self.CERT_PRINT_FULL_ID = _bool(e.get("CERT_PRINT_FULL_ID"), True)
        # The PAdES signer: a PKCS#12 file (key + certificate + chain) and its passphrase. Development
        # makes a platform root CA and a signer under CERT_PKI_DIR on first start; production requires these.
        self.CERT_SIGNER_P12_PATH = e.get("CERT_SIGNER_P12_PATH", "")
        self.CERT_SIGNER_P12_PASSPHRASE = e.get("CERT_SIGNER_P12_PASSPHRASE", "")
        # Or a key on a hardware module through PKCS#11: the module (.so), the token's label, the user
        # PIN, the label of the key and of its certificate on the token.
        self.CERT_SIGNER_PKCS11_MODULE = e.get("CERT_SIGNER_PKCS11_MODULE", "")
        self.CERT_SIGNER_PKCS11_TOKEN = e.get("CERT_SIGNER_PKCS11_TOKEN", "")
        self.CERT_SIGNER_PKCS11_PIN = e.get("CERT_SIGNER_PKCS11_PIN", "")
        self.CERT_SIGNER_PKCS11_KEY_LABEL = e.get("CERT_SIGNER_PKCS11_KEY_LABEL", "")
        # The root certificate(s) published on the verification page and trusted by it (PEM file);
        # empty in development: the generated root under CERT_PKI_DIR.
        self.CERT_TRUST_ROOT_PATH = e.get("CERT_TRUST_ROOT_PATH", "")
        self.CERT_PKI_DIR = e.get("CERT_PKI_DIR", str(ROOT / "instance" / "pki"))
        # Files the platform keeps (app/storage): "local" (a folder) or "s3" (an S3-compatible bucket).
        self.STORAGE_BACKEND = e.get("STORAGE_BACKEND", "local")
        self.STORAGE_LOCAL_DIR = e.get("STORAGE_LOCAL_DIR", str(ROOT / "instance" / "storage"))
        self.STORAGE_S3_BUCKET = e.get("STORAGE_S3_BUCKET", "")
        self.STORAGE_S3_ENDPOINT_URL = e.get("STORAGE_S3_ENDPOINT_URL", "")
        self.STORAGE_S3_REGION = e.get("STORAGE_S3_REGION", "")
        self.STORAGE_S3_ACCESS_KEY = e.get("STORAGE_S3_ACCESS_KEY", "")
        self.STORAGE_S3_SECRET_KEY = e.get("STORAGE_S3_SECRET_KEY", "")
        self.STORAGE_S3_PREFIX = e.get("STORAGE_S3_PREFIX", "")
        # Content (app/content): nginx's internal location for local files, the video queue and limits.
        self.STORAGE_ACCEL_PREFIX = e.get("STORAGE_ACCEL_PREFIX", "")
        self.VIDEO_QUEUE_NAME = e.get("VIDEO_QUEUE_NAME", self.QUEUE_NAME + "-video")
        self.VIDEO_LINK_SECONDS = _int("VIDEO_LINK_SECONDS", 600)

    def _wechat(self, e):
        """WeChat apps and WeChat Pay. Development points every SDK at the project's sandbox."""
        dev = self.APP_ENV != "production"
        sandbox = e.get("WECHAT_SANDBOX_URL", "http://127.0.0.1:5001" if dev else "")
        self.WECHAT_SANDBOX_URL = sandbox
        self.WECHAT_API_BASE = e.get("WECHAT_API_BASE", sandbox or "https://api.weixin.qq.com")
        self.WECHAT_OPEN_BASE = e.get("WECHAT_OPEN_BASE", sandbox or "https://open.weixin.qq.com")
        self.WECHATPAY_GATEWAY = e.get("WECHATPAY_GATEWAY", sandbox or "https://api.mch.weixin.qq.com")
        # Official account (公众号).
        self.WECHAT_MP_APPID = e.get("WECHAT_MP_APPID", "wxd0e0a0000000mp01" if dev else "")
        self.WECHAT_MP_SECRET = e.get("WECHAT_MP_SECRET", "dev-mp-secret-0123456789abcdef" if dev else "")
        self.WECHAT_MP_TOKEN = e.get("WECHAT_MP_TOKEN", "devmptoken" if dev else "")
        self.WECHAT_MP_AES_KEY = e.get("WECHAT_MP_AES_KEY",
                                       "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" if dev else "")
        # Pushes older (or newer) than this many seconds are refused; nonces are remembered twice as long.
        self.WECHAT_MP_MAX_AGE = int(e.get("WECHAT_MP_MAX_AGE", "300"))
        # Refuse plain-mode pushes: only safe mode's message signature covers the body.
        self.WECHAT_MP_SAFE_MODE_ONLY = _bool(e.get("WECHAT_MP_SAFE_MODE_ONLY"), default=not dev)
        # Mini-program (小程序).
        self.WECHAT_MINI_APPID = e.get("WECHAT_MINI_APPID", "wxd0e0a000000mini1" if dev else "")
        self.WECHAT_MINI_SECRET = e.get("WECHAT_MINI_SECRET", "dev-mini-secret-0123456789abcd" if dev else "")
        # Template ids as JSON {name: id}: official-account templates and mini-program subscribe templates.
        self.WECHAT_TEMPLATE_IDS = e.get("WECHAT_TEMPLATE_IDS", "")
        self.WECHAT_SUBSCRIBE_IDS = e.get("WECHAT_SUBSCRIBE_IDS", "")
        # WeChat Pay v3 (public-key mode). Development keys are generated under instance/.
        self.WECHATPAY_MCHID = e.get("WECHATPAY_MCHID", "1900000109" if dev else "")
        self.WECHATPAY_APIV3_KEY = e.get("WECHATPAY_APIV3_KEY", "dev-apiv3-key-0123456789abcdefgh" if dev else "")
        self.WECHATPAY_PRIVATE_KEY_PATH = e.get(
            "WECHATPAY_PRIVATE_KEY_PATH", str(ROOT / "instance" / "wechatpay" / "apiclient_key.pem") if dev else "")
        self.WECHATPAY_CERT_SERIAL = e.get("WECHATPAY_CERT_SERIAL", "")  # derived from the dev key when empty
        self.WECHATPAY_PUBLIC_KEY_PATH = e.get(
            "WECHATPAY_PUBLIC_KEY_PATH", str(ROOT / "instance" / "wechat-sandbox" / "pub_key.pem") if dev else "")
        self.WECHATPAY_PUBLIC_KEY_ID = e.get("WECHATPAY_PUBLIC_KEY_ID", "PUB_KEY_ID_01190000010920261126000000000001"
                                             if dev else "")
        # Where the sandbox keeps its own keys (the WeChat Pay platform key) when it runs.
        self.WECHAT_SANDBOX_DIR = e.get("WECHAT_SANDBOX_DIR", str(ROOT / "instance" / "wechat-sandbox"))

    @property
    def is_production(self):
        return self.APP_ENV == "production"

    @property
    def is_development(self):
        return self.APP_ENV == "development"

    def as_dict(self):
        return {k: getattr(self, k) for k in dir(self) if k.isupper()}
