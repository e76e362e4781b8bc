"""Sandbox: WeChat Pay's e-invoice API (/v3/new-tax-control-fapiao), as WeChat answers it.

Requests must carry the merchant's signature; answers are signed by the platform key (the file
download is not, like WeChat's). Issuing and reversing are asynchronous: the API answers 202, the
invoice turns ISSUED / REVERSED after WECHAT_SANDBOX_FAPIAO_DELAY seconds (default 1; -1: only when
/_sandbox/fapiao/complete says so) and a FAPIAO.ISSUED / FAPIAO.REVERSED notification, signed and
encrypted like a payment notification, goes to the callback URL set through development-config.

    PATCH|GET /merchant/development-config      GET /merchant/base-information    GET /merchant/tax-codes
    GET  /user-title/title-url?...               GET /user-title?fapiao_apply_id=&scene=
    POST /fapiao-applications (202)              GET /fapiao-applications/{id}[?fapiao_id=]
    POST /fapiao-applications/{id}/reverse (202) POST /fapiao-applications/{id}/insert-cards (202)
    GET  /fapiao-applications/{id}/fapiao-files[?fapiao_id=]   (GET only, as WeChat: POST is 404)
    GET  /download?token=&fapiao_id=             the PDF (unsigned; the token is the credential)

Control (not WeChat APIs): POST /_sandbox/fapiao/complete {fapiao_apply_id, fapiao_id?, notify?, at?},
POST /_sandbox/fapiao/user-title {fapiao_apply_id, buyer_information, notify?} and the page
/_sandbox/fapiao/title-page (the user's WeChat title page), GET /_sandbox/fapiao/applications (card
insertions included).
"""
import time

from flask import Blueprint, Response, current_app, render_template, request

from app.wechat.sandbox import fapiao_pdf, fapiao_store, pay_api, pay_notify, pay_store, state
from app.wechat.sandbox.pay_api import answer, json_body
from app.wechat.sandbox.pay_crypto import PayError

bp = Blueprint("sandbox_fapiao", __name__)
BASE = "/v3/new-tax-control-fapiao"
DOWNLOAD = BASE + "/download"
EVENTS = {"ISSUED": ("FAPIAO.ISSUED", "发票开具成功"), "REVERSED": ("FAPIAO.REVERSED", "发票冲红成功"),
          "USER_APPLIED": ("FAPIAO.USER_APPLIED", "用户发票抬头填写完成")}


pay_api.guard(bp, lambda: request.path.startswith(BASE), unsigned_paths=(DOWNLOAD,))  # as WeChat: PDFs unsigned


# ---- notifications and the asynchronous steps ----------------------------------------------------

def notice(event, apply_id, fapiao_list=(), apply_time=None):
    """Build and store a FAPIAO.* notification (delivered by pay_notify.dispatch)."""
    event_type, summary = EVENTS[event]
    payload = {"mchid": current_app.config["WECHATPAY_MCHID"], "fapiao_apply_id": apply_id}
    if apply_time:
        payload["apply_time"] = apply_time
    if fapiao_list:
        payload["fapiao_information"] = [{"fapiao_id": f["fapiao_id"], "fapiao_status": f["status"],
                                          "card_status": f["card_status"] or ""} for f in fapiao_list]
    return pay_notify.build(fapiao_store.callback_url(), event_type, summary, "fapiao", payload, apply_id)


def complete(apply_id, fapiao_id=None, mode="normal", at=None):
    """Finish every accepted issue or reversal of the application (or of one invoice) and notify; `at` (Unix
    seconds) is the time the tax system stamps on them, now by default."""
    pay_notify.check_mode(mode)
    application = fapiao_store.require(apply_id)
    done = {"ISSUED": [], "REVERSED": []}
    for fapiao in application["fapiao"]:
        if fapiao_id and fapiao["fapiao_id"] != fapiao_id:
            continue
        if fapiao["status"] == "ISSUE_ACCEPTED" and (
                changed := fapiao_store.issue(apply_id, fapiao["fapiao_id"], at)):
            done["ISSUED"].append(changed)
        elif fapiao["status"] == "REVERSE_ACCEPTED" and (
                changed := fapiao_store.finish_reverse(apply_id, fapiao["fapiao_id"], at)):
            done["REVERSED"].append(changed)
    for event, changed in done.items():
        if changed:
            pay_notify.dispatch(notice(event, apply_id, changed), mode)
    return done


