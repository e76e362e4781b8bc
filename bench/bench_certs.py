"""Benchmark: making a certificate PDF (app/certs/pdf.py), unsigned and signed (PAdES, app/certs/pades.py),
against a bare reportlab page with the same font.

Not a test: it prints figures. All sides embed the same TrueType font (subsets of the glyphs used),
so the difference is what a certificate adds: the frame, the title, the seal drawn as vector
graphics, the QR code (as vector squares), the fingerprint (HMAC), the extra metadata, and the signature.
The bare page draws with the main font as registered (fonts.MAIN, one subset made per document); the
certificate with the page font (page_font.py: the same face, its fixed text's subset made once).

  * signed:      the unsigned certificate, then pades.sign with the platform's signer (the loaded key is
                 kept; the signature's room is reserved, so there is no dry run; the CMS container is
                 made from the signer's template, app/certs/cms_template.py; the document information
                 is not written again) — what issuing does;
  * certificate: signing.fingerprint + pdf.render (unsigned), with a different learner each time;
  * bare page:   an A4 canvas with the same font drawing the same lines of text, nothing else;
  * all measured interleaved (one of each per round) after a warm-up; median, p99, mean per PDF,
    the PDF size, and the ratios signed / unsigned (target: at most 2x) and certificate / bare;
  * fewer rounds, interleaved: signed as before the template (the same kept key, but pyHanko builds every
    CMS container with asn1crypto and rewrites the document information in the signature's update);
  * fewer rounds: pyHanko's SimpleSigner loaded from the same PKCS#12 without reserving the room (the
    60 ms trap: the key parsed again per signature, and a dry-run signature per PDF);
  * once: registering the font (cold, per process); the QR code's matrix alone (qr.matrix, and qrcode's
    own make for comparison); reading a certificate back within bounds as the verify page does
    (pdfcheck.read) and validating its signature (pades.check).

Notes (2 shared CPUs, busy: load average 5-9; --rounds 200; ratios from the same run, three runs each,
the code before and after run alternately):

  * before (one font subset per document with all the page's glyphs, qrcode's make, reportlab path rects,
    the seal's rim glyph by glyph): certificate / bare page median 2.16x, 2.21x, 2.28x (earlier, at a
    lighter load: 2.22x, 2.20x, 2.19x with certificate 15.6, 15.4, 11.7 ms against 7.0, 7.0, 5.4 ms);
    p99 3.68x, 7.14x, 1.89x (2.17x, 2.99x, 2.26x at the lighter load). cProfile of pdf.render: saving
    (font subset + its zlib compression + formatting objects) about half, the QR code a third (its
    matrix two thirds of that), the seal a tenth, the text rows and the rest the remainder.
  * after: median 1.15x, 1.24x, 1.09x (then 1.23x, 1.23x, 1.24x; certificate 6.6 ms against 5.3 ms at
    the quietest); p99 1.64x, 1.40x, 2.06x in the alternating runs, 1.08x, 1.17x, 1.11x in the next
    three, 1.39x with a median of 1.28x in a last run (p99 follows the machine's load spikes, which
    hit either side). The file is 45.5 KiB instead of 39.9 KiB (two font programs instead of one: size
    ratio 1.53x, was 1.34x). The QR matrix: 0.5-0.9 ms against qrcode's 1.7-4.6 ms (with fit) in the
    same runs. With pyHanko building every container, the faster certificate alone put signed / unsigned
    at 4.4-4.8x.
  * signing, after the container template and the untouched document information (both with the faster
    page; one run of 300 rounds, load average about 1): signed 17.96 ms, certificate 10.90 ms, bare page
    8.87 ms; signed / unsigned median 1.65x (p99 1.54x), certificate / bare page 1.23x (p99 1.28x).
    Interleaved in the same run, signing as before the template took 49.61 ms against 17.93 ms (2.77x).
    Signing's own share fell from about 15 ms to about 4-7 ms; cProfile of what is left: pyHanko reading
    the PDF's objects and writing the update, the byte-range digest, and the RSA signature (about 1.2 ms).

Run from the project root:

    .venv/bin/python bench/bench_certs.py [--rounds 300] [--font /usr/share/fonts/truetype/wqy/wqy-microhei.ttc]
"""
import argparse
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so that `app` imports when run as bench/bench_certs.py

import qrcode  # noqa: E402
from flask import Flask  # noqa: E402
from pyhanko.sign import signers  # noqa: E402
from reportlab import Version as REPORTLAB_VERSION  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

from app.certs import fonts, numbers, pades, pdf, pdfcheck, pki, qr, signing, verify  # noqa: E402

