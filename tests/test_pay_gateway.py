"""app/pay/gateway.py against the WeChat Pay sandbox over HTTP (real wechatpayv3, real Redis, both engines).

Helpers and fixtures here are shared by test_pay_notify.py and test_pay_refunds.py.
"""
import datetime
import json
import time
import uuid

import pytest
import requests

from app.accounts import service
from app.accounts.models import User
from app.db import utcnow
from app.errors import ApiError
from app.learning.models import Project
from app.pay import checkout, gateway, orders, settle
from app.pay.models import Order, PaymentTransaction
from app.wechat import keys
from app.wechat.sandbox import pay_crypto

PRICE = 9900
OPENID = "oPayTestOpenid00000000000001"


# ---- helpers -------------------------------------------------------------------------------------

def id_number(n):
    """A valid 18-digit ID number (checksum included); even sequence digit: female."""
    base = f"11010519900101{n:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return base + "10X98765432"[sum(int(d) * w for d, w in zip(base, weights, strict=True)) % 11]


def make_user(n, role="learner", name="李四"):
    number = id_number(n)
    return service.create_user(name=name, id_number=number, mobile=f"139{n:08d}",
                               gender="F" if int(number[16]) % 2 == 0 else "M", password="Secret123", role=role)


def reload(order):
    return Order.get_by_id(order.id)


def rows(order=None, kind=None):
    query = PaymentTransaction.select().order_by(PaymentTransaction.id)
    if order is not None:
        query = query.where(PaymentTransaction.order == order.id)
    if kind is not None:
        query = query.where(PaymentTransaction.kind == kind)
    return list(query)


def sandbox_txn(sandbox_api, order_no):
    [txn] = sandbox_api.get(f"/pay/transactions?out_trade_no={order_no}")["transactions"]
    return txn


def sandbox_notices(sandbox_api, order_no, event_type=None):
    query = f"/pay/notifications?out_trade_no={order_no}" + (f"&event_type={event_type}" if event_type else "")
    return sandbox_api.get(query)["notifications"]


def signed_notification(sandbox, payload, event_type="TRANSACTION.SUCCESS", timestamp=None, serial=None):
    """(headers, body bytes) of a notification signed with the sandbox's platform key, as WeChat Pay would."""
    original = "refund" if event_type.startswith("REFUND.") else "transaction"
    with sandbox.app.app_context():
        resource = pay_crypto.encrypt_resource(payload, original, original)
    envelope = {"id": str(uuid.uuid4()), "create_time": "2026-06-01T10:00:00+08:00",
                "resource_type": "encrypt-resource", "event_type": event_type, "summary": "支付成功",
                "resource": resource}
    body = pay_crypto.dumps(envelope)
    ts, nonce = str(int(timestamp or time.time())), uuid.uuid4().hex
    signature = keys.sign(sandbox.app.extensions["sandbox_platform_key"], f"{ts}\n{nonce}\n{body}\n")
    headers = {"Wechatpay-Timestamp": ts, "Wechatpay-Nonce": nonce, "Wechatpay-Signature": signature,
               "Wechatpay-Serial": serial or sandbox.app.config["WECHATPAY_PUBLIC_KEY_ID"],
               "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048", "Content-Type": "application/json"}
    return headers, body.encode()


def post_notification(base_url, headers, body):
    return requests.post(base_url + "/pay/wechat/notify", data=body, headers=headers, timeout=10)


def paid_at_sandbox(sandbox_api, order, notify="lost", **extra):
    """The payer pays at WeChat (the sandbox); returns the transaction the sandbox answers with."""
    return sandbox_api.post("/pay/pay", {"out_trade_no": order.order_no, "notify": notify, **extra})["transaction"]


# ---- fixtures (named *_fixture so that the other pay test modules can import them) -----------------

@pytest.fixture(name="fast_sandbox", autouse=True)
def fast_sandbox_fixture(sandbox, monkeypatch):
    """Quick notification retries; refunds complete only when a test says so."""
    monkeypatch.setitem(sandbox.app.config, "WECHAT_SANDBOX_NOTIFY_RETRY", "0.3,0.5,1,2,3")
    monkeypatch.setitem(sandbox.app.config, "WECHAT_SANDBOX_REFUND_DELAY", -1)


