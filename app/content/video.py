"""Chapter videos after upload: probed with ffprobe, transcoded to H.264/AAC MP4 when needed, on the video queue.

The upload is stored as it came (`uploads/chapters/<id>-<token>`); `process(chapter_id, upload_key)` runs on the
video queue (VIDEO_QUEUE_NAME, its own workers: `flask jobs worker --queue video`), so a long transcode never
delays progress flushes or payment jobs. It records the state (processing → ready or failed) and the progress
in percent on the chapter as it goes, stores the playable MP4 under `videos/chapters/<id>-<token>.mp4` (moov at
the front, so playback and seeking start at once), sets the chapter's duration from the file, and drops the upload.
A file that is already H.264 video with AAC (or no) audio in MP4 is only remuxed, never re-encoded.

A worker that dies mid-job (killed, out of memory, a lost node) is not the end of an upload: the chapter
keeps the upload's key, the job touches `video_touched_at` at least every TOUCH_SECONDS while it runs,
and the periodic `sweep_stalled` queues the job again for a chapter silent for STALL_SECONDS, at most
MAX_ATTEMPTS times in all; after that the chapter fails with a message asking for a new upload.
"""
import json
import math
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from app.db import utcnow
from app.learning.models import Chapter
from app.storage import storage

PLAYABLE_VIDEO = {"h264"}
PLAYABLE_AUDIO = {"aac"}
PROBE_SECONDS = 60
TOUCH_SECONDS = 30  # a running job shows life at least this often
STALL_SECONDS = 300  # a chapter silent this long has lost its worker
MAX_ATTEMPTS = 3
STALLED_NOTE = "视频处理多次中断，请重新上传"


class VideoError(ValueError):
    """The file is not a video ffprobe/ffmpeg can read (the message is for staff, in Chinese)."""


def probe(path):
    """Duration (seconds), container, video and audio codec of a file, or VideoError."""
    try:
        done = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                               str(path)], capture_output=True, timeout=PROBE_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise VideoError("读取视频信息超时") from None
    if done.returncode != 0:
        raise VideoError("无法识别的视频文件")
    info = json.loads(done.stdout or b"{}")
    streams = info.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    duration = float((info.get("format") or {}).get("duration") or 0)
    if video is None or duration <= 0:
        raise VideoError("文件中没有可播放的视频")
    return {"duration": duration, "container": (info.get("format") or {}).get("format_name", ""),
            "video": video.get("codec_name", ""), "audio": audio.get("codec_name", "") if audio else ""}


def needs_transcode(info):
    return (info["video"] not in PLAYABLE_VIDEO or (info["audio"] and info["audio"] not in PLAYABLE_AUDIO)
            or "mp4" not in info["container"])


def _set(chapter_id, **fields):
    Chapter.update(**fields).where(Chapter.id == chapter_id).execute()


def _local_copy(key, folder):
    """A path ffmpeg can read: the stored file itself (local folder) or a streamed copy (S3)."""
    backend = storage()
    if hasattr(backend, "path_of"):
        return backend.path_of(key)
    path = Path(folder) / "upload"
    with path.open("wb") as fh:
        for block in backend.stream(key):
            fh.write(block)
    return path


def _run_ffmpeg(chapter_id, source, target, info):
    codecs = (["-c", "copy"] if not needs_transcode(info) else
              ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k"])
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), *codecs, "-movflags", "+faststart",
               "-progress", "pipe:1", "-f", "mp4", str(target)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    shown, touched = 0, time.monotonic()
    for line in process.stdout:
        name, _, value = line.decode(errors="replace").strip().partition("=")
        if name == "out_time_us" and value.isdigit():
            percent = min(99, int(int(value) / 1e6 * 100 / info["duration"]))
            if percent >= shown + 5 or time.monotonic() - touched >= TOUCH_SECONDS:  # a write per 5 % or 30 s
                shown, touched = max(shown, percent), time.monotonic()
                _set(chapter_id, video_progress=percent, video_touched_at=utcnow())
    error = process.stderr.read().decode(errors="replace")
    if process.wait() != 0:
        raise VideoError("转码失败：" + (error.strip().splitlines() or ["ffmpeg 出错"])[-1][:120])


