"""Query and response shapes of the unit dashboard API."""
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

YEAR_MIN, YEAR_MAX = 2000, 2100  # training years the platform can hold


class LearnersQuery(BaseModel):
    model_config = ConfigDict(title="查询条件有误", extra="ignore")
    year: int | None = Field(default=None, ge=YEAR_MIN, le=YEAR_MAX, description="年度（默认今年）")
    status: Literal["all", "unpaid", "not_started", "learning", "completed", "certified"] = Field(
        default="all", description="状态筛选")
    q: str = Field(default="", max_length=200, description="姓名或身份证号后四位（只用前 20 个字）")
    page: int = Field(default=1, ge=1, le=10_000, description="页码")


class UnitRefOut(BaseModel):
    id: int
    name: str


class LearnerSummaryOut(BaseModel):
    total: int
    paid: int = Field(description="Learners with a paid seat or their own purchase")
    not_started: int
    learning: int
    completed: int
    certified: int


class UnitLearnerOut(BaseModel):
    name: str
    id_masked: str
    seat: Literal["paid", "pending", "refunded", "self", "none"]
    seat_text: str
    hours: int
    required: int
    courses_done: int
    state: Literal["not_started", "learning", "completed", "certified"]
    state_text: str
    cert_number: str = Field(description="Empty without a valid certificate")
    cert_date: str = Field(description="Asia/Shanghai date, or empty")


class UnitLearnersOut(BaseModel):
    unit: UnitRefOut
    year: int
    status: Literal["all", "unpaid", "not_started", "learning", "completed", "certified"]
    summary: LearnerSummaryOut
    total: int
    page: int
    learners: list[UnitLearnerOut]