NAMES = ["张三", "李四", "王小明", "买买提·艾力", "欧阳晓燕", "陈思远", "赵敏", "刘洋"]
UNITS = ["重庆示范建筑设计研究院（演示）", "渝北区示范中学（演示）", "沙坪坝区示范社区卫生服务中心（演示）"]
ISSUER = "专业技术人员继续教育公需科目学习平台"


def certificate_data(i):
    return {"number": numbers.new_number(2026), "name": NAMES[i % len(NAMES)],
            "id_number": "5001**********7657", "org_label": "工作单位", "organisation": UNITS[i % len(UNITS)],
            "project": "2026年公需科目", "year": 2026, "hours": 30, "issuer": ISSUER, "issued_on": "2026-11-26"}


def make_certificate(data):
    fp = signing.fingerprint(data)
    url = f"https://ce.example.cn/verify/{data['number']}?fp={fp}"
    return pdf.render(data, url, fp, FONT_PATH)


def make_signed(data):
    return pades.sign(make_certificate(data), SIGNER, pdf.SEAL_BOX)


class EveryContainerSigner(pki.KeptKeySigner):
    """The kept key, with pyHanko building every container (no template)."""

    async_sign = signers.Signer.async_sign


def make_signed_before(data):
    """pades.sign as it was before the template: pyHanko's writer and container for every signature."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields

    writer = IncrementalPdfFileWriter(io.BytesIO(make_certificate(data)), strict=False)
    meta = signers.PdfSignatureMetadata(field_name=pades.FIELD, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", reason="证书签发")
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=BEFORE_SIGNER, stamp_style=pades._STAMP, new_field_spec=fields.SigFieldSpec(
        pades.FIELD, box=tuple(int(v) for v in pdf.SEAL_BOX))).sign_pdf(
        writer, bytes_reserved=pades.BYTES_RESERVED, output=out)
    return out.getvalue()


def make_signed_naively(data):
    """The trap: SimpleSigner (key parsed per signature) and no reserved room (a dry run per PDF)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields

    writer = IncrementalPdfFileWriter(io.BytesIO(make_certificate(data)))
    meta = signers.PdfSignatureMetadata(field_name=pades.FIELD, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256")
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=NAIVE_SIGNER, new_field_spec=fields.SigFieldSpec(
        pades.FIELD, box=tuple(int(v) for v in pdf.SEAL_BOX))).sign_pdf(writer, output=out)
    return out.getvalue()


