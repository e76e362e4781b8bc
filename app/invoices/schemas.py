"""Request and response shapes of the invoice API."""
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.accounts import rules as account_rules
from app.invoices import rules


class TitleIn(BaseModel):
    """An invoice title: personal (a name) or a unit (name and taxpayer number), and where to mail the PDF."""

    model_config = ConfigDict(title="发票抬头有误", extra="forbid", str_max_length=100)
    title_type: Literal["personal", "unit"] = Field(description="抬头类型")
    name: str = Field(description="抬头名称")
    tax_no: str | None = Field(default=None, description="纳税人识别号（单位必填）")
    address: str | None = Field(default=None, description="地址")
    telephone: str | None = Field(default=None, description="电话")
    bank_name: str | None = Field(default=None, description="开户银行")
    bank_account: str | None = Field(default=None, description="银行账号")
    email: str | None = Field(default=None, description="接收发票的电子邮箱")

    @model_validator(mode="after")
    def _clean(self):
        if self.title_type == "personal":
            self.name, self.tax_no = account_rules.clean_name(self.name), None
        else:
            self.name = account_rules.clean_unit_name(self.name)
            self.tax_no = rules.clean_taxpayer_id(self.tax_no)
        if self.email and ("@" not in self.email or len(self.email) > 100):
            raise ValueError("电子邮箱格式不正确")
        return self


class FapiaoOut(BaseModel):
    fapiao_id: str = Field(description="发票单号")
    version: int
    reason: str = Field(description="apply / change / refund")
    status: str
    status_text: str
    title_type: str
    name: str
    tax_no: str | None
    amount_fen: int
    fapiao_number: str | None
    issued_on: str | None = Field(description="开票日期（北京时间）")
    pdf_url: str | None
    last_error: str | None
    booked: bool = Field(description="单位已入账（冲红须单位确认）")
    in_card_package: bool = Field(description="已放入付款人的微信卡包")


class InvoiceOrderOut(BaseModel):
    order_no: str
    kind: str
    project: str
    amount_fen: int
    paid_on: str | None
    state: str = Field(description="not_applied / applying / issued / reversed / failed / confirm_reversal")
    state_text: str
    can_apply: bool
    apply_refusal: str | None
    can_change: bool
    change_refusal: str | None
    wechat_title: bool = Field(description="可在微信的抬头页选择抬头（微信内支付的订单）")
    invoices: list[FapiaoOut]


class MailIn(BaseModel):
    model_config = ConfigDict(title="邮箱有误", extra="forbid", str_max_length=100)
    email: str = Field(description="接收发票 PDF 的电子邮箱")

    @model_validator(mode="after")
    def _clean(self):
        self.email = self.email.strip()
        local, _, domain = self.email.partition("@")
        if not local or "." not in domain or " " in self.email:
            raise ValueError("电子邮箱格式不正确")
        return self


class TitleUrlOut(BaseModel):
    url: str = Field(description="微信发票抬头填写页")


class SavedTitleOut(BaseModel):
    title_type: str
    name: str
    tax_no: str | None
    email: str | None
