"""Response shapes of the unit dashboard API."""
from typing import Literal

from pydantic import BaseModel, Field


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
