"""A signer whose key lives on a hardware module, through PKCS#11: SoftHSM (Debian's softhsm2) stands in
for the module; the key never leaves the token, and the certificates signed with it validate."""
import io
import os
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from app.certs import pades, pki, service
from tests.certs_fixtures import finished_learner, issued

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN, PIN, LABEL = "ce-signer", "246810", "certificate-seal"


@pytest.fixture(scope="module")
def token(tmp_path_factory):
    """A SoftHSM token holding the development signer's key and certificate (and the root as a PEM file)."""
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)  # read when the module initialises, in this process too
    env = {**os.environ}
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", "135790"],
                   check=True, capture_output=True, env=env, timeout=60)
    root_path, p12_path = pki.ensure_dev_pki(folder / "pki")
    key, cert, _ = pkcs12.load_key_and_certificates(p12_path.read_bytes(), pki.DEV_PASSPHRASE)
    key_pem = folder / "key.pem"
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    subprocess.run(["softhsm2-util", "--import", str(key_pem), "--token", TOKEN, "--label", LABEL, "--id", "01",
                    "--pin", PIN], check=True, capture_output=True, env=env, timeout=60)
    key_pem.unlink()
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    lib = pkcs11.lib(MODULE)
    with lib.get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as session:
        session.create_object({Attribute.CLASS: ObjectClass.CERTIFICATE,
                               Attribute.CERTIFICATE_TYPE: CertificateType.X_509, Attribute.TOKEN: True,
                               Attribute.LABEL: LABEL, Attribute.ID: b"\x01",
                               Attribute.SUBJECT: cert.subject.public_bytes(),
                               Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER)})
    return {"CERT_SIGNER_PKCS11_MODULE": MODULE, "CERT_SIGNER_PKCS11_TOKEN": TOKEN, "CERT_SIGNER_PKCS11_PIN": PIN,
            "CERT_SIGNER_PKCS11_KEY_LABEL": LABEL, "CERT_TRUST_ROOT_PATH": str(root_path)}


@pytest.fixture
def token_app(app, token):
    """The app signing with the token; its session is closed afterwards (which logs the process out)."""
    app.config.update(token)
    app.extensions.pop("cert_pki", None)
    yield app
    loaded = app.extensions.pop("cert_pki", None)
    if loaded is not None:
        loaded[0].pkcs11_session.close()


def test_certificates_signed_on_the_token_validate(token_app, registered, token):
    signer, roots, roots_pem = pki.current()
    assert [c.__name__ for c in type(signer).__mro__[1:3]] == ["TemplateSigner", "PKCS11Signer"]
    assert roots_pem == Path(token["CERT_TRUST_ROOT_PATH"]).read_bytes()
    user, project = finished_learner()
    data = service.render_pdf(issued(user, project))
    assert pades.check(data, roots) == {"state": pades.INTACT,
                                        "signer": "Continuing Education Platform Certificate Seal"}
    from pyhanko.pdf_utils.reader import PdfFileReader

    embedded = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    assert len(embedded.signed_data["certificates"]) == 2  # the signer and its root, embedded
    assert signer.__dict__["_cms_templates"][("sha256", 32)].usable is True  # the token signed a template


def test_a_wrong_pin_or_label_is_refused_clearly(token_app, token):
    app = token_app
    for change in ({"CERT_SIGNER_PKCS11_PIN": "000000"}, {"CERT_SIGNER_PKCS11_KEY_LABEL": "no-such-key"}):
        app.config.update({**token, **change})
        app.extensions.pop("cert_pki", None)
        with pytest.raises(pki.SignerMissing, match="cannot use the PKCS#11 signer"):
            pki.current()
    app.config.update({**token, "CERT_TRUST_ROOT_PATH": ""})
    app.extensions.pop("cert_pki", None)
    with pytest.raises(pki.SignerMissing, match="CERT_TRUST_ROOT_PATH"):
        pki.current()


def test_production_accepts_a_pkcs11_signer_instead_of_a_pkcs12_file(token):
    from app.production_checks import check_production

    assert not any("CERT_SIGNER" in p or "CERT_TRUST" in p for p in check_production(token))
    incomplete = check_production({**token, "CERT_SIGNER_PKCS11_KEY_LABEL": ""})
    assert any("CERT_SIGNER_PKCS11_MODULE" in p for p in incomplete)