def _delay():
    return float(current_app.config.get("WECHAT_SANDBOX_FAPIAO_DELAY", 1.0))


def _complete_later(apply_id):
    delay = _delay()
    if delay < 0:
        return

    def run():
        time.sleep(delay)
        if fapiao_store.load(apply_id) is not None:
            complete(apply_id)

    pay_notify.run_in_background(run)


# ---- merchant configuration ----------------------------------------------------------------------

@bp.route(BASE + "/merchant/development-config", methods=["PATCH", "GET"])
def development_config():
    if request.method == "PATCH":
        url = pay_store.text_field(json_body(), "callback_url", 256)
        if not url.startswith(("http://", "https://")):
            raise pay_store.param_error("callback_url", "callback_url 必须是 http(s) 开头的完整 URL")
        fapiao_store.set_callback_url(url)
    return answer({"callback_url": fapiao_store.callback_url() or ""})


@bp.get(BASE + "/merchant/base-information")
def base_information():
    info = fapiao_store.seller()
    return answer({"seller_name": info["name"], "taxpayer_id": info["taxpayer_id"], "address": info["address"],
                   "telephone": info["telephone"], "bank_name": info["bank_name"],
                   "bank_account": info["bank_account"]})


@bp.get(BASE + "/merchant/tax-codes")
def tax_codes():
    codes = fapiao_store.tax_codes()
    return answer({"data": codes, "total_count": len(codes), "offset": 0, "limit": 20})


# ---- titles --------------------------------------------------------------------------------------

@bp.get(BASE + "/user-title/title-url")
def title_url():
    args = request.args
    for name in ("fapiao_apply_id", "source", "total_amount", "appid", "openid"):
        if not args.get(name):
            raise PayError(400, "PARAM_ERROR", f"缺少 {name}", {"location": "query", "field": name})
    if args["source"] not in ("WEB", "MINIPROGRAM"):
        raise PayError(400, "PARAM_ERROR", "source 只能是 WEB 或 MINIPROGRAM")
    base = request.host_url.rstrip("/")
    return answer({"url": f"{base}/_sandbox/fapiao/title-page?fapiao_apply_id={args['fapiao_apply_id']}"})


@bp.get(BASE + "/user-title")
def user_title():
    title = state.get(("fapiao", "title", request.args.get("fapiao_apply_id", "")))
    if title is None:
        raise PayError(404, "RESOURCE_NOT_EXISTS", "用户尚未填写抬头")
    return answer(title)


# ---- applications --------------------------------------------------------------------------------

@bp.post(BASE + "/fapiao-applications")
def applications():
    body = json_body()
    if fapiao_store.apply(body):
        _complete_later(body["fapiao_apply_id"])
    return answer(None, 202)


@bp.get(BASE + "/fapiao-applications/<apply_id>")
def query(apply_id):
    application = fapiao_store.require(apply_id)
    wanted = request.args.get("fapiao_id")
    found = [f for f in application["fapiao"] if not wanted or f["fapiao_id"] == wanted]
    if wanted and not found:
        raise PayError(404, "RESOURCE_NOT_EXISTS", "发票不存在")
    return answer({"total_count": len(found), "fapiao_information": [fapiao_store.view(f) for f in found]})


@bp.post(BASE + "/fapiao-applications/<apply_id>/reverse")
def reverse(apply_id):
    if fapiao_store.reverse(apply_id, json_body()):
        _complete_later(apply_id)
    return answer(None, 202)


@bp.post(BASE + "/fapiao-applications/<apply_id>/insert-cards")
def insert_cards(apply_id):
    body = json_body()
    fapiao_store.require(apply_id)
    state.record("fapiao_cards", {"fapiao_apply_id": apply_id, "cards": body.get("fapiao_card_information"),
                                  "at": pay_store.rfc3339()})
    return answer(None, 202)


