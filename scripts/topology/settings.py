"""Ports, folders and the environment every node of the local topology shares (all configurable)."""
import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _env_int(name, default):
    return int(os.environ.get(name, default))


@dataclass
class Cluster:
    """The topology's settings, read from CLUSTER_* variables (defaults: the ports of this project)."""

    dir: Path = field(default_factory=lambda: Path(os.environ.get("CLUSTER_DIR", ROOT / "instance" / "cluster")))
    nginx_port: int = field(default_factory=lambda: _env_int("CLUSTER_NGINX_PORT", 8480))
    web_ports: tuple = field(default_factory=lambda: tuple(
        int(p) for p in os.environ.get("CLUSTER_WEB_PORTS", "8481,8482").split(",")))
    web_workers: int = field(default_factory=lambda: _env_int("CLUSTER_WEB_WORKERS", 2))
    web_threads: int = field(default_factory=lambda: _env_int("CLUSTER_WEB_THREADS", 8))
    job_workers: int = field(default_factory=lambda: _env_int("CLUSTER_JOB_WORKERS", 2))
    redis_ports: tuple = field(default_factory=lambda: tuple(
        int(p) for p in os.environ.get("CLUSTER_REDIS_PORTS", "6390,6391").split(",")))
    sentinel_ports: tuple = field(default_factory=lambda: tuple(
        int(p) for p in os.environ.get("CLUSTER_SENTINEL_PORTS", "26390,26391,26392").split(",")))
    sentinel_master: str = field(default_factory=lambda: os.environ.get("CLUSTER_SENTINEL_MASTER", "ce-primary"))
    sentinel_down_ms: int = field(default_factory=lambda: _env_int("CLUSTER_SENTINEL_DOWN_MS", 1000))
    s3_port: int = field(default_factory=lambda: _env_int("CLUSTER_S3_PORT", 8490))
    sandbox_port: int = field(default_factory=lambda: _env_int("CLUSTER_SANDBOX_PORT", 8491))
    mail_port: int = field(default_factory=lambda: _env_int("CLUSTER_MAIL_PORT", 8492))
    postgres_admin_url: str = field(default_factory=lambda: os.environ.get(
        "CLUSTER_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    database: str = field(default_factory=lambda: os.environ.get("CLUSTER_DATABASE", "ce_cluster"))
    bucket: str = field(default_factory=lambda: os.environ.get("CLUSTER_BUCKET", "ce-cluster"))

    @property
    def database_url(self):
        base = self.postgres_admin_url.rsplit("/", 1)[0]
        return f"{base}/{self.database}"

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.nginx_port}"

    @property
    def sandbox_url(self):
        return f"http://127.0.0.1:{self.sandbox_port}"

    def path(self, *parts):
        return self.dir.joinpath(*parts)

    def app_env(self):
        """The environment of every app process (web, worker, clock, sandbox, migrations)."""
        env = dict(os.environ)
        env.update({
            "APP_ENV": "development", "FLASK_APP": "wsgi", "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": self.database_url, "DB_POOL_SIZE": os.environ.get("DB_POOL_SIZE", "4"),
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_ports[0]}/0",
            "REDIS_SENTINELS": ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports),
            "REDIS_SENTINEL_MASTER": self.sentinel_master,
            "PUBLIC_BASE_URL": self.base_url, "PROXY_COUNT": "1",
            "STORAGE_BACKEND": "s3", "STORAGE_S3_BUCKET": self.bucket,
            "STORAGE_S3_ENDPOINT_URL": f"http://127.0.0.1:{self.s3_port}", "STORAGE_S3_REGION": "us-east-1",
            "STORAGE_S3_ACCESS_KEY": "cluster", "STORAGE_S3_SECRET_KEY": "cluster-secret",
            "WECHAT_SANDBOX_URL": self.sandbox_url,
            "WECHAT_SANDBOX_DIR": str(self.path("wechat-sandbox")),
            "WECHATPAY_PUBLIC_KEY_PATH": str(self.path("wechat-sandbox", "pub_key.pem")),
            "WECHATPAY_PRIVATE_KEY_PATH": str(self.path("wechatpay", "apiclient_key.pem")),
            "CERT_PKI_DIR": str(self.path("pki")),
            "MAIL_SMTP_HOST": "127.0.0.1", "MAIL_SMTP_PORT": str(self.mail_port),
            "MAIL_OUTBOX_DIR": str(self.path("mail-outbox")),
        })
        for name, default in (("RQ_MAINTENANCE_INTERVAL", "60"), ("RQ_JOB_MONITORING_INTERVAL", "10"),
                              ("DURABLE_SWEEP_SECONDS", "10"), ("DURABLE_JOB_GRACE_SECONDS", "30")):
            env.setdefault(name, default)
        return env
