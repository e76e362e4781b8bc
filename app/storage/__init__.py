"""Every file the platform keeps (D-5): one interface, a local-folder or an S3-compatible backend.

Callers never touch paths or buckets: they ask `storage()` (the backend configured for the current app)
to `put`, `get`, `exists`, `delete`, `open_range` or `stream` an object by its key, and serve it with
`send(key, ...)` (bytes streamed through the app, for private files behind a login), `serve(key, mimetype)`
(videos: a presigned redirect, an nginx X-Accel-Redirect or Flask with Range, see serve.py) or `url(key)`
(a time-limited direct link where the backend can make one; None for the local folder). Large uploads go
through `put_file(key, fileobj, content_type)`, which streams.

Keys are relative, slash-separated names such as "certificates/2026/CE2026-7K3M9QX2P.pdf": letters,
digits, ".", "_", "-" and "/", no empty or dot-only segment (see `check_key`).

Configuration: STORAGE_BACKEND = "local" (default: STORAGE_LOCAL_DIR, under instance/) or "s3"
(STORAGE_S3_BUCKET, STORAGE_S3_ENDPOINT_URL for a non-AWS service, STORAGE_S3_REGION,
STORAGE_S3_ACCESS_KEY / STORAGE_S3_SECRET_KEY, STORAGE_S3_PREFIX).
"""
from flask import current_app

from app.storage.base import NotFound, Storage, StorageError, check_key

__all__ = ["NotFound", "Storage", "StorageError", "check_key", "make_storage", "send", "serve", "storage"]


def make_storage(config):
    """The backend described by a configuration mapping."""
    backend = (config.get("STORAGE_BACKEND") or "local").lower()
    if backend == "local":
        from app.storage.local import LocalStorage

        return LocalStorage(config["STORAGE_LOCAL_DIR"])
    if backend == "s3":
        from app.storage.s3 import S3Storage

        return S3Storage(bucket=config["STORAGE_S3_BUCKET"], endpoint_url=config.get("STORAGE_S3_ENDPOINT_URL") or None,
                         region=config.get("STORAGE_S3_REGION") or None,
                         access_key=config.get("STORAGE_S3_ACCESS_KEY") or None,
                         secret_key=config.get("STORAGE_S3_SECRET_KEY") or None,
                         prefix=config.get("STORAGE_S3_PREFIX") or "")
    raise StorageError(f"unknown STORAGE_BACKEND {backend!r} (use 'local' or 's3')")


def storage():
    """The current app's backend (made once per app)."""
    ext = current_app.extensions
    if "storage" not in ext:
        ext["storage"] = make_storage(current_app.config)
    return ext["storage"]


def send(key, mimetype, filename=None, cache="private, no-store"):
    """A response that streams the object (for private files: the view checks access first)."""
    backend = storage()
    size = backend.size(key)
    response = current_app.response_class(backend.stream(key), mimetype=mimetype, direct_passthrough=True)
    response.content_length = size
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = cache
    return response


def serve(key, mimetype, expires=300):
    """Deliver a private object the view has checked access to (see app/storage/serve.py)."""
    from app.storage.serve import serve as _serve

    return _serve(storage(), key, mimetype, expires)
