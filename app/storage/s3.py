"""Objects in an S3-compatible bucket through boto3 (AWS S3, or MinIO, OSS, COS with an endpoint URL)."""
import boto3
from boto3.exceptions import S3UploadFailedError
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from app.storage.base import CHUNK, NotFound, Storage, StorageError, check_key

MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Storage(Storage):
    def __init__(self, bucket, endpoint_url=None, region=None, access_key=None, secret_key=None, prefix=""):
        if not bucket:
            raise StorageError("STORAGE_S3_BUCKET is required for STORAGE_BACKEND=s3")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url, region_name=region, aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=BotoConfig(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3},
                              s3={"addressing_style": "path"}))

    def _key(self, key):
        return self.prefix + check_key(key)

    def _call(self, key, method, **kw):
        try:
            return method(Bucket=self.bucket, Key=self._key(key), **kw)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in MISSING:
                raise NotFound(key) from None
            raise StorageError(f"S3 {method.__name__} {key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 {method.__name__} {key}: {exc}") from exc

    def put(self, key, data, content_type="application/octet-stream"):
        self._call(key, self.client.put_object, Body=data, ContentType=content_type)

    def put_file(self, key, fileobj, content_type="application/octet-stream"):
        """boto3's managed transfer: multipart above 8 MiB, so memory stays at a few parts whatever the size."""
        counted = _Counting(fileobj)
        try:
            self.client.upload_fileobj(counted, self.bucket, self._key(key), ExtraArgs={"ContentType": content_type})
        except (ClientError, BotoCoreError, S3UploadFailedError) as exc:
            raise StorageError(f"S3 upload {key}: {exc}") from exc
        return counted.count

    def get(self, key):
        return self._call(key, self.client.get_object)["Body"].read()

    def exists(self, key):
        try:
            self._call(key, self.client.head_object)
            return True
        except NotFound:
            return False

    def size(self, key):
        return int(self._call(key, self.client.head_object)["ContentLength"])

    def delete(self, key):
        existed = self.exists(key)
        self._call(key, self.client.delete_object)
        return existed

    def open_range(self, key, start, end=None):
        if end is not None and end <= start:
            return b""
        wanted = f"bytes={start}-" if end is None else f"bytes={start}-{end - 1}"
        try:
            return self._call(key, self.client.get_object, Range=wanted)["Body"].read()
        except StorageError as exc:
            if "InvalidRange" in str(exc):  # start at or past the end
                return b""
            raise

    def stream(self, key, chunk=CHUNK):
        body = self._call(key, self.client.get_object)["Body"]
        return _chunks(body, chunk)

    def url(self, key, expires=300):
        return self.client.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": self._key(key)},
                                                  ExpiresIn=expires)


def _chunks(body, chunk):
    try:
        yield from body.iter_chunks(chunk)
    finally:
        body.close()


class _Counting:
    """A read-only wrapper that counts the bytes read and fills every read: boto3 takes a short read for the
    end of the stream, while a request body (or a socket) may return less than asked before its end."""

    def __init__(self, fileobj):
        self.fileobj = fileobj
        self.count = 0

    def read(self, size=-1):
        if size is None or size < 0:
            block = self.fileobj.read()
        else:
            parts, wanted = [], size
            while wanted > 0 and (part := self.fileobj.read(wanted)):
                parts.append(part)
                wanted -= len(part)
            block = b"".join(parts)
        self.count += len(block)
        return block
