"""Learning integrity: a refused-heartbeat record may stand for several (beyond a learner's share of
detailed records, refusals are counted per learner and reason)."""
from peewee import IntegerField


def up(migrator, db):
    migrator.migrate(migrator.add_column("learning_event", "count", IntegerField(default=1)))
