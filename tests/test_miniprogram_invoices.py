"""我的发票 in the mini-program against this backend: its own utils/ and api/ code run by Node
(miniprogram/test/contract/invoices.js) over real HTTP with the WeChat sandbox: "apply later" (the title then
offered among the saved titles) and download.
The sandbox issues after half a second and calls the live app back; the worker's part is drained here."""
import json
import os
import subprocess
import time

from pypdf import PdfReader

from app.accounts import service
from app.invoices.models import Invoice
from tests.refund_helpers import buy
from tests.test_miniprogram_contract import MINIPROGRAM, RUN_TIMEOUT, node_binary
from tests.test_pay_gateway import fast_sandbox_fixture, make_user, project_fixture  # noqa: F401  (fixtures)


def test_apply_later_and_download_in_the_miniprogram(app, live_server, sandbox, sandbox_api, project, drain,
                                                     tmp_path, monkeypatch):
    monkeypatch.setitem(sandbox.app.config, "WECHAT_SANDBOX_FAPIAO_DELAY", 0.5)
    buyer = make_user(1, name="王小明")
    order = buy(sandbox_api, buyer, project)
    config = {"base_url": live_server, "sandbox_url": sandbox.url, "username": service.mobile_of(buyer),
              "password": "Secret123", "order_no": order.order_no, "title": "王小明", "deadline_ms": 30000}
    config_path = tmp_path / "invoices.json"
    config_path.write_text(json.dumps(config, ensure_ascii=False))
    proc = subprocess.Popen([node_binary(), "test/contract/invoices.js"], cwd=MINIPROGRAM, text=True,
                            env={**os.environ, "CONTRACT_CONFIG": str(config_path)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + RUN_TIMEOUT
    while proc.poll() is None and time.monotonic() < deadline:
        drain()  # the worker's part: sending the application
        time.sleep(0.2)
    if proc.poll() is None:
        proc.kill()
    output = proc.stdout.read()
    print(output)
    assert proc.returncode == 0, output
    result = json.loads(output.split("RESULT ", 1)[1])
    assert result["saved_titles"] == [{"title_type": "personal", "name": "王小明", "tax_no": None, "email": None}]
    invoice = Invoice.get(Invoice.fapiao_id == result["fapiao_id"])
    assert (invoice.status, invoice.name, invoice.order_id) == ("issued", "王小明", order.id)
    with open(result["pdf_path"], "rb") as pdf:
        assert "王小明" in PdfReader(pdf).pages[0].extract_text()
