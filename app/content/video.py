"""Chapter videos after upload: probed with ffprobe, transcoded to H.264/AAC MP4 when needed, on the video queue.

The upload is stored as it came (`uploads/chapters/<id>-<token>`); `process(chapter_id, upload_key)` runs on the
video queue (VIDEO_QUEUE_NAME, its own workers: `flask jobs worker --queue video`), so a long transcode never
delays progress flushes or payment jobs. It records the state (processing → ready or failed) and the progress
in percent on the chapter as it goes, stores the playable MP4 under `videos/chapters/<id>-<token>.mp4` (moov at
the front, so playback and seeking start at once), sets the chapter's duration from the file, and drops the upload.
A file that is already H.264 video with AAC (or no) audio in MP4 is only remuxed, never re-encoded.
"""
import json
import math
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from app.learning.models import Chapter
from app.storage import storage

PLAYABLE_VIDEO = {"h264"}
PLAYABLE_AUDIO = {"aac"}
PROBE_SECONDS = 60


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
    shown = 0
    for line in process.stdout:
        name, _, value = line.decode(errors="replace").strip().partition("=")
        if name == "out_time_us" and value.isdigit():
            percent = min(99, int(int(value) / 1e6 * 100 / info["duration"]))
            if percent >= shown + 5:  # a write per 5 %
                shown = percent
                _set(chapter_id, video_progress=percent)
    error = process.stderr.read().decode(errors="replace")
    if process.wait() != 0:
        raise VideoError("转码失败：" + (error.strip().splitlines() or ["ffmpeg 出错"])[-1][:120])


def release_video(key):
    """Delete a stored video no chapter uses any more (earlier years' plans share their source's videos)."""
    if key and not key.startswith("videos/demo/") and not Chapter.select().where(Chapter.video_key == key).exists():
        storage().delete(key)


def process(chapter_id, upload_key):
    """The video queue's job: probe, transcode or remux, store, and mark the chapter ready (or failed)."""
    chapter = Chapter.get_or_none(Chapter.id == chapter_id)
    if chapter is None:
        return "gone"
    _set(chapter_id, video_state="processing", video_progress=0, video_note="")
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
             duration_seconds=max(1, math.floor(final["duration"])))
        if old != key:
            release_video(old)
        storage().delete(upload_key)
        return "ready"
    except VideoError as exc:
        _set(chapter_id, video_state="failed", video_note=str(exc))
        storage().delete(upload_key)
        return "failed"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
