"""The storage interface and its errors (backends: local.py, s3.py)."""
import abc
import re

KEY_RE = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")
CHUNK = 64 * 1024


class StorageError(RuntimeError):
    """The backend failed or is misconfigured (operators: see the message)."""


class NotFound(StorageError, KeyError):
    """No object under that key."""


def check_key(key):
    """The key itself, or ValueError for one that could escape its folder or is not a plain name."""
    if not isinstance(key, str) or len(key) > 512 or not KEY_RE.match(key):
        raise ValueError(f"bad storage key {key!r}")
    if any(part in (".", "..") for part in key.split("/")):
        raise ValueError(f"bad storage key {key!r}")
    return key


class Storage(abc.ABC):
    """What every backend provides (a backend missing any of these cannot be made).

    Objects are immutable bytes under a key; `put` replaces.
    """

    @abc.abstractmethod
    def put(self, key, data, content_type="application/octet-stream"):
        """Store `data` (bytes) under `key`, atomically: readers see the old or the new object, never part."""

    @abc.abstractmethod
    def put_file(self, key, fileobj, content_type="application/octet-stream"):
        """Store what `fileobj` (a readable binary stream) yields, without holding it in memory; atomic as `put`.

        Returns the number of bytes stored."""

    @abc.abstractmethod
    def get(self, key):
        """The object's bytes; NotFound when missing."""

    @abc.abstractmethod
    def exists(self, key):
        """Whether an object is stored under `key`."""

    @abc.abstractmethod
    def size(self, key):
        """The object's length in bytes; NotFound when missing."""

    @abc.abstractmethod
    def delete(self, key):
        """Remove the object; True if it existed."""

    @abc.abstractmethod
    def open_range(self, key, start, end=None):
        """Bytes [start, end) of the object (end None: to the end), e.g. for HTTP Range requests."""

    @abc.abstractmethod
    def stream(self, key, chunk=CHUNK):
        """An iterator over the object's bytes in chunks (NotFound is raised before the first chunk)."""

    def url(self, key, expires=300):
        """A time-limited direct download link, or None when the backend cannot make one."""
        return None