def release_video(key):
    """Delete a stored video no chapter uses any more (earlier years' plans share their source's videos)."""
    if key and not key.startswith("videos/demo/") and not Chapter.select().where(Chapter.video_key == key).exists():
        storage().delete(key)


def queue_processing(chapter_id, upload_key):
    """Record a stored upload on its chapter and queue its processing (an earlier pending upload is dropped)."""
    earlier = Chapter.get_by_id(chapter_id).video_upload_key
    if earlier and earlier != upload_key:
        storage().delete(earlier)
    _set(chapter_id, video_state="uploaded", video_progress=0, video_note="", video_upload_key=upload_key,
         video_touched_at=utcnow(), video_attempts=1)
    _enqueue(chapter_id, upload_key, 1)


def _job_id(chapter_id, upload_key, attempt):
    return f"chapter-video-{chapter_id}-{upload_key.rsplit('-', 1)[1]}-{attempt}"


def _enqueue(chapter_id, upload_key, attempt):
    from app.jobs import enqueue

    enqueue("app.content.video:process", chapter_id, upload_key, on_queue="video", retry=(),
            job_id=_job_id(chapter_id, upload_key, attempt))


def _still_queued(chapter):
    """Whether the chapter's job is waiting in the queue (a long queue is not a dead worker)."""
    from flask import current_app
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(_job_id(chapter.id, chapter.video_upload_key, chapter.video_attempts),
                        connection=current_app.extensions["rq_connection"])
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in ("queued", "deferred", "scheduled")


def sweep_stalled(now=None):
    """Periodic: queue again the uploads whose job went silent (its worker died); fail them after MAX_ATTEMPTS."""
    import datetime

    cutoff = (now or utcnow()) - datetime.timedelta(seconds=STALL_SECONDS)
    stalled = list(Chapter.select().where(Chapter.video_upload_key.is_null(False),
                                          Chapter.video_state.in_(("uploaded", "processing")),
                                          Chapter.video_touched_at < cutoff))
    stalled = [c for c in stalled if not (c.video_state == "uploaded" and _still_queued(c))]
    for chapter in stalled:
        if chapter.video_attempts >= MAX_ATTEMPTS:
            _set(chapter.id, video_state="failed", video_note=STALLED_NOTE, video_upload_key=None)
            storage().delete(chapter.video_upload_key)
            continue
        attempt = chapter.video_attempts + 1
        _set(chapter.id, video_attempts=attempt, video_touched_at=now or utcnow())
        _enqueue(chapter.id, chapter.video_upload_key, attempt)
    return len(stalled)


def process(chapter_id, upload_key):
    """The video queue's job: probe, transcode or remux, store, and mark the chapter ready (or failed)."""
    chapter = Chapter.get_or_none(Chapter.id == chapter_id)
    if chapter is None:
        return "gone"
    if chapter.video_upload_key != upload_key or chapter.video_state not in ("uploaded", "processing"):
        return "superseded"  # a newer upload replaced this one, or a re-queued run already finished it
    _set(chapter_id, video_state="processing", video_progress=0, video_note="", video_touched_at=utcnow())
    folder = tempfile.mkdtemp(prefix="chapter-video-")
    try:
        source = _local_copy(upload_key, folder)
        info = probe(source)
        target = Path(folder) / "out.mp4"
        _run_ffmpeg(chapter_id, source, target, info)
        final = probe(target)
        key = f"videos/chapters/{chapter_id}-{secrets.token_hex(6)}.mp4"
        with target.open("rb") as fh:
            storage().put_file(key, fh, "video/mp4")
        old = Chapter.get_by_id(chapter_id).video_key
        note = (f"原视频 {info['video']}/{info['audio'] or '无声'}，已转码为 H.264/AAC" if needs_transcode(info)
                else f"H.264/{info['audio'] or '无声'}，未转码")
        _set(chapter_id, video_key=key, video_state="ready", video_progress=100, video_note=note,
             duration_seconds=max(1, math.floor(final["duration"])), video_upload_key=None)
        if old != key:
            release_video(old)
        storage().delete(upload_key)
        return "ready"
    except VideoError as exc:
        _set(chapter_id, video_state="failed", video_note=str(exc), video_upload_key=None)
        storage().delete(upload_key)
        return "failed"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
