"""The mini-program's group purchase against this backend: its own utils/ and api/ code run by Node.

miniprogram/test/contract/group.js, over real HTTP with the WeChat sandbox: a non-contact is refused;
the unit's contact pastes a list, picks the 附件2 xlsx from a chat (wx.chooseMessageFile) and uploads
it, waits for a large list checked in the worker, orders the valid lines and pays with
wx.requestPayment. No answer holds a stored name. The database must then say the same.
"""
import io
import json
import subprocess
import time

import openpyxl

from app.learning.models import Enrollment
from app.pay.group import uploads
from app.pay.models import Order, OrderSeat
from tests.test_miniprogram_contract import MINIPROGRAM, RUN_TIMEOUT, node_binary
from tests.test_pay_gateway import (  # noqa: F401  (fixtures)
    fast_sandbox_fixture,
    make_user,
    project_fixture,
)
from tests.test_pay_group_check import approved_contact, make_id

BIG_ROWS = 5000


def _xlsx(path, rows):
    wb = openpyxl.Workbook()
    wb.active.append(["区    县：", "渝中区", "单位全称：", "重庆市某某局"])
    wb.active.append(["序号", "姓名", "身份证号码", "手机号码", "性别", "备注"])
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    path.write_bytes(out.getvalue())
    return str(path)


def test_group_purchase_from_the_miniprogram(app, live_server, sandbox, project, drain, tmp_path, engine):
    from app.accounts import service

    contact = make_user(1, name="王经办")
    unit = approved_contact(contact)
    stranger = make_user(2, name="路人甲")
    learners = [make_user(10 + i, name=name) for i, name in enumerate(["张三", "李四", "王芳"])]
    owner = make_user(20, name="陈静")
    Enrollment.create(user=owner.id, project=project.id, source="grant")
    ids = [service.id_number_of(u) for u in learners]
    small = _xlsx(tmp_path / "list.xlsx", [
        [1, "张三", ids[0], "13900000010", "男" if int(ids[0][16]) % 2 else "女"],
        [2, "李 四", ids[1], "13900000011", ""],                                  # space inside the name
        [3, "王芳", ids[2].lower(), "13900000012", ""],
        [4, "陈晨", service.id_number_of(owner), "13900000013", ""],               # wrong name for an owner
        [5, "赵六", make_id(555), "13900000014", ""],                              # not registered
    ])
    big = _xlsx(tmp_path / "big.xlsx", [[i, "学员", make_id(3000 + i)] for i in range(BIG_ROWS)])
    assert (tmp_path / "big.xlsx").stat().st_size > uploads.INLINE_BYTES
    config = {
        "base_url": live_server, "sandbox_url": sandbox.url, "password": "Secret123",
        "username": service.mobile_of(contact), "stranger_username": service.mobile_of(stranger),
        "project_id": project.id, "unit_id": unit.id, "xlsx_path": small, "big_xlsx_path": big, "big_rows": BIG_ROWS,
        "lines": f"{ids[0]}\n陈晨 {service.id_number_of(owner)}\n{make_id(556)}",
        "stored_names": ["李四", "陈静", "路人甲"],
    }
    config_path = tmp_path / "group.json"
    config_path.write_text(json.dumps(config, ensure_ascii=False))
    proc = subprocess.Popen([node_binary(), "test/contract/group.js"], cwd=MINIPROGRAM, text=True,
                            env={**__import__("os").environ, "CONTRACT_CONFIG": str(config_path)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + RUN_TIMEOUT
    while proc.poll() is None and time.monotonic() < deadline:
        drain()  # the worker's part: large lists, after-paid jobs
        time.sleep(0.2)
    if proc.poll() is None:
        proc.kill()
    output = proc.stdout.read()
    print(output)
    assert proc.returncode == 0, output
    result = json.loads(next(line for line in output.splitlines() if line.startswith("RESULT "))[7:])

    assert result["pasted"] == [["ok", None], ["error", "姓名与身份证号不一致"], ["error", "未注册，请先批量注册"]]
    assert result["xlsx"] == [[3, "ok", None], [4, "error", "name"], [5, "ok", None], [6, "error", "name_mismatch"],
                              [7, "error", "not_registered"]]
    assert result["big_total"] == BIG_ROWS and result["contact"] == "王经办"
    order = Order.get(Order.order_no == result["order_no"])
    assert (order.status, order.pay_channel, order.unit_id, order.buyer_id) == ("paid", "mini", unit.id, contact.id)
    seats = {s.user_id for s in OrderSeat.select().where(OrderSeat.order == order.id)}
    assert seats == {learners[0].id, learners[2].id}
    assert {e.user_id for e in Enrollment.select().where(Enrollment.order_id == order.id)} == seats
