"""The certificate signer (PAdES) and the platform root that verifiers trust.

Production configures a PKCS#12 file (CERT_SIGNER_P12_PATH, CERT_SIGNER_P12_PASSPHRASE: a signing
certificate from a licensed CA with its chain), or a key and its certificate on a hardware module
through PKCS#11 (CERT_SIGNER_PKCS11_*), and the root's PEM file (CERT_TRUST_ROOT_PATH);
`production_checks.check_production` refuses to start without them. Development and the tests create a platform
root CA and a signing certificate under CERT_PKI_DIR on first start (`ensure_dev_pki`); none is committed.

The signer keeps the loaded `cryptography` key and signs in `async_sign_raw`: pyHanko's SimpleSigner
parses its key again for every signature (about 28 ms each). Both signers make their CMS containers
from a template (app/certs/cms_template.py): pyHanko builds one container per signer, not one per
signature.
"""
import datetime
import os
import shutil
import tempfile
import threading
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from flask import current_app
from pyhanko_certvalidator.registry import SimpleCertificateStore

from app.certs.cms_template import TemplateSigner

DEV_PASSPHRASE = b"dev-only-certificate-signer"
ROOT_NAME = "root.pem"
SIGNER_NAME = "signer.p12"
_lock = threading.RLock()


class SignerMissing(RuntimeError):
    """No usable signer is configured (operators: see the message)."""


class KeptKeySigner(TemplateSigner):
    """A pyHanko signer that holds an already loaded RSA key (RSASSA-PKCS1-v1_5)."""

    def __init__(self, key, cert, chain):
        self._key = key
        super().__init__(signing_cert=cert, cert_registry=SimpleCertificateStore.from_certs([cert, *chain]),
                         embed_roots=True)

    async def async_sign_raw(self, data, digest_algorithm, dry_run=False):
        algorithm = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}[digest_algorithm]
        return self._key.sign(data, padding.PKCS1v15(), algorithm)


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Continuing Education Platform (development)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, issuer, public_key, issuer_key, days, ca):
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
    else:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True)
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                                        critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def make_pki(common_name="Continuing Education Platform Dev Root CA", signer_name=None):
    """(root certificate, signer's PKCS#12 bytes with DEV_PASSPHRASE): a fresh root CA and signer."""
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = _certificate(_name(common_name), _name(common_name), root_key.public_key(), root_key, 3650, ca=True)
    signer_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signer = _certificate(_name(signer_name or "Continuing Education Platform Certificate Seal"), root.subject,
                          signer_key.public_key(), root_key, 1825, ca=False)
    p12 = pkcs12.serialize_key_and_certificates(b"signer", signer_key, signer, [root],
                                                serialization.BestAvailableEncryption(DEV_PASSPHRASE))
    return root, p12


def ensure_dev_pki(folder):
    """The development root (PEM) and signer (PKCS#12) paths under `folder`, made on first use.

    The web server, the worker and the clock start together: the pair is written to a temporary folder
    that is then renamed into place in one step, so every process ends up with the same root and signer.
    """
    folder = Path(folder)
    root_path, p12_path = folder / ROOT_NAME, folder / SIGNER_NAME
    with _lock:
        if not (root_path.exists() and p12_path.exists()):
            folder.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".pki-"))
            root, p12 = make_pki()
            (staging / SIGNER_NAME).write_bytes(p12)
            (staging / ROOT_NAME).write_bytes(root.public_bytes(serialization.Encoding.PEM))
            for path in staging.iterdir():
                os.chmod(path, 0o600)
            try:
                os.rename(staging, folder)  # replaces a missing or empty folder, atomically
            except OSError:  # another process was first: keep its pair
                shutil.rmtree(staging, ignore_errors=True)
        if not (root_path.exists() and p12_path.exists()):
            raise SignerMissing(f"{folder} holds an incomplete development PKI: remove the folder and start again")
    return root_path, p12_path