@bp.route(BASE + "/fapiao-applications/<apply_id>/fapiao-files", methods=["GET", "POST"])
def files(apply_id):
    if request.method != "GET":  # WeChat serves this query only as GET
        raise PayError(404, "NOT_FOUND", "请求的资源不存在，请检查请求方法和路径")
    application = fapiao_store.require(apply_id)
    wanted = request.args.get("fapiao_id")
    base = request.host_url.rstrip("/")
    out = []
    for f in application["fapiao"]:
        if (wanted and f["fapiao_id"] != wanted) or f["status"] not in ("ISSUED", "REVERSED", "REVERSE_ACCEPTED"):
            continue
        out.append({"fapiao_id": f["fapiao_id"], "status": "DOWNLOAD_READY",
                    "download_url": f"{base}{DOWNLOAD}?token={f['download_token']}&fapiao_id={f['fapiao_id']}"})
    return answer({"fapiao_download_info_list": out})


@bp.get(DOWNLOAD)
def download():
    token, fapiao_id = request.args.get("token", ""), request.args.get("fapiao_id", "")
    for application in fapiao_store.all_applications():
        fapiao = fapiao_store.find(application, fapiao_id)
        if fapiao and token and fapiao.get("download_token") == token:
            return Response(fapiao_pdf.render(fapiao), content_type="application/pdf")
    raise PayError(404, "RESOURCE_NOT_EXISTS", "下载链接无效")


# ---- control -------------------------------------------------------------------------------------

@bp.post("/_sandbox/fapiao/complete")
def control_complete():
    data = json_body()
    at = data.get("at")
    if at is not None and (not isinstance(at, int | float) or isinstance(at, bool)):
        raise pay_store.param_error("at", "at 必须是 Unix 时间戳（秒）")
    done = complete(str(data.get("fapiao_apply_id")), data.get("fapiao_id"), data.get("notify", "normal"), at)
    return answer({event: [f["fapiao_id"] for f in items] for event, items in done.items()})


@bp.post("/_sandbox/fapiao/user-title")
def control_user_title():
    """What the WeChat user does on the title page: pick or fill a title (FAPIAO.USER_APPLIED follows)."""
    data = json_body()
    apply_id = str(data.get("fapiao_apply_id"))
    title = fapiao_store.buyer(data)
    state.put(("fapiao", "title", apply_id), title)
    pay_notify.dispatch(notice("USER_APPLIED", apply_id, apply_time=pay_store.rfc3339()), data.get("notify", "normal"))
    return answer(title)


@bp.route("/_sandbox/fapiao/title-page", methods=["GET", "POST"])
def title_page():
    """WeChat's title page, as the payer sees it inside WeChat (the URL title-url answers)."""
    apply_id = request.values.get("fapiao_apply_id", "")
    if request.method == "GET":
        return render_template("sandbox/fapiao_title.html", apply_id=apply_id)
    data = {k: request.form.get(k) for k in ("type", "name", "taxpayer_id") if request.form.get(k)}
    try:
        title = fapiao_store.buyer({"buyer_information": data})
    except PayError as error:
        return render_template("sandbox/fapiao_title.html", apply_id=apply_id, error=error.message), 400
    state.put(("fapiao", "title", apply_id), title)
    pay_notify.dispatch(notice("USER_APPLIED", apply_id, apply_time=pay_store.rfc3339()))
    return render_template("sandbox/fapiao_title.html", apply_id=apply_id, done=True)


@bp.get("/_sandbox/fapiao/")
def overview():
    """The invoices the sandbox holds, their card package state, and insert-cards calls."""
    return render_template("sandbox/fapiao_index.html", applications=fapiao_store.all_applications(),
                           cards=state.read_log("fapiao_cards"), callback_url=fapiao_store.callback_url())


@bp.get("/_sandbox/fapiao/applications")
def control_applications():
    return answer({"applications": fapiao_store.all_applications(), "cards": state.read_log("fapiao_cards")})
