"""Serving a private object after the view has checked access (the video contract in README "Videos").

- S3 backend: a 302 to the object store's presigned URL (`url(key, expires)`), so the bytes come from it;
- local backend with STORAGE_ACCEL_PREFIX (e.g. "/_protected"): an empty answer with
  `X-Accel-Redirect: <prefix>/<key>` and the Content-Type, so nginx serves the file (ranges included);
- otherwise (development): Flask streams it, honouring one Range (206 with Content-Range, 416 past the end).
"""
from flask import current_app, request

RANGE_CHUNK = 1024 * 1024


def serve(backend, key, mimetype, expires=300):
    """The response that delivers `key` of `backend` as described above (NotFound when it is missing)."""
    link = backend.url(key, expires)
    if link:
        backend.size(key)  # NotFound before sending anyone to a missing object
        response = current_app.response_class(status=302)
        response.headers["Location"] = link
        response.headers["Cache-Control"] = "private, no-store"
        return response
    prefix = (current_app.config.get("STORAGE_ACCEL_PREFIX") or "").rstrip("/")
    if prefix:
        backend.size(key)
        response = current_app.response_class(b"", mimetype=mimetype)
        response.headers["X-Accel-Redirect"] = f"{prefix}/{key}"
        response.headers["Cache-Control"] = "private, no-store"
        return response
    return _ranged(backend, key, mimetype)


def _ranged(backend, key, mimetype):
    size = backend.size(key)
    wanted = request.range if request.headers.get("Range") else None
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, no-store"}
    if wanted is None:
        response = current_app.response_class(backend.stream(key), mimetype=mimetype, direct_passthrough=True,
                                              headers=headers)
        response.content_length = size
        return response
    bounds = wanted.range_for_length(size) if wanted.units == "bytes" else None
    if bounds is None:
        headers["Content-Range"] = f"bytes */{size}"
        return current_app.response_class(b"", status=416, headers=headers)
    start, stop = bounds
    headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    response = current_app.response_class(_pieces(backend, key, start, stop), status=206, mimetype=mimetype,
                                          direct_passthrough=True, headers=headers)
    response.content_length = stop - start
    return response


def _pieces(backend, key, start, stop):
    while start < stop:
        end = min(stop, start + RANGE_CHUNK)
        yield backend.open_range(key, start, end)
        start = end
