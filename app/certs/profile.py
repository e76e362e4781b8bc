"""The data a learner confirms before the first print: name and ID as registered, a unit or a district."""
import peewee

from app.accounts.service import id_number_of
from app.certs.districts import PROVINCE, district_name
from app.certs.models import CertProfile, Unit, valid_certificate
from app.certs.orgs import unit_view
from app.db import db, utcnow
from app.errors import ApiError
from app.learning.models import Enrollment, Project
from app.masking import mask_id


def owned_enrollment(user, project_id):
    enrollment = (Enrollment.select(Enrollment, Project).join(Project)
                  .where(Enrollment.user == user.id, Enrollment.project == project_id,
                         Enrollment.status == "active").first())
    if enrollment is None:
        raise ApiError("您还没有该培训项目", code="not_enrolled", status=404)
    return enrollment


def profile_of(user, project_id):
    return CertProfile.get_or_none(CertProfile.user == user.id, CertProfile.project == project_id)


def organisation_of(profile):
    """(label, printed text, unit id, district code) from a confirmed profile."""
    if profile.unit_id:
        return "工作单位", Unit.get_by_id(profile.unit_id).name, profile.unit_id, ""
    return "档案所在地", PROVINCE + district_name(profile.district_code), None, profile.district_code


def profile_view(user, project_id):
    """The data that will be printed, for the confirmation form."""
    profile = profile_of(user, project_id)
    view = {"name": user.name, "id_number": mask_id(id_number_of(user)), "confirmed": profile is not None,
            "unit": None, "district": None, "locked": valid_certificate(user.id, project_id) is not None}
    if profile is not None and profile.unit_id:
        view["unit"] = unit_view(Unit.get_by_id(profile.unit_id))
    elif profile is not None:
        view["district"] = {"code": profile.district_code, "name": district_name(profile.district_code)}
    return view


def save_profile(user, project_id, confirm, unit_id=None, district_code=None):
    """Confirm name and ID as registered, and pick a unit or the personnel file's district."""
    owned_enrollment(user, project_id)
    if valid_certificate(user.id, project_id) is not None:
        raise ApiError("证书已签发，证书信息不能再修改；如需更正请联系工作人员换发", code="certificate_issued",
                       status=409)
    if not confirm:
        raise field_error("confirm", "请确认姓名和身份证号无误（如有错误请联系工作人员更正）")
    unit_id, district_code = organisation_choice(unit_id, district_code)
    now = utcnow()
    values = {"unit": unit_id, "district_code": district_code, "confirmed_at": now, "updated_at": now}
    try:
        with db.atomic():
            CertProfile.create(user=user.id, project=project_id, **values)
    except peewee.IntegrityError:  # confirmed before (or by a concurrent request): update it
        CertProfile.update(**values).where(CertProfile.user == user.id,
                                           CertProfile.project == project_id).execute()
    return profile_view(user, project_id)


def organisation_choice(unit_id, district_code):
    if unit_id and district_code:
        raise field_error("unit_id", "请选择工作单位，或在单位不在列表中时选择档案所在区县，二者选一")
    if unit_id:
        unit = Unit.get_or_none(Unit.id == unit_id, Unit.is_active == True)  # noqa: E712
        if unit is None:
            raise field_error("unit_id", "所选单位不存在，请重新选择")
        return unit.id, ""
    if district_code:
        if district_name(district_code) is None:
            raise field_error("district_code", "请选择重庆市的区县")
        return None, district_code
    raise field_error("unit_id", "请选择工作单位；单位不在列表中时，请选择人事档案所在区县")


def field_error(name, message):
    return ApiError(message, status=422, data={"fields": {name: message}})


def correct_organisation(user, project_id, unit_id, district_code):
    """Staff's correction of the organisation a learner confirmed (before a re-issue)."""
    unit_id, district_code = organisation_choice(unit_id, district_code)
    CertProfile.update(unit=unit_id, district_code=district_code, updated_at=utcnow()).where(
        CertProfile.user == user.id, CertProfile.project == project_id).execute()
