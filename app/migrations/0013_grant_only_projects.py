"""Projects that are never sold, only granted (earlier years' plans for back-fill, 补学)."""
from peewee import BooleanField


def up(migrator, db):
    migrator.migrate(migrator.add_column("project", "grant_only", BooleanField(default=False)))
