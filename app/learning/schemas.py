"""Request, query and response shapes of the learning API."""
from typing import Literal, NamedTuple

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


class HeartbeatFields(NamedTuple):
    """A heartbeat's fields, as HeartbeatIn holds them."""
    session_id: str
    chapter_id: int
    seq: int
    position: float
    playing: bool
    event: str | None


def usual_heartbeat(payload):
    """The fields of a heartbeat body that HeartbeatIn accepts, checked by HeartbeatIn's rules without pydantic
    (the heartbeat is the hot path, and its body is always the same few fields, whose texts are ASCII: no
    surrogate can hide in them); None for any other body, which HeartbeatIn then checks and explains.
    tests/test_heartbeat_input.py holds the two to the same answers."""
    if type(payload) is not dict:
        return None
    sid, chapter, seq = payload.get("session_id"), payload.get("chapter_id"), payload.get("seq")
    position, playing, event = payload.get("position"), payload.get("playing"), payload.get("event")
    if (type(sid) is str and 8 <= len(sid) <= 40 and sid.isascii()
            and type(chapter) is int and 0 < chapter <= DB_INT_MAX
            and type(seq) is int and 1 <= seq <= 10_000_000
            and type(position) in (int, float) and 0 <= position <= 100_000 and type(playing) is bool
            and (event is None or type(event) is str and len(event) <= 20 and event.isascii())):
        return HeartbeatFields(sid, chapter, seq, float(position), playing, event)
    return None


class AnswerIn(BaseModel):
    model_config = ConfigDict(title="答题信息有误", extra="forbid", str_max_length=200)
    question_id: int = Field(gt=0, le=DB_INT_MAX, description="问题")
    choice: int = Field(ge=0, le=9, description="所选答案")


class StartIn(BaseModel):
    model_config = ConfigDict(title="开始学习信息有误", extra="forbid", str_max_length=200)
    device: str = Field(default="", max_length=40, description="设备（h5/pc/mini）")


class PlanCoursesQuery(BaseModel):
    model_config = ConfigDict(title="查询条件有误", extra="ignore")
    page: int = Field(default=1, ge=1, le=10_000, description="页码")
    per_page: int = Field(default=10, ge=1, le=50, description="每页条数")


class EventsQuery(BaseModel):
    model_config = ConfigDict(title="查询条件有误", extra="ignore")
    reason: str | None = Field(default=None, max_length=24, description="原因，如 too_fast")


# Responses: the `data` of each success envelope.

class CourseBrief(BaseModel):
    id: int
    title: str
    lecturer: str
    credit_hours: int


class ProjectOut(BaseModel):
    id: int
    year: int
    name: str
    description: str
    price_fen: int
    price_yuan: str
    credit_hours: int
    on_sale: bool
    owned: bool
    grant_only: bool = Field(default=False, description="An earlier year: not sold, granted after a 补学 application")
    sale_start: str = Field(description="UTC, ISO 8601")
    sale_end: str = Field(description="UTC, ISO 8601")


class ProjectDetailOut(ProjectOut):
    courses: list[CourseBrief]
    course_hours: int


class PlanProgressOut(BaseModel):
    earned_hours: int
    credit_hours: int
    courses_done: int
    courses_total: int
    completion: int = Field(description="Percent, 0 … 100")
    complete: bool


class PlanOut(ProjectOut):
    source: str = Field(description="purchase / group / grant / backfill")
    since: str = Field(description="UTC, ISO 8601")
    progress: PlanProgressOut


class CoursePageItem(CourseBrief):
    chapters_total: int
    chapters_done: int
    complete: bool


class PlanCoursesOut(BaseModel):
    items: list[CoursePageItem]
    page: int
    per_page: int
    total: int
    pages: int
    progress: PlanProgressOut


class ChapterOut(BaseModel):
    id: int
    title: str
    duration: int = Field(description="Seconds")
    video_url: str
    watched_seconds: int
    state: Literal["new", "started", "complete"]
    last_position: int


class CourseDetailOut(CourseBrief):
    project_id: int
    complete: bool
    summary: str = ""
    cover_url: str | None = Field(None, description="The course's cover image, when it has one")
    chapters: list[ChapterOut]


class SessionOut(BaseModel):
    session_id: str
    chapter_id: int
    duration: int
    video_url: str
    resume_position: int
    heartbeat_seconds: int
    watched_seconds: int
    complete: bool


class QuestionOut(BaseModel):
    id: int
    text: str
    options: list[str]


class HeartbeatOut(BaseModel):
    status: Literal["ok", "ask", "taken_over", "ended", "rejected"]
    credited_seconds: float
    watched_seconds: int
    reason: str | None
    complete: bool
    question: QuestionOut | None = Field(default=None, description="When status is ask")
    message: str | None = Field(default=None, description="When the session stopped earning")


class AnswerOut(BaseModel):
    correct: bool
    ended: bool | None = Field(default=None, description="Absent when correct")
    message: str | None = None
    attempts_left: int | None = None
    question: QuestionOut | None = Field(default=None, description="The next question after a wrong answer")


class EventCountOut(BaseModel):
    user_id: int
    reason: str
    count: int