def make_bare_page(data):
    """The baseline: the same font and the same lines of text on an A4 page, nothing else."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    c.setFont(fonts.MAIN, 14)
    y = 760
    lines = [pdf.TITLE, pdf.body_sentence(data)[:30], pdf.body_sentence(data)[30:]]
    lines += [f"{signing.LABELS[k]}：{data[k]}" for k in pdf.PRINTED] + [f"发证机构：{data['issuer']}"]
    for line in lines:
        c.drawString(72, y, line)
        y -= 28
    c.showPage()
    c.save()
    return out.getvalue()


def qrcode_matrix(url):
    """The same matrix made by qrcode alone (what qr.matrix replaces)."""
    code = qrcode.QRCode(error_correction=qr.ERROR_CORRECTION, border=0, mask_pattern=qr.MASK)
    code.add_data(url)
    code.make(fit=True)
    return code.get_matrix()


def timed(func, arg):
    start = time.perf_counter()
    result = func(arg)
    return (time.perf_counter() - start) * 1000, len(result), result


def p99(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def summary(label, times, sizes):
    print(f"  {label:13} median {statistics.median(times):7.2f} ms   p99 {p99(times):7.2f} ms   "
          f"mean {statistics.fmean(times):7.2f} ms   size {statistics.median(sizes) / 1024:6.1f} KiB")


def main():
    global FONT_PATH
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--font", default="/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    args = parser.parse_args()
    FONT_PATH = args.font
    app = Flask(__name__)
    app.config.update(CERT_SIGNING_KEY="bench-signing-key-" + "x" * 20, CERT_SIGNING_OLD_KEYS="")
    print(f"bench_certs: Python {platform.python_version()}, reportlab {REPORTLAB_VERSION}, "
          f"{os.cpu_count()} CPUs, {platform.machine()}; font {Path(FONT_PATH).name} "
          f"({Path(FONT_PATH).stat().st_size / 1024 / 1024:.1f} MiB)")
    start = time.perf_counter()
    pdf.register_font(FONT_PATH)
    print(f"  font registration (once per process): {(time.perf_counter() - start) * 1000:.0f} ms")
    global SIGNER, NAIVE_SIGNER, BEFORE_SIGNER
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        SIGNER, roots, _ = pki.load({"CERT_PKI_DIR": folder})
        print(f"  development root CA + signer made and loaded (once): {(time.perf_counter() - start) * 1000:.0f} ms")
        BEFORE_SIGNER = EveryContainerSigner(SIGNER._key, SIGNER.signing_cert, roots)
        NAIVE_SIGNER = signers.SimpleSigner.load_pkcs12(str(Path(folder) / pki.SIGNER_NAME),
                                                        passphrase=pki.DEV_PASSPHRASE)
    with app.app_context():
        for i in range(args.warmup):
            make_signed(certificate_data(i))
            make_certificate(certificate_data(i))
            make_bare_page(certificate_data(i))
        signed_t, signed_s, cert_t, cert_s, bare_t, bare_s = [], [], [], [], [], []
        for i in range(args.rounds):
            data = certificate_data(i)
            t, size, signed = timed(make_signed, data)
            signed_t.append(t)
            signed_s.append(size)
            t, size, _ = timed(make_certificate, data)
            cert_t.append(t)
            cert_s.append(size)
            t, size, _ = timed(make_bare_page, data)
            bare_t.append(t)
            bare_s.append(size)
        before_t, after_t = [], []
        for i in range(max(20, args.rounds // 5)):
            before_t.append(timed(make_signed_before, certificate_data(i))[0])
            after_t.append(timed(make_signed, certificate_data(i))[0])
        naive_t = [timed(make_signed_naively, certificate_data(i))[0] for i in range(max(10, args.rounds // 10))]
        read_t = [timed(pdfcheck.read, signed)[0] for _ in range(min(args.rounds, 100))]
        check_t = [timed(lambda d: [pades.check(d, roots)], signed)[0] for _ in range(min(args.rounds, 100))]
        urls = [f"https://ce.example.cn/verify/{numbers.new_number(2026)}?fp={'A' * 39}" for _ in range(100)]
        qr_t = [timed(qr.matrix, url)[0] for url in urls]
        qrcode_t = [timed(qrcode_matrix, url)[0] for url in urls]
        assert all(qr.matrix(url) == qrcode_matrix(url) for url in urls[:10])
        text, _ = pdfcheck.read(signed)
        assert verify.printed_fields(text)["number"] == data["number"]
        assert pades.check(signed, roots)["state"] == pades.INTACT
    print(f"  {args.rounds} rounds, interleaved, after {args.warmup} warm-up rounds:")
    summary("signed", signed_t, signed_s)
    summary("certificate", cert_t, cert_s)
    summary("bare page", bare_t, bare_s)
    print(f"  ratio signed / unsigned certificate (target <= 2x): median "
          f"{statistics.median(signed_t) / statistics.median(cert_t):.2f}x, p99 {p99(signed_t) / p99(cert_t):.2f}x, "
          f"size {statistics.median(signed_s) / statistics.median(cert_s):.2f}x")
    print(f"  ratio certificate / bare page: median {statistics.median(cert_t) / statistics.median(bare_t):.2f}x, "
          f"p99 {p99(cert_t) / p99(bare_t):.2f}x, size {statistics.median(cert_s) / statistics.median(bare_s):.2f}x")
    print(f"  signed as before the template, {len(before_t)} rounds interleaved with signed: median "
          f"{statistics.median(before_t):.2f} ms against {statistics.median(after_t):.2f} ms "
          f"({statistics.median(before_t) / statistics.median(after_t):.2f}x; "
          f"{statistics.median(before_t) / statistics.median(cert_t):.2f}x the unsigned certificate)")
    print(f"  signed the naive way (SimpleSigner, no reserved room), {len(naive_t)} rounds: "
          f"median {statistics.median(naive_t):.2f} ms "
          f"({statistics.median(naive_t) / statistics.median(cert_t):.2f}x the unsigned certificate)")
    print(f"  of which the QR code's matrix (qr.matrix, one fixed mask): median {statistics.median(qr_t):.2f} ms "
          f"(qrcode's own make, fit: {statistics.median(qrcode_t):.2f} ms)")
    print(f"  reading a certificate back within bounds (pdfcheck.read, as /verify does): "
          f"median {statistics.median(read_t):.2f} ms, p99 {p99(read_t):.2f} ms")
    print(f"  validating its signature (pades.check, pyHanko): median {statistics.median(check_t):.2f} ms, "
          f"p99 {p99(check_t):.2f} ms")
    print(f"  throughput of one core: about {1000 / statistics.median(signed_t):.0f} signed certificates/s")


FONT_PATH = None
SIGNER = NAIVE_SIGNER = BEFORE_SIGNER = None

if __name__ == "__main__":
    main()
