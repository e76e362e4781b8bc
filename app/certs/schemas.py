"""Request, query and response shapes of the certificates API."""
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.api import DB_INT_MAX


class ProfileIn(BaseModel):
    model_config = ConfigDict(title="证书信息有误", extra="forbid", str_max_length=100)
    confirm: bool = Field(description="确认姓名和身份证号无误")
    unit_id: int | None = Field(default=None, gt=0, le=DB_INT_MAX, description="工作单位")
    district_code: str | None = Field(default=None, pattern=r"^\d{6}$", description="档案所在区县")


class RevokeIn(BaseModel):
    model_config = ConfigDict(title="撤销信息有误", extra="forbid", str_max_length=100)
    reason: str = Field(min_length=1, max_length=100, description="撤销原因")


class ReissueIn(BaseModel):
    model_config = ConfigDict(title="换发信息有误", extra="forbid", str_max_length=100)
    unit_id: int | None = Field(default=None, gt=0, le=DB_INT_MAX, description="更正后的工作单位")
    district_code: str | None = Field(default=None, pattern=r"^\d{6}$", description="更正后的档案所在区县")
    reason: str = Field(default="", max_length=100, description="换发原因")


class UnitsQuery(BaseModel):
    model_config = ConfigDict(title="查询条件有误", extra="ignore")
    q: str = Field(default="", max_length=200, description="单位名称的一部分（只用前 30 个字）")


class VerifyQuery(BaseModel):
    model_config = ConfigDict(title="查验信息有误", extra="ignore")
    fp: str | None = Field(default=None, max_length=200, description="二维码中的防伪指纹")


# Responses: the `data` of each success envelope.

class UnitOut(BaseModel):
    id: int
    name: str
    district: str = Field(description="The unit's district name, or empty")


class DistrictOut(BaseModel):
    code: str
    name: str


class CertProfileOut(BaseModel):
    name: str
    id_number: str = Field(description="Masked")
    confirmed: bool
    unit: UnitOut | None
    district: DistrictOut | None = Field(description="The personnel file's district, when no unit was picked")
    locked: bool = Field(description="A valid certificate exists: the data can no longer change")


class CertifiedOut(BaseModel):
    number: str
    name: str
    id_number: str = Field(description="Masked")
    org_label: str
    organisation: str
    project: str
    year: int
    hours: int
    issuer: str
    issued_on: str = Field(description="Date in Asia/Shanghai, ISO 8601")
    status: Literal["valid", "revoked", "replaced"]
    status_text: str
    revoked_on: str | None


class OwnerCertificateOut(CertifiedOut):
    issued_at: str = Field(description="UTC, ISO 8601")
    verify_url: str
    download_url: str | None = Field(default=None, description="Valid certificates only")
    pdf_url: str | None = Field(default=None, description="Valid certificates only")


class MyCertificateOut(BaseModel):
    project_id: int
    project: str
    year: int
    credit_hours: int
    earned_hours: int
    state: Literal["need_profile", "ready", "issued", "revoked"]
    state_text: str
    certificate: OwnerCertificateOut | None


class PublicCertificateOut(CertifiedOut):
    replaced_on: str | None
    replaced_by: str | None = Field(description="The new certificate's number")


class VerificationOut(BaseModel):
    state: Literal["genuine", "revoked", "replaced", "mismatch", "invalid", "unknown", "error", "unreadable",
                   "tampered"]
    genuine: bool
    message: str
    certificate: PublicCertificateOut | None
    differences: list[str] | None = Field(default=None, description="PDF checks: the fields that differ")
