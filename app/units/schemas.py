"""Request shapes of the units API."""
from pydantic import BaseModel, ConfigDict, Field


class ApplicationIn(BaseModel):
    """Become a unit's contact; name and district only when the unit is not registered yet."""

    model_config = ConfigDict(title="申请信息有误", extra="forbid", str_max_length=200)
    credit_code: str = Field(min_length=1, max_length=40, description="统一社会信用代码")
    email: str = Field(min_length=1, max_length=120, description="单位联系邮箱")
    name: str | None = Field(default=None, max_length=100, description="单位全称")
    district_code: str | None = Field(default=None, max_length=6, description="所在区县")


class WithdrawIn(BaseModel):
    model_config = ConfigDict(title="撤销信息有误", extra="forbid", str_max_length=200)
    reason: str = Field(min_length=2, max_length=200, description="撤销原因")


class DecisionIn(BaseModel):
    model_config = ConfigDict(title="审核信息有误", extra="forbid", str_max_length=200)
    approve: bool = Field(description="是否通过")
    reason: str = Field(default="", max_length=200, description="不通过的原因")


# Responses: the `data` of each success envelope.

class ActingUnitOut(BaseModel):
    id: int
    name: str
    credit_code: str
    district: str = Field(description="The district/county's name, or empty")
    status: str = Field(description="pending, active or rejected")
    status_text: str


class ApplicationOut(BaseModel):
    id: int
    unit: ActingUnitOut
    email: str
    state: str = Field(description="pending, approved, rejected or withdrawn")
    state_text: str
    reason: str | None
    created_at: str = Field(description="UTC, ISO 8601")
    decided_at: str | None


class SeatUnitOut(BaseModel):
    project_id: int
    unit: str = Field(description="The name of the unit that bought my seat in this plan")


class MyUnitsOut(BaseModel):
    units: list[ActingUnitOut] = Field(description="Units I act for as an approved contact")
    applications: list[ApplicationOut]
    seat_units: list[SeatUnitOut]
