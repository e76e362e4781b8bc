"""Streaming uploads (`put_file`) on both backends and the serving contract for private videos (`serve`)."""
import io
import os
import urllib.request

import flask
import pytest

from app.storage import NotFound, make_storage
from app.storage.serve import serve
from tests.test_storage import BUCKET, s3_config, s3_server  # noqa: F401  (fixtures: both backends)
from tests.test_storage import backend as backend  # noqa: F401  (the fixture the tests take)


class _Trickle(io.RawIOBase):
    """A stream that yields `size` bytes in small reads and remembers the largest single read asked for."""

    def __init__(self, size):
        self.size, self.pos, self.largest = size, 0, 0

    def readable(self):
        return True

    def read(self, n=-1):
        n = self.size - self.pos if n is None or n < 0 else min(n, self.size - self.pos)
        self.largest = max(self.largest, n)
        block = bytes((self.pos + i) % 251 for i in range(min(n, 4096)))
        self.pos += len(block)
        return block


def _expected(size):
    return bytes(i % 251 for i in range(size))


def test_put_file_streams_a_large_body(backend):
    size = 9 * 1024 * 1024 + 17  # above boto3's 8 MiB multipart threshold
    source = _Trickle(size)
    assert backend.exists("videos/big.bin") is False
    assert backend.put_file("videos/big.bin", source, "video/mp4") == size
    assert backend.size("videos/big.bin") == size
    assert backend.open_range("videos/big.bin", size - 100) == _expected(size)[-100:]
    assert backend.open_range("videos/big.bin", 0, 4096) == _expected(4096)


def test_put_file_failure_leaves_no_object(backend):
    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def read(self, n=-1):
            raise OSError("client went away")

    with pytest.raises(OSError) as err:  # the reader's own error reaches the caller on both backends
        backend.put_file("videos/broken.bin", Broken(), "video/mp4")
    assert "client went away" in str(err.value)
    assert backend.exists("videos/broken.bin") is False


def test_local_put_file_leaves_no_temporary_file(tmp_path):
    store = make_storage({"STORAGE_BACKEND": "local", "STORAGE_LOCAL_DIR": str(tmp_path / "files")})
    store.put_file("v/a.mp4", io.BytesIO(b"abc"), "video/mp4")
    assert os.listdir(tmp_path / "files" / "v") == ["a.mp4"]


def _app(**config):
    application = flask.Flask("serve-test")
    application.config.update(config)
    return application


def test_serve_in_development_honours_ranges(tmp_path):
    store = make_storage({"STORAGE_BACKEND": "local", "STORAGE_LOCAL_DIR": str(tmp_path)})
    data = _expected(3 * 1024 * 1024)
    store.put("videos/c.mp4", data, "video/mp4")
    application = _app()
    with application.test_request_context(headers={"Range": "bytes=1000-1999"}):
        response = serve(store, "videos/c.mp4", "video/mp4")
        assert response.status_code == 206
        assert response.headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
        assert b"".join(response.response) == data[1000:2000]
    with application.test_request_context(headers={"Range": f"bytes={len(data) - 10}-"}):
        response = serve(store, "videos/c.mp4", "video/mp4")
        assert response.status_code == 206 and b"".join(response.response) == data[-10:]
    with application.test_request_context(headers={"Range": f"bytes={len(data) + 5}-"}):
        response = serve(store, "videos/c.mp4", "video/mp4")
        assert response.status_code == 416
        assert response.headers["Content-Range"] == f"bytes */{len(data)}"
    with application.test_request_context():
        response = serve(store, "videos/c.mp4", "video/mp4")
        assert response.status_code == 200 and response.headers["Accept-Ranges"] == "bytes"
        assert response.content_length == len(data) and b"".join(response.response) == data
    with application.test_request_context(), pytest.raises(NotFound):
        serve(store, "videos/missing.mp4", "video/mp4")


def test_serve_behind_nginx_hands_over_with_x_accel_redirect(tmp_path):
    store = make_storage({"STORAGE_BACKEND": "local", "STORAGE_LOCAL_DIR": str(tmp_path)})
    store.put("videos/d.mp4", b"0123456789", "video/mp4")
    with _app(STORAGE_ACCEL_PREFIX="/_protected/").test_request_context(headers={"Range": "bytes=2-3"}):
        response = serve(store, "videos/d.mp4", "video/mp4")
        assert response.status_code == 200
        assert response.headers["X-Accel-Redirect"] == "/_protected/videos/d.mp4"
        assert response.headers["Content-Type"] == "video/mp4"
        assert response.get_data() == b""


def test_serve_from_s3_redirects_to_a_presigned_url(s3_server):  # noqa: F811
    store = make_storage(s3_config(s3_server, prefix="serve"))
    try:
        store.client.create_bucket(Bucket=BUCKET)
    except store.client.exceptions.BucketAlreadyOwnedByYou:
        pass
    store.put("videos/e.mp4", b"s3-video-bytes", "video/mp4")
    with _app().test_request_context():
        response = serve(store, "videos/e.mp4", "video/mp4", expires=60)
    assert response.status_code == 302
    request = urllib.request.Request(response.headers["Location"], headers={"Range": "bytes=3-7"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 206 and resp.read() == b"video"