@pytest.fixture(name="project")
def project_fixture(app):
    now = utcnow()
    return Project.create(year=2026, name="2026年度专业技术人员公需科目", price_fen=PRICE,
                          sale_start=now - datetime.timedelta(days=1), sale_end=now + datetime.timedelta(days=30))


@pytest.fixture(name="buyer")
def buyer_fixture(app):
    return make_user(1, name="王小明")


@pytest.fixture(name="staff")
def staff_fixture(app):
    from app.staff import roles

    member = make_user(900, role="staff", name="赵老师")
    roles.grant(member, "finance")
    return member


@pytest.fixture(name="order")
def order_fixture(project, buyer):
    return orders.create_individual_order(buyer, project.id, None)


def pay_and_settle(sandbox_api, order):
    """Prepay (native), pay at the sandbox without a notification, settle by query: a paid order."""
    checkout.prepay(order, "native")
    paid_at_sandbox(sandbox_api, order)
    assert settle.settle_order(order.order_no) == "paid"
    return reload(order)


# ---- prepay --------------------------------------------------------------------------------------

def test_native_prepay_uses_the_order_number_and_repaying_reuses_it(app, sandbox_api, order, project, buyer):
    first = checkout.prepay(order, "native")
    assert first["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")
    saved = reload(order)
    assert (saved.pay_channel, saved.payer_appid, saved.code_url) == ("native", app.config["WECHAT_MP_APPID"],
                                                                      first["code_url"])
    assert saved.prepaid_at is not None

    # The learner comes back: the same open order, the same number, the same QR code.
    again_order = orders.create_individual_order(buyer, project.id, None)
    assert again_order.order_no == order.order_no
    assert checkout.prepay(again_order, "native") == first

    txn = sandbox_txn(sandbox_api, order.order_no)
    assert txn["description"] == project.name and txn["total"] == PRICE
    assert txn["notify_url"] == app.config["PUBLIC_BASE_URL"] + "/pay/wechat/notify"
    assert txn["time_expire"] == checkout.rfc3339(order.expires_at) and txn["time_expire"].endswith("+08:00")
    assert len(sandbox_api.get("/pay/transactions")["transactions"]) == 1
    assert [r.outcome for r in rows(order, "prepay")] == ["ok", "ok"]


@pytest.mark.parametrize("channel, appid_key", [("jsapi", "WECHAT_MP_APPID"), ("mini", "WECHAT_MINI_APPID")])
def test_jsapi_and_mini_pay_sign_verifies(app, sandbox_api, order, channel, appid_key):
    params = checkout.prepay(order, channel, openid=OPENID)
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["appId"] == app.config[appid_key] and params["signType"] == "RSA"
    assert params["package"] == "prepay_id=" + reload(order).prepay_id
    checked = sandbox_api.post("/pay/check-paysign", params)
    assert checked["valid"] is True and checked["order_found"] and checked["appid_matches"]
    assert sandbox_api.post("/pay/check-paysign", {**params, "nonceStr": "x" + params["nonceStr"]})["valid"] is False
    saved = reload(order)
    assert (saved.pay_channel, saved.payer_openid, saved.payer_appid) == (channel, OPENID, app.config[appid_key])
    assert sandbox_txn(sandbox_api, order.order_no)["trade_type"] == "JSAPI"


def test_prepay_needs_an_openid_in_wechat_and_a_known_channel(order):
    with pytest.raises(ApiError) as err:
        checkout.prepay(order, "jsapi")
    assert err.value.status == 422
    with pytest.raises(ApiError) as err:
        checkout.prepay(order, "alipay")
    assert err.value.status == 422
    assert rows() == []  # refused before any call


def test_prepay_refused_for_expired_paid_or_closed_orders(app, sandbox_api, order):
    Order.update(expires_at=utcnow() - datetime.timedelta(seconds=1)).where(Order.id == order.id).execute()
    with pytest.raises(ApiError) as err:
        checkout.prepay(order, "native")
    assert err.value.status == 409 and "重新下单" in err.value.message
    for status in ("paid", "closed"):
        Order.update(status=status, expires_at=utcnow() + datetime.timedelta(minutes=5)).where(
            Order.id == order.id).execute()
        with pytest.raises(ApiError) as err:
            checkout.prepay(order, "native")
        assert err.value.status == 409
    assert rows() == [] and sandbox_api.get("/pay/transactions")["transactions"] == []


