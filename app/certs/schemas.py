"""Request shapes of the certificates API."""
from pydantic import BaseModel, ConfigDict, Field


class ProfileIn(BaseModel):
    model_config = ConfigDict(title="证书信息有误", extra="forbid", str_max_length=100)
    confirm: bool = Field(description="确认姓名和身份证号无误")
    unit_id: int | None = Field(default=None, gt=0, description="工作单位")
    district_code: str | None = Field(default=None, pattern=r"^\d{6}$", description="档案所在区县")


class RevokeIn(BaseModel):
    model_config = ConfigDict(title="撤销信息有误", extra="forbid", str_max_length=100)
    reason: str = Field(min_length=1, max_length=100, description="撤销原因")


class ReissueIn(BaseModel):
    model_config = ConfigDict(title="换发信息有误", extra="forbid", str_max_length=100)
    unit_id: int | None = Field(default=None, gt=0, description="更正后的工作单位")
    district_code: str | None = Field(default=None, pattern=r"^\d{6}$", description="更正后的档案所在区县")
    reason: str = Field(default="", max_length=100, description="换发原因")
