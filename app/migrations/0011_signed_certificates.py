"""Signed certificates: where the signed PDF is kept (app/storage) and its SHA-256."""
from peewee import CharField


def up(migrator, db):
    migrator.migrate(migrator.add_column("certificate", "pdf_key", CharField(max_length=200, default="")),
                     migrator.add_column("certificate", "pdf_sha256", CharField(max_length=64, default="")))
