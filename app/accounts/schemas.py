"""Request and response shapes of the accounts API (also the OpenAPI schemas)."""
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.accounts import rules


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=200)


class RegisterIn(_In):
    model_config = ConfigDict(title="注册信息有误", extra="forbid", str_max_length=200)
    name: str = Field(description="姓名")
    id_number: str = Field(description="身份证号")
    mobile: str = Field(description="手机号")
    gender: str = Field(description="性别", json_schema_extra={"enum": ["M", "F"]})
    password: str = Field(description="密码")
    username: str | None = Field(default=None, description="用户名")
    confirm_true: Literal[True] = Field(description="信息真实性确认")
    sms_code: str = Field(min_length=1, max_length=10, description="手机验证码")
    consents: dict[str, str] = Field(description="同意的文件及其版本，如 {\"privacy\": \"2026-11-01\"}")

    _name = field_validator("name")(lambda v: rules.clean_name(v))
    _id = field_validator("id_number")(lambda v: rules.clean_id_number(v))
    _mobile = field_validator("mobile")(lambda v: rules.clean_mobile(v))
    _gender = field_validator("gender")(lambda v: rules.clean_gender(v))
    _password = field_validator("password")(lambda v: rules.clean_password(v))

    @field_validator("username")
    @classmethod
    def _username(cls, v):
        return rules.clean_username(v) if v not in (None, "") else None

    @field_validator("confirm_true", mode="before")
    @classmethod
    def _confirm(cls, v):
        if v is not True:
            raise ValueError("请确认所填信息真实有效，它将打印在学时证书上")
        return v


class RegisterCodeIn(_In):
    model_config = ConfigDict(title="手机号有误", extra="forbid", str_max_length=200)
    mobile: str = Field(description="手机号")
    _mobile = field_validator("mobile")(lambda v: rules.clean_mobile(v))


class LoginIn(_In):
    model_config = ConfigDict(title="登录信息有误", extra="forbid", str_max_length=200)
    username: str = Field(min_length=1, description="用户名、身份证号或手机号")
    password: str = Field(min_length=1, description="密码")
    sms_code: str | None = Field(default=None, max_length=10, description="短信验证码（登录受限时可用）")


class LoginCodeIn(_In):
    model_config = ConfigDict(title="账号有误", extra="forbid", str_max_length=200)
    username: str = Field(min_length=1, max_length=40, description="用户名、身份证号或手机号")


class ResetCodeIn(_In):
    model_config = ConfigDict(title="手机号有误", extra="forbid", str_max_length=200)
    mobile: str = Field(description="手机号")
    _mobile = field_validator("mobile")(lambda v: rules.clean_mobile(v))


class ResetPasswordIn(_In):
    model_config = ConfigDict(title="重置信息有误", extra="forbid", str_max_length=200)
    mobile: str = Field(description="手机号")
    code: str = Field(min_length=1, max_length=10, description="验证码")
    password: str = Field(description="新密码")
    _mobile = field_validator("mobile")(lambda v: rules.clean_mobile(v))
    _password = field_validator("password")(lambda v: rules.clean_password(v))


class ChangePasswordIn(_In):
    model_config = ConfigDict(title="密码修改有误", extra="forbid", str_max_length=200)
    old_password: str = Field(min_length=1, description="原密码")
    password: str = Field(description="新密码")
    _password = field_validator("password")(lambda v: rules.clean_password(v))


class ProfileOut(BaseModel):
    id: int
    name: str
    gender: Literal["M", "F"]
    username: str = Field(description="Custom username, or the masked ID number")
    id_number: str = Field(description="Masked, e.g. 5001**********123X")
    mobile: str = Field(description="Masked, e.g. 138****5678")
    role: Literal["learner", "staff"]
    created_at: str
    last_login_at: str | None


class LoginOut(BaseModel):
    user: ProfileOut
    token: str | None = Field(default=None, description="Bearer token, when asked for with ?token=1")
    csrf_token: str | None = Field(default=None, description="For cookie sessions: send as X-CSRF-Token")


class LookupIn(_In):
    model_config = ConfigDict(title="查询条件有误", extra="forbid", str_max_length=200)
    q: str = Field(min_length=1, max_length=40, description="身份证号、手机号或用户名")


class FirstLoginCodeIn(_In):
    model_config = ConfigDict(title="首次登录信息有误", extra="forbid", str_max_length=200)
    ticket: str = Field(min_length=1, max_length=64, description="首次登录凭据")


class FirstLoginIn(_In):
    model_config = ConfigDict(title="首次登录信息有误", extra="forbid", str_max_length=200)
    ticket: str = Field(min_length=1, max_length=64, description="首次登录凭据")
    code: str = Field(min_length=1, max_length=10, description="验证码")
    password: str = Field(description="新密码")
    consents: dict[str, str] = Field(description="同意的文件及其版本，如 {\"privacy\": \"2026-11-01\"}")


# Responses: the `data` of the other success envelopes.

class ConsentDocumentOut(BaseModel):
    key: str
    title: str
    version: str
    url: str


class ResendOut(BaseModel):
    resend_after: int = Field(description="Seconds before another code may be asked for")


class FirstLoginCodeOut(ResendOut):
    mobile: str = Field(description="Masked mobile the code went to")


class CsrfOut(BaseModel):
    csrf_token: str


class TokenOut(BaseModel):
    token: str = Field(description="The renewed bearer token (token clients); cookie sessions get null data")


class ContactOut(BaseModel):
    account_phone: str
    account_key: str
    tech_phone: str
    tech_key: str
    hours: str
    register_mail: str
    backfill_mail: str


class OutboxSmsOut(BaseModel):
    mobile: str = Field(description="Masked")
    text: str
    at: int = Field(description="Unix time")
