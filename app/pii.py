"""Encryption at rest for ID numbers and mobiles, with a keyed hash ("blind index") for look-ups.

PII_KEYS is "id:base64key,id:base64key": the first key encrypts new values, every key can
decrypt, and look-ups hash with every key so that a rotation in progress finds everyone.
"""
import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


class PiiKeyError(ValueError):
    pass


def _derive(master, purpose):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


def new_key_spec(key_id):
    """A fresh key entry for PII_KEYS."""
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"


class PiiCipher:
    def __init__(self, spec):
        self.keys = {}
        order = []
        for item in filter(None, (s.strip() for s in spec.split(","))):
            key_id, _, b64 = item.partition(":")
            try:
                master = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
            except ValueError as exc:
                raise PiiKeyError(f"PII key {key_id!r} is not base64") from exc
            if not key_id or len(master) < 32:
                raise PiiKeyError(f"PII key {key_id!r} must have an id and at least 32 bytes")
            self.keys[key_id] = (AESGCM(_derive(master, b"pii-encrypt")), _derive(master, b"pii-index"))
            order.append(key_id)
        if not order:
            raise PiiKeyError("PII_KEYS is empty")
        self.primary = order[0]

    def encrypt(self, value, field):
        """Encrypt with the primary key; the field name is bound as associated data."""
        aead, _ = self.keys[self.primary]
        nonce = os.urandom(12)
        sealed = aead.encrypt(nonce, value.encode(), field.encode())
        return f"{self.primary}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token, field):
        key_id, _, b64 = token.partition(":")
        if key_id not in self.keys:
            raise PiiKeyError(f"PII key {key_id!r} is not configured")
        raw = base64.b64decode(b64)
        return self.keys[key_id][0].decrypt(raw[:12], raw[12:], field.encode()).decode()

    def index(self, value, field, key_id=None):
        """The blind index of a value under one key (the primary by default)."""
        _, mac_key = self.keys[key_id or self.primary]
        return hmac.new(mac_key, f"{field}:{value}".encode(), hashlib.sha256).hexdigest()

    def all_indexes(self, value, field):
        return [self.index(value, field, k) for k in self.keys]

    @staticmethod
    def key_id(token):
        return token.partition(":")[0]


def init_app(app):
    app.extensions["pii"] = PiiCipher(app.config["PII_KEYS"])


def cipher():
    return current_app.extensions["pii"]
