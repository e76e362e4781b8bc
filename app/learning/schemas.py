"""Request shapes of the learning API."""
from pydantic import BaseModel, ConfigDict, Field

from app.api import DB_INT_MAX


class HeartbeatIn(BaseModel):
    model_config = ConfigDict(title="学习记录有误", extra="ignore", str_max_length=200)
    session_id: str = Field(min_length=8, max_length=40, description="播放会话")
    chapter_id: int = Field(gt=0, le=DB_INT_MAX, description="章节")
    seq: int = Field(ge=1, le=10_000_000, description="序号（递增）")
    position: float = Field(ge=0, le=100_000, description="播放位置（秒）")
    playing: bool = Field(description="是否正在播放")
    event: str | None = Field(default=None, max_length=20, description="触发原因：timer/pause/hide/unload/ended")


class AnswerIn(BaseModel):
    model_config = ConfigDict(title="答题信息有误", extra="forbid", str_max_length=200)
    question_id: int = Field(gt=0, le=DB_INT_MAX, description="问题")
    choice: int = Field(ge=0, le=9, description="所选答案")


class StartIn(BaseModel):
    model_config = ConfigDict(title="开始学习信息有误", extra="forbid", str_max_length=200)
    device: str = Field(default="", max_length=40, description="设备（h5/pc/mini）")
