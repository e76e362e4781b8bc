"""Public verification: by certificate number (typed or from the QR code), or by uploading the PDF.

An uploaded PDF is read within bounds (pdfcheck.py) and its PAdES signature validated with pyHanko
(pades.py, on a small thread pool, within the same time budget): intact and over the whole file,
chained to the platform's root, and the certificate neither revoked nor replaced in our records.
The certified data printed on the page and the copy in its metadata must also carry the record's
keyed fingerprint and equal the stored record, so an edit is named field by field. Certificates
issued before signing (no stored signed file) are checked by the fingerprint alone.
"""
import hashlib
import hmac
import json
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from app.certs import numbers, pades, pdf, pdfcheck, pki, signing
from app.certs.models import Certificate
from app.certs.service import certified_data, cn_date, status_text
from app.masking import mask_id

log = logging.getLogger(__name__)
LINE_LABELS = {"姓名": "name", "身份证号": "id_number", "工作单位": "organisation", "档案所在地": "organisation",
               "培训项目": "project", "培训年度": "year", "学时": "hours", "证书编号": "number",
               "发证机构": "issuer", "发证日期": "issued_on", "防伪指纹": "fingerprint"}
LINE_RE = re.compile(r"^({})：(.+)$".format("|".join(LINE_LABELS)))
DATE_RE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
FIELD_NAMES = {**signing.LABELS, "org_label": "单位类别", "fingerprint": "防伪指纹", "sentence": "证书正文"}


def _squash(text):
    return re.sub(r"\s+", "", str(text or ""))


def public_view(cert):
    """What anyone may see about a certificate: the certified data (ID number masked) and its status."""
    view = {**certified_data(cert), "status": cert.status, "status_text": status_text(cert.status),
            "revoked_on": cn_date(cert.revoked_at) if cert.revoked_at else None,
            "replaced_on": cn_date(cert.replaced_at) if cert.replaced_at else None, "replaced_by": None}
    if cert.replaced_by_id:
        view["replaced_by"] = Certificate.get_by_id(cert.replaced_by_id).number
    return view


def answer(state, message, cert=None, **extra):
    """What a verification says: state, genuine or not, a message, the record (masked)."""
    return {"state": state, "genuine": state == "genuine", "message": message,
            "certificate": public_view(cert) if cert is not None else None, **extra}


def status_answer(cert, **extra):
    if cert.status == "revoked":
        return answer("revoked", f"该证书已于{cn_date(cert.revoked_at)}撤销，不再有效", cert, **extra)
    if cert.status == "replaced":
        new = Certificate.get_by_id(cert.replaced_by_id).number if cert.replaced_by_id else ""
        return answer("replaced", f"该证书已于{cn_date(cert.replaced_at)}换发新证书（新证书编号 {new}），"
                                  "原证书不再有效", cert, **extra)
    return answer("genuine", "证书真实有效", cert, **extra)


def lookup(raw):
    """(certificate, None) or (None, a failed result) for what someone typed or scanned."""
    number = numbers.normalise(raw)
    if not number:
        return None, answer("invalid", "请输入证书编号")
    problem = numbers.problem(number)
    if problem == "format":
        return None, answer("invalid", f"证书编号“{number[:30]}”格式不正确：本平台的证书编号形如 CE2026-7K3M9QX2P"
                                        "（CE、年份、短横线和 9 位字母或数字），请核对")
    if problem == "check":
        return None, answer("invalid", f"证书编号 {number} 校验不通过：请核对是否输错；"
                                        "如与证书上印的完全一致，该证书不是本平台签发的")
    cert = Certificate.get_or_none(Certificate.number == number)
    if cert is None:
        return None, answer("unknown", f"未查到证书编号 {number}：本平台没有签发过该证书，证书可能是伪造的")
    if not signing.fingerprint_matches(certified_data(cert), cert.fingerprint):
        log.error("certificate %s: the stored record does not match its fingerprint", cert.number)
        return None, answer("error", "该证书的登记信息校验异常，请联系发证机构核实")
    return cert, None


def verify_number(raw, fingerprint=None):
    """The status of a certificate number; with the fingerprint from the QR code, that it matches too."""
    cert, failed = lookup(raw)
    if failed:
        return failed
    if fingerprint and not _same_fingerprint(fingerprint, cert.fingerprint):
        return answer("mismatch", "证书编号存在，但防伪指纹与登记信息不一致，该证书可能被篡改或伪造；"
                                   "请以本页显示的登记信息为准", cert)
    return status_answer(cert)


def _same_fingerprint(given, stored):
    def plain(text):
        return re.sub(r"[^0-9A-Z]", "", str(text).upper())

    return hmac.compare_digest(plain(given), plain(stored))


# ---- a PDF --------------------------------------------------------------------------------------


def printed_fields(text):
    """The certified data as printed on the page: {field: value}; a field printed twice counts as unreadable."""
    found, seen = {}, {}
    for line in text.splitlines():
        match = LINE_RE.match(_squash(line))
        if not match:
            continue
        label, value = match.groups()
        key = LINE_LABELS[label]
        seen[key] = seen.get(key, 0) + 1
        found[key] = value
        if key == "organisation":
            found["org_label"] = label
    for key, count in seen.items():
        if count > 1:
            found[key] = None
    if found.get("year"):
        found["year"] = found["year"].removesuffix("年")
    if found.get("hours"):
        found["hours"] = found["hours"].removesuffix("学时")
    if found.get("id_number") and "*" not in found["id_number"]:
        found["id_number"] = mask_id(found["id_number"])  # the full number is printed; the record is masked
    date = DATE_RE.match(found.get("issued_on") or "")
    if date:
        found["issued_on"] = f"{date[1]}-{int(date[2]):02d}-{int(date[3]):02d}"
    return found


