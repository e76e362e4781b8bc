"""Response shapes of the bulk registration API."""
from typing import Literal

from pydantic import BaseModel, Field


class BulkJobOut(BaseModel):
    id: int
    state: Literal["queued", "running", "done", "failed"]
    filename: str
    total: int
    processed: int
    created: int
    linked: int
    refused: int
    error: str = Field(description="Why the whole list was refused, or empty")
    by_staff: bool
    percent: int
    created_at: str = Field(description="UTC, ISO 8601")
    mailed: bool
