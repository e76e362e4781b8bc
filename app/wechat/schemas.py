"""Request and response shapes of the WeChat API endpoints."""

from pydantic import BaseModel, ConfigDict, Field

from app.accounts.schemas import ProfileOut, RegisterIn


class MiniLoginIn(BaseModel):
    model_config = ConfigDict(title="小程序登录信息有误", extra="forbid", str_max_length=200)
    code: str = Field(min_length=1, max_length=128, description="wx.login 的 code")


class MiniBindIn(BaseModel):
    model_config = ConfigDict(title="绑定信息有误", extra="forbid", str_max_length=200)
    bind_ticket: str = Field(min_length=1, max_length=64, description="绑定凭证")
    username: str = Field(min_length=1, description="用户名、身份证号或手机号")
    password: str = Field(min_length=1, description="密码")


class MiniRegisterIn(RegisterIn):
    model_config = ConfigDict(title="注册信息有误", extra="forbid", str_max_length=200)
    bind_ticket: str = Field(min_length=1, max_length=64, description="绑定凭证")


class SubscriptionsIn(BaseModel):
    model_config = ConfigDict(title="订阅信息有误", extra="forbid", str_max_length=200)
    accepted: list[str] = Field(max_length=10, description="用户点了“允许”的模板名")


class MiniLoginOut(BaseModel):
    """Bound: the token and the account; not yet: a ticket to bind or register with."""

    bound: bool
    token: str | None = Field(default=None, description="When bound")
    user: ProfileOut | None = Field(default=None, description="When bound")
    bind_ticket: str | None = Field(default=None, description="When not bound yet")


class MiniSignedInOut(BaseModel):
    bound: bool
    token: str
    user: ProfileOut


class SubscriptionsOut(BaseModel):
    remaining: dict[str, int] = Field(description="Messages each accepted template may still send")
