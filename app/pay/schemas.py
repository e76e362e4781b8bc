"""Request shapes of the purchase API."""
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.accounts import rules


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
            self.tax_no = rules.clean_tax_no(self.tax_no)
        return self


class OrderIn(BaseModel):
    model_config = ConfigDict(title="订单信息有误", extra="forbid", str_max_length=200)
    project_id: int = Field(gt=0, description="培训项目")
    invoice: InvoiceIn = Field(default_factory=lambda: InvoiceIn(choice="later"), description="发票")


class PayIn(BaseModel):
    model_config = ConfigDict(title="支付方式有误", extra="forbid", str_max_length=200)
    channel: Literal["jsapi", "mini", "native"] = Field(description="支付方式")


class GroupCheckIn(BaseModel):
    model_config = ConfigDict(title="名单有误", extra="forbid", str_max_length=400_000)
    project_id: int = Field(gt=0, description="培训项目")
    unit_id: int = Field(gt=0, description="单位")
    lines: str = Field(min_length=1, description="身份证号（每行一个，或“姓名 身份证号”）")


class GroupOrderIn(BaseModel):
    model_config = ConfigDict(title="团购订单信息有误", extra="forbid", str_max_length=200)
    check_id: str = Field(min_length=1, max_length=64, description="名单校验结果")
    invoice: InvoiceIn = Field(default_factory=lambda: InvoiceIn(choice="later"), description="发票")


class RefundIn(BaseModel):
    model_config = ConfigDict(title="退款信息有误", extra="forbid", str_max_length=200)
    seat_ids: list[int] | None = Field(default=None, max_length=10000, description="退款的学员席位（不填为整单）")
    reason: str = Field(min_length=2, max_length=80, description="退款原因")
    override: bool = Field(default=False, description="已开始学习或已发证的席位也退款")

    @field_validator("reason")
    @classmethod
    def _reason(cls, v):
        return " ".join(v.split())
