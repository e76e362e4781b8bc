"""Application factory: configuration, database, Redis, jobs, blueprints, errors, CLI."""
import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import Config
from app.production_checks import check_production


def create_app(test_config=None):
    """Build the app; `test_config` overrides settings (tests build the real app from a dict)."""
    app = Flask(__name__, instance_relative_config=False)
    settings = Config(env=(test_config or {}).get("APP_ENV")).as_dict()
    settings.update(test_config or {})
    app.config.update(settings)
    app.json.ensure_ascii = False  # Chinese stays readable in API answers
    if app.config["APP_ENV"] == "production":
        problems = check_production(app.config)
        if problems:
            raise RuntimeError("Refusing to start in production: " + "; ".join(problems))
    register_logging(app)
    register_routing(app)
    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    if not app.config.get("TESTING"):
        load_certificate_signer(app)
    return app


def load_certificate_signer(app):
    """The PAdES signer, loaded at start so that a wrong file or passphrase stops the start (development
    makes its root CA and signer under instance/ the first time)."""
    from app.certs import pki

    with app.app_context():
        try:
            pki.current()
        except pki.SignerMissing as exc:
            raise RuntimeError(f"Refusing to start: {exc}") from None


def register_logging(app):
    from app.masking import MaskingFormatter, install_log_masking

    install_log_masking()
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)


def register_routing(app):
    from app.api import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter


def register_extensions(app):
    from app import db, jobs, money, pii, redis_client, security
    from app.accounts import passwords
    from app.accounts.policy import forget_user

    proxies = int(app.config.get("PROXY_COUNT", 0) or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    db.init_app(app)
    money.init_app(app)
    redis_client.init_app(app)
    pii.init_app(app)
    passwords.init_app(app)
    security.init_app(app)
    app.before_request(forget_user)
    jobs.init_app(app)
    import app.periodic  # noqa: F401  (registers periodic jobs)


def register_blueprints(app):
    from app import staff
    from app.accounts import api as accounts_api
    from app.accounts import views as accounts_views
    from app.api import API_PREFIX, ApiBlueprint, register_meta_routes
    from app.bulk import api as bulk_api
    from app.bulk import staff_views as bulk_staff_views
    from app.bulk import views as bulk_views
    from app.certs import api as certs_api
    from app.certs import views as certs_views
    from app.consents import views as consents_views
    from app.core import views as core_views
    from app.dashboard import api as dashboard_api
    from app.dashboard import views as dashboard_views
    from app.errors import register_error_handlers
    from app.finance import recon_views as finance_reconciliation
    from app.finance import staff_views as finance_orders
    from app.learning import api as learning_api
    from app.learning import views as learning_views
    from app.mail import views as mail_views
    from app.pay import api as pay_api
    from app.pay import notify as pay_notify
    from app.pay import views as pay_views
    from app.units import api as units_api
    from app.units import staff_views as units_staff
    from app.units import views as units_views
    from app.wechat import api as wechat_api
    from app.wechat import callback as wechat_callback
    from app.wechat import views as wechat_views

    meta = ApiBlueprint("meta", __name__)
    register_meta_routes(meta)
    app.register_blueprint(meta, url_prefix=API_PREFIX)
    app.register_blueprint(accounts_api.bp, url_prefix=API_PREFIX)
    app.register_blueprint(accounts_views.bp)
    app.register_blueprint(core_views.bp)
    app.register_blueprint(wechat_api.bp, url_prefix=API_PREFIX)
    app.register_blueprint(wechat_views.bp)
    app.register_blueprint(wechat_callback.bp)
    app.register_blueprint(pay_notify.bp)
    wechat_views.init_app(app)
    app.register_blueprint(learning_api.bp, url_prefix=API_PREFIX)
    app.register_blueprint(learning_views.bp)
    app.register_blueprint(pay_api.bp, url_prefix=API_PREFIX)
    app.register_blueprint(pay_views.bp)
    app.register_blueprint(certs_api.bp, url_prefix=API_PREFIX)
    app.register_blueprint(certs_views.bp)
    app.register_blueprint(units_api.bp, url_prefix=API_PREFIX)
    app.register_blueprint(units_views.bp)
    app.register_blueprint(units_staff.bp)
    app.register_blueprint(mail_views.bp)
    app.register_blueprint(consents_views.bp)
    # E-invoices (我的发票).
    from app.invoices import api as invoices_api
    from app.invoices import notify as invoices_notify
    from app.invoices import staff_views as invoices_staff
    from app.invoices import views as invoices_views

    app.register_blueprint(invoices_api.bp, url_prefix=API_PREFIX)
    app.register_blueprint(invoices_views.bp)
    app.register_blueprint(invoices_staff.bp)
    app.register_blueprint(invoices_notify.bp)
    app.register_blueprint(bulk_api.bp, url_prefix=API_PREFIX)
    app.register_blueprint(bulk_views.bp)
    app.register_blueprint(bulk_staff_views.bp)
    app.register_blueprint(dashboard_api.bp, url_prefix=API_PREFIX)
    app.register_blueprint(dashboard_views.bp)
    staff.init_app(app)
    app.register_blueprint(finance_orders.bp)
    app.register_blueprint(finance_reconciliation.bp)
    from app.backfill import api as backfill_api
    from app.backfill import staff_views as backfill_staff
    from app.backfill import views as backfill_views

    app.register_blueprint(backfill_api.bp, url_prefix=API_PREFIX)
    app.register_blueprint(backfill_views.bp)
    app.register_blueprint(backfill_staff.bp)
    from app import content  # content, reports, announcements

    content.init_app(app)
    register_error_handlers(app)


def register_cli(app):
    from app.cli import register

    register(app)