def _metadata_fields(info):
    try:
        data = json.loads(str(info.get("/CertData") or "{}"))
    except ValueError:
        data = {}
    data = data if isinstance(data, dict) else {}
    data["fingerprint"] = str(info.get("/CertFingerprint") or "")
    return data


def _differences(found, expected, fingerprint):
    """The fields (labels) where `found` differs from the record."""
    wanted = {**expected, "fingerprint": fingerprint}
    return [key for key in (*signing.FIELDS, "fingerprint") if _squash(found.get(key)) != _squash(wanted[key])]


SIGNATURE_PROBLEMS = {
    pades.MODIFIED: ("tampered", "证书文件在签名后被修改过（数字签名校验不通过），不能作为有效证书；"
                                 "请以本页显示的登记信息为准"),
    pades.FOREIGN: ("foreign", "该文件的数字签名不是本平台的（签名者：{signer}），不是本平台签发的证书"),
    pades.UNSIGNED: ("unsigned", "该文件没有本平台的数字签名：可能是另存、转换格式或修改后的副本；"
                                 "请上传从本平台下载的证书 PDF 原件"),
    pades.BROKEN: ("tampered", "该文件的数字签名已损坏，文件可能被修改过，不能作为有效证书"),
}


# Signature validations run here, at most two at a time per process, so that a request waits for one
# only within the time budget and a web worker is never held by a slow file.
_validators = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pdf-signature")


def _checked_signature(data, deadline):
    future = _validators.submit(pades.check, data, pki.current()[1])  # the roots are read here, in the request
    try:
        return future.result(timeout=max(0.0, deadline - time.monotonic()))
    except FutureTimeout:
        future.cancel()
        log.warning("uploaded PDF: signature validation passed the time budget")
        return None


def verify_pdf(data, max_seconds=pdfcheck.MAX_SECONDS):
    """Check an uploaded certificate PDF within `max_seconds`: its signature, then against the record."""
    deadline = time.monotonic() + max_seconds
    try:
        text, info = pdfcheck.read(data, max_seconds)
    except pdfcheck.Refused as refused:
        log.info("uploaded PDF refused: %s", refused.reason)
        return answer("refused" if refused.message != pdfcheck.NOT_READABLE else "unreadable", refused.message)
    signature = _checked_signature(data, deadline)
    if signature is None:
        return answer("refused", pdfcheck.TOO_SLOW)
    printed, meta = printed_fields(text), _metadata_fields(info)
    number = printed.get("number") or meta.get("number") or str(info.get("/CertNumber") or "")
    if not number:
        if signature["state"] == pades.FOREIGN:
            return _signature_problem(signature, None)
        return answer("unknown", "文件中没有找到证书编号：该文件不是本平台签发的证书")
    cert, failed = lookup(number)
    if failed:
        return {**failed, "message": "证书文件查验未通过：" + failed["message"]}
    state = signature["state"]
    if state == pades.FOREIGN:
        return _signature_problem(signature, cert)
    record = _against_record(cert, text, printed, meta)
    if state != pades.INTACT and (cert.pdf_sha256 or state != pades.UNSIGNED):
        if record["state"] == "tampered":  # name the edited fields too
            why = "文件没有本平台的数字签名" if state == pades.UNSIGNED else "数字签名显示文件在签名后被修改"
            return {**record, "message": f"{record['message']}（{why}）"}
        return _signature_problem(signature, cert)
    if cert.pdf_sha256 and not hmac.compare_digest(hashlib.sha256(data).hexdigest(), cert.pdf_sha256):
        log.error("certificate %s: a file signed by the platform differs from the stored one", cert.number)
        return answer("tampered", "该文件与本平台保存的证书文件不一致，不能作为有效证书；请以本页显示的登记信息为准",
                      cert)
    return record


def _signature_problem(signature, cert):
    state, message = SIGNATURE_PROBLEMS[signature["state"]]
    return answer(state, message.format(signer=signature["signer"] or "未知"), cert)


def _against_record(cert, text, printed, meta):
    expected = certified_data(cert)
    printed_ok = signing.fingerprint_matches(printed, cert.fingerprint)  # recomputed from what the page shows
    meta_ok = signing.fingerprint_matches(meta, cert.fingerprint)
    differences = list(dict.fromkeys(_differences(printed, expected, cert.fingerprint)
                                     + _differences(meta, expected, cert.fingerprint)))
    if _squash(pdf.body_sentence(expected)) not in _squash(text):
        differences.append("sentence")
    if differences or not (printed_ok and meta_ok):
        names = "、".join(FIELD_NAMES[k] for k in differences) or "防伪指纹"
        return answer("tampered", f"证书文件与登记信息不一致（{names}），该文件已被修改，不能作为有效证书；"
                                  "请以本页显示的登记信息为准", cert,
                      differences=[FIELD_NAMES[k] for k in differences])
    result = status_answer(cert, differences=[])
    if result["genuine"]:
        result["message"] = ("证书真实有效：数字签名完好，文件未被修改，内容与登记信息一致" if cert.pdf_sha256
                             else "证书真实有效，文件内容与登记信息一致")
    return result
