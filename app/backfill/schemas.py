"""Request and response shapes of the 补学 API."""
from pydantic import BaseModel, ConfigDict, Field


class BackfillApplyIn(BaseModel):
    """An application for an earlier year (a corrected one after a rejection, too)."""

    model_config = ConfigDict(title="补学申请信息有误", extra="forbid", str_max_length=200)
    project_id: int = Field(ge=1, le=2**31 - 1, description="The earlier year's plan (grant-only project)")
    kind: str = Field(pattern="^(proof|letter)$", description="proof: 缴费凭证 (附件3); letter: 缴费承诺书")
    order_no: str = Field(default="", max_length=64, description="Order number on the earlier platform (proof)")
    payer: str = Field(default="", max_length=60, description="付款人 (proof)")
    paid_on: str = Field(default="", max_length=10, description="缴费时间 YYYY-MM-DD (proof)")
    platform: str = Field(default="", max_length=60, description="原缴费平台 (proof)")
    image_ids: list[int] = Field(min_length=1, max_length=5, description="Uploaded images, in order")


class BackfillImageOut(BaseModel):
    id: int
    url: str = Field(description="An expiring link (10 minutes) for this viewer only")
    width: int
    height: int


class BackfillApplicationOut(BaseModel):
    id: int
    project_id: int
    kind: str
    kind_text: str
    state: str = Field(description="pending, approved or rejected")
    state_text: str
    order_no: str
    payer: str
    paid_on: str | None
    platform: str
    submitted_at: str = Field(description="UTC, ISO 8601")
    due_on: str = Field(description="China date by which the review is due (working days)")
    review_days: int
    reason: str | None = Field(description="Why it was rejected")
    decided_at: str | None
    images: list[BackfillImageOut]


class BackfillYearOut(BaseModel):
    project_id: int
    year: int
    name: str
    credit_hours: int
    owned: bool
    can_apply: bool
    application: BackfillApplicationOut | None


class BackfillOverviewOut(BaseModel):
    years: list[BackfillYearOut]
    uploads: list[BackfillImageOut] = Field(description="Images uploaded but not yet sent")
    max_images: int
    review_days: int
    expected_due_on: str = Field(description="The review date of an application sent today")
