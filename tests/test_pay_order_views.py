"""A list of orders is shown with a constant number of queries: the projects, units and seats of all the
orders are read in one query each (app/pay/orders.py order_views), whatever the number of orders."""
import pytest

from app.accounts import service
from app.db import db
from app.pay import orders
from app.units.models import Unit
from tests.test_pay_gateway import make_user, project_fixture  # noqa: F401  (fixtures: project)


@pytest.fixture
def queries(monkeypatch):
    """The SQL statements the database runs from now on."""
    database, sent = db.obj, []
    real = database.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        sent.append(sql)
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(database, "execute_sql", counting)
    return sent


def group_orders(project, buyer, unit, count):
    learners = [make_user(100 + i, name=f"学员{i}") for i in range(3)]
    made = []
    for n in range(count):
        labels = {u.id: f"标签{n}-{i}" for i, u in enumerate(learners)}
        made.append(orders.create_group_order(buyer, project.id, [u.id for u in learners], None,
                                              unit=unit if n % 2 == 0 else None, labels=labels))
    return made, learners


def test_the_views_of_many_orders_take_the_queries_of_one(app, project, queries):
    buyer = make_user(1, name="王经办")
    unit = Unit.create(name="重庆市某某局", credit_code="91500000MA5U00000W", district_code="500103", status="active")
    made, learners = group_orders(project, buyer, unit, 4)
    del queries[:]
    one = orders.order_views(made[:1], with_seats=True)
    for_one = len(queries)
    del queries[:]
    views = orders.order_views(made, with_seats=True)
    assert (len(queries), for_one) == (3, 3)  # projects, units, seats (with their learners)
    assert views[0] == one[0]
    assert [v["unit"] for v in views] == ["重庆市某某局", None, "重庆市某某局", None]
    assert [v["project"]["name"] for v in views] == [project.name] * 4
    masked = [service.id_number_of(u)[:4] + "*" * 10 + service.id_number_of(u)[-4:] for u in learners]
    assert [[(s["name"], s["id_number"], s["status_text"]) for s in v["seats"]] for v in views] == [
        [(f"标签{n}-{i}", masked[i], "待支付") for i in range(3)] for n in range(4)]
    staff = orders.order_views(made[1:2], with_seats=True, staff=True)[0]
    assert [s["name"] for s in staff["seats"]] == ["学员0", "学员1", "学员2"]  # staff see the account's name
    assert orders.order_views([]) == []


def test_an_order_alone_is_the_same_view(app, project):
    buyer = make_user(1, name="王经办")
    made, _ = group_orders(project, buyer, None, 2)
    assert [orders.order_view(o, with_seats=True) for o in made] == orders.order_views(made, with_seats=True)
    assert orders.seat_views(made[1]) == orders.order_view(made[1], with_seats=True)["seats"]
    assert "seats" not in orders.order_view(made[0])
