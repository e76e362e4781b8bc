"""WeChat Pay v3 crypto as the sandbox needs it: check merchant signatures, sign as the platform, encrypt.

- Merchant requests carry `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="..",nonce_str="..",
  signature="..",timestamp="..",serial_no=".."`, signed over `METHOD\\nPATH?QUERY\\nTS\\nNONCE\\nBODY\\n`.
- Platform answers and notifications are signed over `TS\\nNONCE\\nBODY\\n` with the platform key and
  name the public key by WECHATPAY_PUBLIC_KEY_ID (public-key mode).
- Notification resources are AES-256-GCM encrypted with the APIv3 key and a 12-character nonce.
"""
import base64
import json
import re
import secrets
import string
import time

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

from app.wechat import keys

SCHEME = "WECHATPAY2-SHA256-RSA2048"
MAX_CLOCK_SKEW = 300  # seconds, as WeChat Pay (and the official Go SDK) allow
_AUTH_FIELD = re.compile(r'(\w+)="([^"]*)"')
_ALPHANUM = string.ascii_letters + string.digits


class PayError(Exception):
    """A WeChat Pay v3 error answer: HTTP status and `{"code","message","detail"?}`."""

    def __init__(self, status, code, message, detail=None):
        super().__init__(message)
        self.status, self.code, self.message, self.detail = status, code, message, detail

    def body(self):
        body = {"code": self.code, "message": self.message}
        if self.detail:
            body["detail"] = self.detail
        return body


def dumps(data):
    """Compact JSON with real Chinese characters, as WeChat Pay sends it."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def nonce(length=32):
    return "".join(secrets.choice(_ALPHANUM) for _ in range(length))


# ---- merchant requests ---------------------------------------------------------------------------

def _sign_error(issue, message=None):
    detail = {"field": "signature", "location": "authorization", "issue": issue}
    if message is not None:
        detail["sign_information"] = {"truncated_sign_message": message[:256], "sign_message_length": len(message)}
    return PayError(401, "SIGN_ERROR", "错误的签名，验签失败", detail)


def parse_authorization(header):
    scheme, _, params = (header or "").partition(" ")
    fields = dict(_AUTH_FIELD.findall(params))
    needed = ("mchid", "nonce_str", "signature", "timestamp", "serial_no")
    if scheme != SCHEME or not all(fields.get(name) for name in needed):
        return None
    return fields


def merchant_serial():
    cfg = current_app.config
    return cfg.get("WECHATPAY_CERT_SERIAL") or keys.key_serial(current_app.extensions["sandbox_merchant_public_key"])


def check_merchant_request(method, path_with_query, body, authorization):
    """Raise PayError unless the request is signed by the configured merchant's key."""
    fields = parse_authorization(authorization)
    if fields is None:
        raise _sign_error("Authorization 缺失或格式错误（应为 WECHATPAY2-SHA256-RSA2048 mchid=..,nonce_str=..,"
                          "signature=..,timestamp=..,serial_no=..）")
    if fields["mchid"] != current_app.config["WECHATPAY_MCHID"]:
        raise PayError(400, "MCH_NOT_EXISTS", "商户号不存在", {"location": "authorization", "value": fields["mchid"]})
    if not fields["timestamp"].isdigit() or abs(time.time() - int(fields["timestamp"])) > MAX_CLOCK_SKEW:
        raise _sign_error("timestamp 与当前时间相差超过 5 分钟")
    if fields["serial_no"].upper() != merchant_serial().upper():
        raise _sign_error("serial_no 不是商户 API 证书的序列号")
    message = f"{method}\n{path_with_query}\n{fields['timestamp']}\n{fields['nonce_str']}\n{body}\n"
    if not keys.verify(current_app.extensions["sandbox_merchant_public_key"], message, fields["signature"]):
        raise _sign_error("签名与请求内容不匹配", message)


def verify_pay_sign(app_id, time_stamp, nonce_str, package, pay_sign):
    """A front-end paySign (JSAPI / mini-program) checked with the merchant public key."""
    message = f"{app_id}\n{time_stamp}\n{nonce_str}\n{package}\n"
    return keys.verify(current_app.extensions["sandbox_merchant_public_key"], message, pay_sign or "")


# ---- platform signatures and encryption ----------------------------------------------------------

def platform_headers(body, signature=None):
    """The Wechatpay-* headers of a platform answer or notification, signed over `body` (text)."""
    timestamp, once = str(int(time.time())), nonce()
    if signature is None:
        signature = keys.sign(current_app.extensions["sandbox_platform_key"], f"{timestamp}\n{once}\n{body}\n")
    return {"Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": once, "Wechatpay-Signature": signature,
            "Wechatpay-Serial": current_app.config["WECHATPAY_PUBLIC_KEY_ID"],
            "Wechatpay-Signature-Type": SCHEME, "Request-ID": secrets.token_hex(16).upper()}


def sign_test_signature():
    """What WeChat Pay sends on purpose now and then to check that merchants really verify."""
    return "WECHATPAY/SIGNTEST/" + base64.b64encode(secrets.token_bytes(48)).decode()


def encrypt_resource(payload, original_type, associated_data):
    once = nonce(12)
    aes = AESGCM(current_app.config["WECHATPAY_APIV3_KEY"].encode())
    ciphertext = aes.encrypt(once.encode(), dumps(payload).encode(), associated_data.encode())
    return {"original_type": original_type, "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": base64.b64encode(ciphertext).decode(), "associated_data": associated_data, "nonce": once}
