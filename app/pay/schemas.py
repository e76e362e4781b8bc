"""Request and response shapes of the purchase API."""
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.accounts import rules
from app.api import DB_INT_MAX
from app.invoices.rules import clean_taxpayer_id

SeatId = Annotated[int, Field(gt=0, le=DB_INT_MAX)]


class InvoiceIn(BaseModel):
    """Invoice choice (R-6): apply now with the title data, or apply later from "my invoices"."""

    model_config = ConfigDict(title="发票信息有误", extra="forbid", str_max_length=200)
    choice: Literal["now", "later"] = Field(description="开票方式")
    title_type: Literal["personal", "unit"] | None = Field(default=None, description="抬头类型")
    title: str | None = Field(default=None, description="发票抬头")
    tax_no: str | None = Field(default=None, description="纳税人识别号")

    @model_validator(mode="after")
    def _title(self):
        if self.choice == "later":
            self.title_type = self.title = self.tax_no = None
            return self
        if self.title_type is None:
            raise ValueError("请选择发票抬头类型（个人或单位）")
        if self.title_type == "personal":
            self.title = rules.clean_name(self.title)
            self.tax_no = None
        else:
            self.title = rules.clean_unit_name(self.title)
            self.tax_no = clean_taxpayer_id(self.tax_no)
        return self


class OrderIn(BaseModel):
    model_config = ConfigDict(title="订单信息有误", extra="forbid", str_max_length=200)
    project_id: int = Field(gt=0, le=DB_INT_MAX, description="培训项目")
    invoice: InvoiceIn = Field(default_factory=lambda: InvoiceIn(choice="later"), description="发票")


class PayIn(BaseModel):
    model_config = ConfigDict(title="支付方式有误", extra="forbid", str_max_length=200)
    channel: Literal["jsapi", "mini", "native", "h5"] = Field(description="支付方式（h5：微信外的手机浏览器）")


class GroupCheckIn(BaseModel):
    model_config = ConfigDict(title="名单有误", extra="forbid", str_max_length=400_000)
    project_id: int = Field(gt=0, le=DB_INT_MAX, description="培训项目")
    unit_id: int = Field(gt=0, le=DB_INT_MAX, description="单位")
    lines: str = Field(min_length=1, description="身份证号（每行一个，或“姓名 身份证号”）")


class GroupOrderIn(BaseModel):
    model_config = ConfigDict(title="团购订单信息有误", extra="forbid", str_max_length=200)
    check_id: str = Field(min_length=1, max_length=64, description="名单校验结果")
    invoice: InvoiceIn = Field(default_factory=lambda: InvoiceIn(choice="later"), description="发票")


class RefundIn(BaseModel):
    model_config = ConfigDict(title="退款信息有误", extra="forbid", str_max_length=200)
    seat_ids: list[SeatId] | None = Field(default=None, max_length=10000, description="退款的学员席位（不填为整单）")
    reason: str = Field(min_length=2, max_length=80, description="退款原因")
    override: bool = Field(default=False, description="已开始学习或已发证的席位也退款")

    @field_validator("reason")
    @classmethod
    def _reason(cls, v):
        return " ".join(v.split())


# Responses: the `data` of each success envelope.

class OrderProjectOut(BaseModel):
    id: int
    name: str
    year: int


class InvoiceOut(BaseModel):
    choice: Literal["now", "later"]
    title_type: Literal["personal", "unit"] | None
    title: str | None
    tax_no: str | None


class SeatOut(BaseModel):
    id: int
    name: str
    id_number: str = Field(description="Masked")
    status: Literal["active", "refunding", "refunded"]
    status_text: str
    amount_fen: int


class OrderOut(BaseModel):
    order_no: str
    kind: Literal["individual", "group"]
    status: Literal["pending", "paid", "closed", "refunded", "partially_refunded"]
    status_text: str
    project: OrderProjectOut
    seat_count: int
    unit_price_fen: int
    amount_fen: int
    amount_yuan: str
    refunded_fen: int
    invoice: InvoiceOut
    pay_channel: Literal["jsapi", "mini", "native"] | None
    created_at: str = Field(description="UTC, ISO 8601")
    expires_at: str = Field(description="UTC, ISO 8601")
    paid_at: str | None
    payable: bool
    seats: list[SeatOut] | None = Field(default=None, description="Group orders and staff views")


class GroupOrderOut(OrderOut):
    seats: list[SeatOut]


class NativePayOut(BaseModel):
    code_url: str = Field(description="For the QR code (native)")


class JsapiPayOut(BaseModel):
    """What WeixinJSBridge / wx.requestPayment take (jsapi, mini)."""

    appId: str  # noqa: N815  (WeChat's names)
    timeStamp: str  # noqa: N815
    nonceStr: str  # noqa: N815
    package: str
    signType: Literal["RSA"]  # noqa: N815
    paySign: str  # noqa: N815


class H5PayOut(BaseModel):
    h5_url: str = Field(description="WeChat Pay's H5 page (a phone browser outside WeChat); add &redirect_url=")


PayOut = NativePayOut | JsapiPayOut | H5PayOut


class CheckCountsOut(BaseModel):
    total: int
    ok: int
    error: int
    by_code: dict[str, int]


class CheckLineOut(BaseModel):
    no: int
    status: Literal["ok", "error"]
    masked: str
    name: str | None
    code: str | None = Field(default=None, description="Error lines")
    reason: str | None = Field(default=None, description="Error lines")
    raw: str | None = Field(default=None, description="Error lines: the text as given, to fix")


class GroupCheckOut(BaseModel):
    """A checked list: only what the contact typed (names), masked numbers and verdicts."""

    project_id: int
    unit_id: int
    source: Literal["text", "xlsx"]
    counts: CheckCountsOut
    unit_price_fen: int
    amount_fen: int
    lines: list[CheckLineOut]
    check_id: str
    errors_url: str


class GroupCheckJobOut(BaseModel):
    """A large workbook checked in the worker: running (poll), done (the check's fields too) or failed."""

    model_config = ConfigDict(extra="allow")
    state: Literal["running", "done", "failed"]
    job: str | None = None
    poll_url: str | None = None
    message: str | None = None


class RefundOut(BaseModel):
    out_refund_no: str
    amount_fen: int
    status: str
