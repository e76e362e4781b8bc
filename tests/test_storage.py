"""The storage interface (D-5): the same contract on the local folder and on S3 (moto's server over HTTP)."""
import hashlib
import socket

import pytest

from app.accounts.policy import issue_token
from app.storage import NotFound, StorageError, make_storage, storage
from app.storage.base import check_key

BUCKET = "ce-test-files"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3 server on a local port: boto3 talks real HTTP to it."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def s3_config(url, prefix="files"):
    return {"STORAGE_BACKEND": "s3", "STORAGE_S3_BUCKET": BUCKET, "STORAGE_S3_ENDPOINT_URL": url,
            "STORAGE_S3_REGION": "us-east-1", "STORAGE_S3_ACCESS_KEY": "test-access",
            "STORAGE_S3_SECRET_KEY": "test-secret", "STORAGE_S3_PREFIX": prefix}


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path):
    if request.param == "local":
        return make_storage({"STORAGE_BACKEND": "local", "STORAGE_LOCAL_DIR": str(tmp_path / "files")})
    url = request.getfixturevalue("s3_server")
    store = make_storage(s3_config(url))
    try:
        store.client.create_bucket(Bucket=BUCKET)
    except store.client.exceptions.BucketAlreadyOwnedByYou:
        pass
    return store


def test_put_get_exists_size_delete(backend):
    key = "certificates/2026/CE2026-ABCDEFGHJ.pdf"
    assert backend.exists(key) is False
    backend.put(key, b"%PDF-1.7 first", "application/pdf")
    assert backend.exists(key) is True
    assert backend.get(key) == b"%PDF-1.7 first"
    assert backend.size(key) == 14
    backend.put(key, b"%PDF-1.7 second version", "application/pdf")  # replaces
    assert backend.get(key) == b"%PDF-1.7 second version"
    assert backend.delete(key) is True
    assert backend.exists(key) is False
    assert backend.delete(key) is False


def test_missing_objects_raise_not_found(backend):
    for call in (lambda: backend.get("nope/x.bin"), lambda: backend.size("nope/x.bin"),
                 lambda: backend.open_range("nope/x.bin", 0, 4), lambda: list(backend.stream("nope/x.bin"))):
        with pytest.raises(NotFound):
            call()


def test_ranges_and_streaming(backend):
    data = bytes(range(256)) * 1024  # 256 KiB: several chunks
    backend.put("videos/demo.bin", data)
    assert backend.open_range("videos/demo.bin", 10, 20) == data[10:20]
    assert backend.open_range("videos/demo.bin", len(data) - 5) == data[-5:]
    assert backend.open_range("videos/demo.bin", 7, 7) == b""
    chunks = list(backend.stream("videos/demo.bin", chunk=64 * 1024))
    assert len(chunks) >= 4
    assert b"".join(chunks) == data


def test_keys_cannot_escape(backend):
    for bad in ("../etc/passwd", "a/../../b", "/abs", "a//b", "a/./b", "", "名字.pdf", "a\\b"):
        with pytest.raises(ValueError):
            backend.put(bad, b"x")
    assert check_key("invoices/2026/11/INV-1.pdf") == "invoices/2026/11/INV-1.pdf"


def test_local_files_live_under_the_folder(tmp_path):
    store = make_storage({"STORAGE_BACKEND": "local", "STORAGE_LOCAL_DIR": str(tmp_path / "files")})
    store.put("a/b.txt", b"hello")
    assert (tmp_path / "files" / "a" / "b.txt").read_bytes() == b"hello"
    assert [p.name for p in (tmp_path / "files" / "a").iterdir()] == ["b.txt"]  # no temporary file left
    assert store.url("a/b.txt") is None


def test_s3_prefix_and_presigned_url(s3_server):
    import urllib.request

    store = make_storage(s3_config(s3_server, prefix="tenant-a"))
    try:
        store.client.create_bucket(Bucket=BUCKET)
    except store.client.exceptions.BucketAlreadyOwnedByYou:
        pass
    store.put("x/y.txt", b"prefixed", "text/plain")
    listed = [o["Key"] for o in store.client.list_objects_v2(Bucket=BUCKET, Prefix="tenant-a/")["Contents"]]
    assert listed == ["tenant-a/x/y.txt"]
    with urllib.request.urlopen(store.url("x/y.txt", expires=60), timeout=10) as resp:
        assert resp.read() == b"prefixed"


def test_s3_missing_bucket_is_an_operator_error(s3_server):
    store = make_storage({**s3_config(s3_server), "STORAGE_S3_BUCKET": "no-such-bucket"})
    with pytest.raises(StorageError) as err:
        store.put("a.txt", b"x")
    assert not isinstance(err.value, NotFound)
    assert "NoSuchBucket" in str(err.value)


def test_configuration_errors():
    with pytest.raises(StorageError, match="STORAGE_S3_BUCKET"):
        make_storage({"STORAGE_BACKEND": "s3", "STORAGE_S3_BUCKET": ""})
    with pytest.raises(StorageError, match="unknown STORAGE_BACKEND"):
        make_storage({"STORAGE_BACKEND": "ftp"})


def test_signed_certificates_are_kept_in_the_bucket(app_factory, registered, s3_server):
    """Certificates go through the same interface: with STORAGE_BACKEND=s3 the signed PDF lives in the bucket
    and downloads stream from it."""
    from app.certs.models import Certificate
    from app.db import db
    from tests.certs_fixtures import finished_learner, issued

    application = app_factory(**s3_config(s3_server, prefix="ce"))
    with application.app_context():
        store = storage()
        try:
            store.client.create_bucket(Bucket=BUCKET)
        except store.client.exceptions.BucketAlreadyOwnedByYou:
            pass
        db.connect(reuse_if_open=True)
        user, project = finished_learner()
        cert = Certificate.get_by_id(issued(user, project).id)
        body = store.client.get_object(Bucket=BUCKET, Key="ce/" + cert.pdf_key)["Body"].read()
        assert body.startswith(b"%PDF") and hashlib.sha256(body).hexdigest() == cert.pdf_sha256
        token = issue_token(user)
        response = application.test_client().get(f"/api/v1/certificates/{cert.number}/pdf",
                                                 headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200 and response.data == body
        db.close()

