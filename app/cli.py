"""Operator commands (`flask --app wsgi ...`); messages in English, the logic lives in the features."""
import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from app.accounts import rules, service
from app.db import db
from app.errors import ApiError

staff_cli = AppGroup("staff", help="Staff accounts.")
keys_cli = AppGroup("keys", help="Encryption keys for personal data.")
demo_cli = AppGroup("demo", help="Demo content for a local run.")
jobs_cli = AppGroup("jobs", help="Background worker and clock.")
wechat_cli = AppGroup("wechat", help="The official account.")


def _clean(func, value, label):
    try:
        return func(value)
    except ValueError as exc:
        raise click.BadParameter(f"{label}: {exc}") from None


@staff_cli.command("create")
@click.option("--name", required=True)
@click.option("--id-number", required=True)
@click.option("--mobile", required=True)
@click.option("--username", default=None, help="Login name (letters first); defaults to the ID number.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", "roles_", multiple=True, default=["admin"], show_default=True,
              help="Console role (repeatable): service_desk, finance, reviewer, content_editor, admin.")
def staff_create(name, id_number, mobile, username, password, roles_):
    """Create a staff account with its console roles."""
    from app.staff import roles

    for role in roles_:
        if role not in roles.ROLES:
            raise click.BadParameter(f"role: unknown role {role!r}")
    id_number = _clean(rules.clean_id_number, id_number, "ID number")
    with db.connection_context():
        try:
            user = service.create_user(
                name=_clean(rules.clean_name, name, "name"), id_number=id_number,
                mobile=_clean(rules.clean_mobile, mobile, "mobile"), gender=rules.id_gender(id_number),
                password=_clean(rules.clean_password, password, "password"),
                username=_clean(rules.clean_username, username, "username") if username else None, role="staff")
        except ApiError as err:
            raise click.ClickException(f"cannot create staff account: {err.code}") from None
        for role in roles_:
            roles.grant(user, role)
    click.echo(f"staff account {user.id} created ({', '.join(roles_)})")


@keys_cli.command("new")
@click.option("--key-id", default=lambda: "k" + datetime.date.today().strftime("%Y%m%d"))
def keys_new(key_id):
    """Print a new key entry to put first in PII_KEYS."""
    from app.pii import new_key_spec

    click.echo(new_key_spec(key_id))


@keys_cli.command("rotate")
def keys_rotate():
    """Re-encrypt every account under the first key of PII_KEYS (then old keys can be removed)."""
    with db.connection_context():
        count = service.rotate_pii_keys()
    click.echo(f"re-encrypted {count} accounts under key {current_app.extensions['pii'].primary}")


@demo_cli.command("seed")
def demo_seed():
    """Create the demo accounts (idempotent)."""
    from app.certs.cli import seed_demo_units
    from app.demo import seed

    with db.connection_context():
        for line in seed() + seed_demo_units():
            click.echo(line)


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then stop.")
@click.option("--queue", "queues", multiple=True,
              help="A queue to listen to: default (QUEUE_NAME), video (VIDEO_QUEUE_NAME, transcoding) or a name "
                   "(repeat; default: WORKER_QUEUES or QUEUE_NAME).")
def jobs_worker(burst, queues):
    """Run a background worker on the job queues (RQ's maintenance interval from RQ_MAINTENANCE_INTERVAL)."""
    from rq import Worker

    from app.jobs import named_queue

    cfg, conn = current_app.config, current_app.extensions["rq_connection"]
    names = list(queues) or [q.strip() for q in (cfg.get("WORKER_QUEUES") or "").split(",") if q.strip()] \
        or [cfg["QUEUE_NAME"]]
    worker = Worker([named_queue(n) for n in names], connection=conn,
                    maintenance_interval=cfg["RQ_MAINTENANCE_INTERVAL"],
                    job_monitoring_interval=cfg["RQ_JOB_MONITORING_INTERVAL"])
    worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


@jobs_cli.command("durable")
def jobs_durable():
    """List the durable jobs that are not done (pending or failed), oldest first."""
    from app.jobs.durable import DurableJob

    rows = DurableJob.select().where(DurableJob.status != "done").order_by(DurableJob.id)
    for row in rows:
        click.echo(f"{row.id} {row.status} {row.func} key={row.key} attempts={row.attempts} "
                   f"due={row.due_at or '-'} error={row.last_error or '-'}")
    click.echo(f"{rows.count()} not done")


@jobs_cli.command("durable-retry")
@click.argument("row_id", type=int, required=False)
def jobs_durable_retry(row_id):
    """Queue failed durable jobs again (one by id, or all), with a fresh count of attempts."""
    from app.jobs.durable import retry

    ids = retry(row_id)
    click.echo(f"queued again: {ids}" if ids else "no failed durable job" + (f" with id {row_id}" if row_id else ""))


@jobs_cli.command("clock")
def jobs_clock():
    """Enqueue the periodic jobs on time (several clocks may run; each slot fires once)."""
    from app.jobs.clock import run_forever

    run_forever()


@wechat_cli.command("publish-menu")
def wechat_publish_menu():
    """Publish the official account's menu (app/wechat/menu.py) through WeChat's API."""
    import json

    import requests
    from wechatpy.exceptions import WeChatClientException

    from app.wechat.menu import publish

    try:
        definition = publish()
    except requests.RequestException as exc:
        raise click.ClickException(f"cannot reach the WeChat API at {current_app.config['WECHAT_API_BASE']}: "
                                   f"{type(exc).__name__}") from None
    except WeChatClientException as exc:
        raise click.ClickException(f"WeChat refused the menu: {exc.errcode} {exc.errmsg}") from None
    click.echo(json.dumps(definition, ensure_ascii=False, indent=2))
    click.echo("menu published")


def register(app):
    from app.backfill.cli import backfill_cli
    from app.certs.cli import certs_cli
    from app.pay.cli import pay_cli

    for group in (staff_cli, keys_cli, demo_cli, jobs_cli, wechat_cli, pay_cli, certs_cli, backfill_cli):
        app.cli.add_command(group)
