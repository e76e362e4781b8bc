"""Demo accounts for a local run (the README lists them). Idempotent."""
from app.accounts import rules, service

DEMO_PASSWORD = "Demo2026"
STAFF_PASSWORD = "Staff2026"
LEARNERS = [
    ("张三", "500103199003077657", "13800000001"),
    ("李四", "500108198506121223", "13800000002"),
    ("买买提·艾力", "650102198811200010", "13800000003"),
]
STAFF = ("王老师", "11010519491231002X", "13900000009", "admin")


def seed():
    lines = []
    for name, id_number, mobile in LEARNERS:
        if service.find_by_id_number(id_number) is None:
            service.create_user(name=name, id_number=id_number, mobile=mobile, gender=rules.id_gender(id_number),
                                password=DEMO_PASSWORD)
        lines.append(f"learner  {name:8} login: {id_number} or {mobile}  password: {DEMO_PASSWORD}")
    name, id_number, mobile, username = STAFF
    if service.find_by_id_number(id_number) is None:
        service.create_user(name=name, id_number=id_number, mobile=mobile, gender=rules.id_gender(id_number),
                            password=STAFF_PASSWORD, username=username, role="staff")
    lines.append(f"staff    {name:8} login: {username}  password: {STAFF_PASSWORD}")
    return lines
