"""Sandbox: WeChat Pay v3 (api.mch.weixin.qq.com, direct-merchant paths), public-key mode.

Every /v3 request must carry the merchant's `Authorization` signature (checked with the public key of
WECHATPAY_PRIVATE_KEY_PATH); every /v3 answer is signed with the platform key and names
WECHATPAY_PUBLIC_KEY_ID in Wechatpay-Serial, so the real wechatpayv3 SDK accepts it unchanged.

    POST /v3/pay/transactions/{jsapi|native|h5|app}            prepay
    GET  /v3/pay/transactions/out-trade-no/{no}?mchid=          query by merchant order number
    GET  /v3/pay/transactions/id/{transaction_id}?mchid=        query by WeChat Pay order number
    POST /v3/pay/transactions/out-trade-no/{no}/close           close (204)
    POST /v3/refund/domestic/refunds                            refund (PROCESSING)
    GET  /v3/refund/domestic/refunds/{out_refund_no}            query a refund
    GET  /v3/bill/tradebill?bill_date=&bill_type=&tar_type=     apply for a trade bill (pay_bills)
    GET  /v3/billdownload/file?token=                           download it (gzip or plain; not signed)
    GET  /v3/certificates                                       500 SYSTEM_ERROR, like merchant accounts
         opened since 2024 that must use public-key mode (the sandbox has no platform certificate)

The rules live in pay_store and pay_refunds, notifications in pay_notify, control endpoints in pay_control and the
payment sheet in pay_pages (both nested under this blueprint).
"""
from flask import Blueprint, Response, current_app, request

from app.wechat.sandbox import pay_api, pay_bills, pay_control, pay_pages, pay_refunds, pay_store
from app.wechat.sandbox.pay_api import answer, json_body
from app.wechat.sandbox.pay_crypto import PayError

bp = Blueprint("sandbox_pay", __name__)
DOWNLOAD_PATH = "/v3/billdownload/file"
bp.register_blueprint(pay_control.bp)
bp.register_blueprint(pay_pages.bp)


def _is_api():
    return request.path.startswith("/v3/")


pay_api.guard(bp, _is_api, unsigned_paths=(DOWNLOAD_PATH,))  # WeChat does not sign bill files


def _check_mchid(value, location):
    if not value:
        raise PayError(400, "PARAM_ERROR", "缺少 mchid", {"location": location, "field": "mchid"})
    if value != current_app.config["WECHATPAY_MCHID"]:
        raise PayError(400, "MCH_NOT_EXISTS", "商户号不存在", {"location": location, "field": "mchid"})


@bp.post("/v3/pay/transactions/<kind>")
def prepay(kind):
    if kind not in pay_store.TRADE_TYPES:
        raise PayError(404, "RESOURCE_NOT_EXISTS", f"沙箱不支持 /v3/pay/transactions/{kind}")
    order = pay_store.create_order(kind, json_body(), request.host_url)
    return answer(pay_store.prepay_answer(order))


@bp.get("/v3/pay/transactions/out-trade-no/<out_trade_no>")
def query_by_out_trade_no(out_trade_no):
    _check_mchid(request.args.get("mchid"), "query")
    return answer(pay_store.transaction_view(pay_store.require_order(out_trade_no=out_trade_no)))


@bp.get("/v3/pay/transactions/id/<transaction_id>")
def query_by_transaction_id(transaction_id):
    _check_mchid(request.args.get("mchid"), "query")
    return answer(pay_store.transaction_view(pay_store.require_order(transaction_id=transaction_id)))


@bp.post("/v3/pay/transactions/out-trade-no/<out_trade_no>/close")
def close(out_trade_no):
    _check_mchid(json_body().get("mchid"), "body")
    pay_store.close_order(out_trade_no)
    return answer(None, 204)


@bp.post("/v3/refund/domestic/refunds")
def refund():
    refund, created = pay_refunds.create_refund(json_body())
    if created:
        pay_control.schedule_refund_completion(refund["out_refund_no"])
    return answer(pay_refunds.refund_view(refund))


@bp.get("/v3/refund/domestic/refunds/<out_refund_no>")
def query_refund(out_refund_no):
    return answer(pay_refunds.refund_view(pay_control.complete_if_due(out_refund_no)))


@bp.get("/v3/bill/tradebill")
def trade_bill():
    return answer(pay_bills.apply(request.args, request.host_url))


@bp.get(DOWNLOAD_PATH)
def download_bill():
    data, content_type = pay_bills.download(request.args.get("token"))
    return Response(data, content_type=content_type)


@bp.get("/v3/certificates")
def certificates():
    raise PayError(500, "SYSTEM_ERROR", "系统繁忙，请稍后重试")