def _pkcs11_signer(config, roots):
    """A pyHanko PKCS11Signer on one logged-in session; signatures on it are made one at a time."""
    try:
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session
    except ImportError:
        raise SignerMissing("CERT_SIGNER_PKCS11_MODULE needs the python-pkcs11 package") from None

    class Locked(TemplateSigner, PKCS11Signer):
        _lock = threading.Lock()

        async def async_sign_raw(self, data, digest_algorithm, dry_run=False):
            with self._lock:
                return await super().async_sign_raw(data, digest_algorithm, dry_run)

    from pkcs11.exceptions import UserAlreadyLoggedIn

    label = config["CERT_SIGNER_PKCS11_KEY_LABEL"]
    token = TokenCriteria(label=config["CERT_SIGNER_PKCS11_TOKEN"])
    try:
        try:
            session = open_pkcs11_session(config["CERT_SIGNER_PKCS11_MODULE"], token_criteria=token,
                                          user_pin=config.get("CERT_SIGNER_PKCS11_PIN") or None)
        except UserAlreadyLoggedIn:  # the login is per process: another session of ours holds it
            session = open_pkcs11_session(config["CERT_SIGNER_PKCS11_MODULE"], token_criteria=token)
    except Exception as exc:  # noqa: BLE001  (python-pkcs11 raises its own hierarchy; all mean "unusable")
        raise SignerMissing(f"cannot use the PKCS#11 signer {label!r}: {type(exc).__name__}: {exc}") from None
    try:
        signer = Locked(session, key_label=label, cert_label=label, ca_chain=roots, embed_roots=True)
        signer.signing_cert  # noqa: B018  (fetch the certificate now: a wrong label stops the start)
    except Exception as exc:  # noqa: BLE001
        session.close()
        raise SignerMissing(f"cannot use the PKCS#11 signer {label!r}: {type(exc).__name__}: {exc}") from None
    return signer


def _paths(config):
    if config.get("CERT_SIGNER_P12_PATH"):
        return (config.get("CERT_TRUST_ROOT_PATH") or None, config["CERT_SIGNER_P12_PATH"],
                (config.get("CERT_SIGNER_P12_PASSPHRASE") or "").encode())
    if config.get("APP_ENV") == "production":
        raise SignerMissing("CERT_SIGNER_P12_PATH is not set: production signs with a configured PKCS#12 signer")
    root_path, p12_path = ensure_dev_pki(config["CERT_PKI_DIR"])
    return str(root_path), str(p12_path), DEV_PASSPHRASE


def load(config):
    """(signer, [trusted root certificates as asn1crypto objects], the roots as PEM bytes)."""
    if config.get("CERT_SIGNER_PKCS11_MODULE"):
        root_path = config.get("CERT_TRUST_ROOT_PATH") or ""
        roots_pem = Path(root_path).read_bytes() if root_path and Path(root_path).is_file() else b""
        roots = [_asn1(c) for c in x509.load_pem_x509_certificates(roots_pem)] if roots_pem else []
        if not roots:
            raise SignerMissing("CERT_TRUST_ROOT_PATH must name the signer's root certificate (PEM)")
        return _pkcs11_signer(config, roots), roots, roots_pem
    root_path, p12_path, passphrase = _paths(config)
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(Path(p12_path).read_bytes(), passphrase or None)
    except (OSError, ValueError) as exc:
        raise SignerMissing(f"cannot load the certificate signer from {p12_path}: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey) or cert is None:
        raise SignerMissing(f"{p12_path} must hold an RSA private key and its certificate")
    chain = [_asn1(c) for c in extra]
    roots_pem = Path(root_path).read_bytes() if root_path else b"".join(
        c.public_bytes(serialization.Encoding.PEM) for c in extra if c.subject == c.issuer)
    roots = [_asn1(c) for c in x509.load_pem_x509_certificates(roots_pem)] if roots_pem else []
    if not roots:
        raise SignerMissing("no trusted root certificate: set CERT_TRUST_ROOT_PATH")
    return KeptKeySigner(key, _asn1(cert), chain), roots, roots_pem


def _asn1(cert):
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def current():
    """The current app's (signer, roots, roots PEM), loaded once per app."""
    ext = current_app.extensions
    if "cert_pki" not in ext:
        with _lock:
            if "cert_pki" not in ext:
                ext["cert_pki"] = load(current_app.config)
    return ext["cert_pki"]

