"""`flask certs ...`: operators manage units, look up, revoke and re-issue certificates (English output)."""
import click
from flask.cli import AppGroup

from app.db import db
from app.errors import ApiError

certs_cli = AppGroup("certs", help="Certificates: units, revoking, re-issuing.")

# Fictional employers for a local run (clearly marked as demo data).
DEMO_UNITS = [
    ("重庆示范建筑设计研究院（演示）", "500103"),
    ("重庆示范第一人民医院（演示）", "500105"),
    ("渝北区示范中学（演示）", "500112"),
    ("沙坪坝区示范社区卫生服务中心（演示）", "500106"),
    ("重庆示范交通工程有限公司（演示）", "500108"),
    ("万州区示范农业技术推广站（演示）", "500101"),
]


def _mask_name(name):
    return (name[:1] + "*" * (len(name) - 1)) if name else ""


def _fail(err):
    raise click.ClickException(f"{err.code}: {err.message}")


def seed_demo_units():
    """Add the demo units (idempotent); returns lines to print."""
    from app.certs.orgs import add_unit

    return [f"unit     {add_unit(name, code)[0].name}" for name, code in DEMO_UNITS]


@certs_cli.command("seed-demo-units")
def seed_units_command():
    """Add a few fictional units for a local run (idempotent)."""
    with db.connection_context():
        for line in seed_demo_units():
            click.echo(line)


@certs_cli.command("unit-add")
@click.argument("name")
@click.option("--district", default="", help="District code (GB/T 2260), e.g. 500103; see `flask certs districts`.")
def unit_add(name, district):
    """Add a unit learners can pick (or re-activate one with that name)."""
    from app.certs.orgs import add_unit

    with db.connection_context():
        try:
            unit, created = add_unit(name, district)
        except ApiError as err:
            _fail(err)
    click.echo(f"unit {unit.id} {'added' if created else 'already listed (active)'}")


@certs_cli.command("units")
@click.option("--q", default="", help="Part of the name.")
@click.option("--all", "show_all", is_flag=True, help="Include inactive units.")
def units(q, show_all):
    """List units."""
    from app.certs.models import Unit

    with db.connection_context():
        query = Unit.select().order_by(Unit.name)
        if q:
            query = query.where(Unit.name.contains(q))
        if not show_all:
            query = query.where(Unit.is_active == True)  # noqa: E712
        for unit in query:
            click.echo(f"{unit.id:6} {'active  ' if unit.is_active else 'inactive'} {unit.district_code or '-':6} "
                       f"{unit.name}")


@certs_cli.command("unit-disable")
@click.argument("unit_id", type=int)
def unit_disable(unit_id):
    """Hide a unit from the list (certificates already printed keep its name)."""
    from app.certs.orgs import set_unit_active

    with db.connection_context():
        if not set_unit_active(unit_id, False):
            raise click.ClickException(f"unit {unit_id} not found")
    click.echo(f"unit {unit_id} disabled")


@certs_cli.command("districts")
def districts():
    """Chongqing's districts and counties with their codes."""
    from app.certs.districts import DISTRICTS

    for code, name in DISTRICTS:
        click.echo(f"{code} {name}")


@certs_cli.command("show")
@click.argument("number")
def show(number):
    """A certificate's status and data (name masked)."""
    from app.certs.service import find, status_text
    from app.certs.verify import verify_number

    with db.connection_context():
        try:
            cert = find(number)
        except ApiError as err:
            _fail(err)
        check = verify_number(cert.number)
    click.echo(f"certificate {cert.number}: {cert.status} ({status_text(cert.status)}); "
               f"record check: {'ok' if check['state'] != 'error' else 'FINGERPRINT MISMATCH'}")
    click.echo(f"  account #{cert.user_id} {_mask_name(cert.name)} {cert.id_number_masked}; project #{cert.project_id} "
               f"{cert.year}, {cert.credit_hours} hours")
    click.echo(f"  issued {cert.issued_at:%Y-%m-%d %H:%M:%S} UTC; revoked {cert.revoked_at or '-'} "
               f"{cert.revoke_reason}; replaced {cert.replaced_at or '-'}")


@certs_cli.command("revoke")
@click.argument("number")
@click.option("--reason", required=True, help="Why (kept with the certificate).")
def revoke(number, reason):
    """Revoke a certificate: the verification page then says revoked, with the date."""
    from app.certs.service import revoke as do_revoke

    with db.connection_context():
        try:
            cert = do_revoke(number, reason)
        except ApiError as err:
            _fail(err)
        from app.staff import audit

        audit.record("certificate.revoke", "certificate", cert.number, {"status": "valid"},
                     {"status": cert.status}, {"reason": reason, "by": "operator command"})
    click.echo(f"certificate {cert.number} revoked")


@certs_cli.command("reissue")
@click.argument("number")
@click.option("--unit-id", type=int, default=None, help="Corrected unit.")
@click.option("--district", default=None, help="Corrected district code (when the unit is not listed).")
def reissue(number, unit_id, district):
    """After a data correction: a new certificate from the current account data; the old one is replaced."""
    from app.certs.service import reissue as do_reissue

    with db.connection_context():
        try:
            cert = do_reissue(number, None, unit_id, district)
        except ApiError as err:
            _fail(err)
        from app.staff import audit

        audit.record("certificate.reissue", "certificate", number, {"number": number},
                     {"number": cert.number, "status": cert.status}, {"by": "operator command"})
    click.echo(f"certificate {number} replaced by {cert.number}")