def test_switching_channel_closes_the_opened_order_so_the_learner_orders_again(sandbox_api, order, project, buyer):
    checkout.prepay(order, "native")  # the QR code on a PC
    with pytest.raises(ApiError) as err:
        checkout.prepay(order, "jsapi", openid=OPENID)  # then inside WeChat: the same number cannot change payer
    assert (err.value.status, err.value.code) == (409, "order_closed")
    assert reload(order).status == "closed" and sandbox_txn(sandbox_api, order.order_no)["trade_state"] == "CLOSED"
    again = orders.create_individual_order(buyer, project.id, None)
    assert again.order_no != order.order_no
    assert checkout.prepay(again, "jsapi", openid=OPENID)["package"].startswith("prepay_id=")


def test_prepay_of_an_order_already_paid_at_wechat_queues_a_settle(app, sandbox_api, order, drain):
    checkout.prepay(order, "native")
    paid_at_sandbox(sandbox_api, order)
    Order.update(prepaid_at=None).where(Order.id == order.id).execute()  # as if our save had been lost
    with pytest.raises(ApiError) as err:
        checkout.prepay(order, "native")
    assert err.value.status == 409 and err.value.data["wechat_code"] == "ORDERPAID"
    drain()
    assert reload(order).status == "paid"


# ---- query, close, failures ----------------------------------------------------------------------

def test_query_and_close(app, sandbox_api, order):
    assert gateway.query("CE0000000000000000NONE") is None
    checkout.prepay(order, "native")
    assert gateway.query(order.order_no)["trade_state"] == "NOTPAY"
    gateway.close(order.order_no)
    gateway.close(order.order_no)  # closing again is fine
    assert gateway.query(order.order_no)["trade_state"] == "CLOSED"
    assert sandbox_txn(sandbox_api, order.order_no)["trade_state"] == "CLOSED"
    kinds = [(r.kind, r.direction, r.status_code, r.outcome) for r in rows()]
    assert kinds == [("query", "out", 404, "ORDER_NOT_EXIST"), ("prepay", "out", 200, "ok"),
                     ("query", "out", 200, "ok"), ("close", "out", 204, "ok"), ("close", "out", 204, "ok"),
                     ("query", "out", 200, "ok")]
    assert all(r.verified for r in rows() if r.status_code and r.status_code < 300)
    assert rows()[0].order_id is None and all(r.order_id == order.id for r in rows()[1:])
    detail = json.loads(rows(order, "query")[-1].detail)
    assert detail["answer_trade_state"] == "CLOSED" and detail["out_trade_no"] == order.order_no


def test_wechat_5xx_becomes_a_clear_error_and_is_recorded(app, sandbox_api, order):
    sandbox_api.post("/failures", {"path_prefix": "/v3/pay/transactions/native", "times": 1, "http_status": 500})
    with pytest.raises(gateway.Unavailable) as err:
        checkout.prepay(order, "native")
    assert (err.value.status, err.value.message) == (502, "支付服务暂时不可用，请稍后重试")
    [row] = rows(order, "prepay")
    assert (row.status_code, row.outcome, row.verified) == (500, "SYSTEM_ERROR", None)
    assert reload(order).prepaid_at is None
    assert "code_url" in checkout.prepay(order, "native")  # the next try goes through


def test_network_error_becomes_a_clear_error_and_is_recorded(app_factory, project, buyer):
    other = app_factory(WECHATPAY_GATEWAY="http://127.0.0.1:9")  # nothing listens there
    with other.app_context():
        order = orders.create_individual_order(buyer, project.id, None)
        with pytest.raises(gateway.Unavailable) as err:
            checkout.prepay(order, "native")
        assert err.value.status == 502
        [row] = rows(order)
        assert (row.kind, row.status_code, row.outcome) == ("prepay", None, "network_error")


