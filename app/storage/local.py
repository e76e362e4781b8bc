"""Objects as files in a folder (development, tests, a single server)."""
import os
import tempfile
from pathlib import Path

from app.storage.base import CHUNK, NotFound, Storage, check_key


class LocalStorage(Storage):
    def __init__(self, root):
        self.root = Path(root)

    def _path(self, key):
        return self.root / check_key(key)

    def put(self, key, data, content_type="application/octet-stream"):
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)  # atomic on the same file system
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def put_file(self, key, fileobj, content_type="application/octet-stream"):
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        written = 0
        try:
            with os.fdopen(fd, "wb") as fh:
                while block := fileobj.read(CHUNK):
                    fh.write(block)
                    written += len(block)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return written

    def path_of(self, key):
        """The object's file (for tools such as ffprobe that read a path); NotFound when missing."""
        path = self._path(key)
        if not path.is_file():
            raise NotFound(key)
        return path

    def get(self, key):
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise NotFound(key) from None

    def exists(self, key):
        return self._path(key).is_file()

    def size(self, key):
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise NotFound(key) from None

    def delete(self, key):
        try:
            self._path(key).unlink()
            return True
        except FileNotFoundError:
            return False

    def open_range(self, key, start, end=None):
        try:
            with self._path(key).open("rb") as fh:
                fh.seek(start)
                return fh.read() if end is None else fh.read(max(0, end - start))
        except FileNotFoundError:
            raise NotFound(key) from None

    def stream(self, key, chunk=CHUNK):
        try:
            fh = self._path(key).open("rb")
        except FileNotFoundError:
            raise NotFound(key) from None
        return _chunks(fh, chunk)


def _chunks(fh, chunk):
    with fh:
        while block := fh.read(chunk):
            yield block
