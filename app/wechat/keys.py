"""RSA keys for WeChat Pay: load PEM files, or create them for development and the sandbox."""
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def load_or_create_private_key(path):
    """Load an RSA private key from PEM, creating a 2048-bit one (atomically) if the file is missing."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # fails if another process created it first: keep theirs
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def private_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_pem(key):
    public = key.public_key() if hasattr(key, "public_key") else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def write_public_key(key, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(public_pem(key))


def load_public_key(path_or_pem):
    data = path_or_pem if "BEGIN" in str(path_or_pem) else Path(path_or_pem).read_text()
    return serialization.load_pem_public_key(data.encode())


def key_serial(key):
    """A stable 40-hex-digit serial for a key (stands in for a certificate serial in development)."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(public_pem(key).encode())
    return digest.finalize().hex()[:40].upper()


def sign(key, message):
    """RSA-SHA256 PKCS#1 v1.5, base64: WeChat Pay's signature scheme."""
    import base64

    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(public_key, message, signature_b64):
    import base64

    try:
        public_key.verify(base64.b64decode(signature_b64), message.encode(), padding.PKCS1v15(), hashes.SHA256())
        return True
    except Exception:  # noqa: BLE001  (any failure means "not verified")
        return False