def test_the_client_is_built_once_per_app(app):
    assert gateway.client() is gateway.client()
    assert gateway.client()._core._gate_way == app.config["WECHATPAY_GATEWAY"]


def test_every_detail_is_free_of_secrets(app, sandbox_api, order):
    checkout.prepay(order, "jsapi", openid=OPENID)
    paid_at_sandbox(sandbox_api, order)
    settle.settle_order(order.order_no)
    text = " ".join(r.detail for r in rows())
    assert OPENID not in text and app.config["WECHATPAY_APIV3_KEY"] not in text and "PRIVATE" not in text


# ---- verifying notifications ---------------------------------------------------------------------

def _payload(app, order_no="CE20260601000000123456"):
    return {"appid": app.config["WECHAT_MP_APPID"], "mchid": app.config["WECHATPAY_MCHID"],
            "out_trade_no": order_no, "transaction_id": "4200000000202606010000000001", "trade_type": "NATIVE",
            "trade_state": "SUCCESS", "amount": {"total": PRICE, "currency": "CNY", "payer_total": PRICE}}


def test_verify_notification_decrypts_a_correct_one(app, sandbox):
    headers, body = signed_notification(sandbox, _payload(app))
    notice = gateway.verify_notification(headers, body)
    assert notice["event_type"] == "TRANSACTION.SUCCESS" and notice["resource"] == _payload(app)


@pytest.mark.parametrize("header", ["Wechatpay-Serial", "Wechatpay-Signature", "Wechatpay-Timestamp",
                                    "Wechatpay-Nonce"])
def test_verify_notification_refuses_empty_headers(app, sandbox, header):
    headers, body = signed_notification(sandbox, _payload(app))
    with pytest.raises(gateway.NotificationRefused) as err:
        gateway.verify_notification({**headers, header: ""}, body)
    assert err.value.status == 401 and "missing header" in err.value.reason


@pytest.mark.parametrize("skew", [-600, 301, 600])
def test_verify_notification_refuses_a_timestamp_over_five_minutes_away(app, sandbox, skew):
    headers, body = signed_notification(sandbox, _payload(app), timestamp=time.time() - skew)
    with pytest.raises(gateway.NotificationRefused) as err:
        gateway.verify_notification(headers, body)
    assert err.value.reason == "timestamp out of range"


def test_verify_notification_refuses_bad_signatures_on_the_raw_bytes(app, sandbox):
    headers, body = signed_notification(sandbox, _payload(app))
    reserialised = json.dumps(json.loads(body)).encode()  # same content, other bytes
    for bad_headers, bad_body in [(headers, reserialised), (headers, body + b" "),
                                  ({**headers, "Wechatpay-Signature": "WECHATPAY/SIGNTEST/" + "A" * 40}, body),
                                  ({**headers, "Wechatpay-Nonce": "other"}, body)]:
        with pytest.raises(gateway.NotificationRefused) as err:
            gateway.verify_notification(bad_headers, bad_body)
        assert err.value.reason == "signature invalid"
    with pytest.raises(gateway.NotificationRefused) as err:
        gateway.verify_notification(*signed_notification(sandbox, _payload(app), serial="PUB_KEY_ID_0000"))
    assert err.value.reason == "unknown serial"


# ---- the operators' CLI --------------------------------------------------------------------------

def test_cli_show_and_query_mask_personal_data(app, sandbox_api, order, buyer):
    paid = pay_and_settle(sandbox_api, order)
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["pay", "show", paid.order_no])
    assert shown.exit_code == 0, shown.output
    assert f"order {paid.order_no} (individual): paid, 99.00 yuan" in shown.output
    assert "王**" in shown.output and "王小明" not in shown.output
    assert "query" in shown.output and "prepay" in shown.output
    queried = runner.invoke(args=["pay", "query", paid.order_no])
    assert queried.exit_code == 0 and "WeChat Pay: SUCCESS, total 9900 fen" in queried.output
    missing = runner.invoke(args=["pay", "show", "CE0000"])
    assert missing.exit_code != 0 and "not found" in missing.output
    assert User.get_by_id(buyer.id).name == "王小明"
