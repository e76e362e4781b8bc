"""Chapter videos: the pending upload's key, the job's last sign of life and its attempts, so that a
transcode whose worker died is queued again (app/content/video.py `sweep_stalled`)."""
from peewee import CharField, DateTimeField, IntegerField


def up(migrator, db):
    migrator.migrate(migrator.add_column("chapter", "video_upload_key", CharField(max_length=300, null=True)),
                     migrator.add_column("chapter", "video_touched_at", DateTimeField(null=True)),
                     migrator.add_column("chapter", "video_attempts", IntegerField(default=0)))
