"""What a refund does to learning as a whole (app/learning/revoke.py), through the real order, payment
and refund code: the plan's session ends, what was watched is kept, the enrollment and an issued
certificate are revoked; a seat the learner also holds through another valid source revokes nothing."""
import pytest

from app.certs.models import Certificate
from app.certs.verify import verify_number as verify
from app.learning.flush import flush_dirty
from app.learning.models import ChapterProgress, Enrollment
from app.pay import checkout, orders, settle
from app.pay.models import OrderSeat
from tests.certs_fixtures import finish, issued
from tests.learning_fixtures import Player, covered, make_learner, make_plan, make_staff, session_state
from tests.refund_helpers import buy, buy_for_unit, manual_refunds_fixture, refund, seat_of  # noqa: F401


@pytest.fixture
def plan(app):
    return make_plan(courses=((600,),))


@pytest.fixture
def staff(app):
    return make_staff(app).user


def enrollment(user):
    return Enrollment.get(Enrollment.user == user.id)


def test_a_refund_ends_the_session_keeps_the_progress_and_revokes_the_certificate(app, clock, plan, staff,
                                                                                 sandbox_api, manual_refunds):
    learner = make_learner(app, plan, enroll=False)
    order = buy(sandbox_api, learner.user, plan.project)
    player = Player(learner, clock, plan.chapter)
    player.start()
    player.play(20)
    player.beat(event="play")
    finish(learner.user, plan.project)  # the plan's requirement met (as the learning module records it)
    cert = issued(learner.user, plan.project)
    assert verify(cert.number)["state"] == "genuine"

    refund(sandbox_api, order, staff)
    assert session_state(player.session_id)["state"] == "ended"
    assert enrollment(learner.user).status == "revoked"
    cert = Certificate.get_by_id(cert.id)
    assert (cert.status, cert.revoke_reason) == ("revoked", "订单已退款，不再持有该培训项目")
    assert verify(cert.number)["state"] == "revoked"
    progress = ChapterProgress.get(ChapterProgress.user == learner.user.id)
    assert progress.watched_seconds == 20  # folded in at the refund, without waiting for the flush
    clock.advance(5)
    player.pos += 5
    assert player.beat()["status"] == "ended"
    assert covered(learner, plan.chapter) == 0  # Redis keeps nothing of the plan: the database has it


def test_a_session_started_during_the_refund_is_ended_after_it(app, clock, plan, staff, sandbox_api,
                                                               manual_refunds):
    """The session's start saw the enrollment still active; the refund committed just after."""
    learner = make_learner(app, plan, enroll=False)
    order = buy(sandbox_api, learner.user, plan.project)
    player = Player(learner, clock, plan.chapter)
    refund(sandbox_api, order, staff)
    Enrollment.update(status="active").where(Enrollment.user == learner.user.id).execute()  # the start's view
    player.start()
    Enrollment.update(status="revoked").where(Enrollment.user == learner.user.id).execute()
    from app.learning import revoke

    revoke.after_commit(learner.user.id, plan.project.id, "revoked")
    player.beat(event="play")
    clock.advance(5)
    player.pos += 5
    assert (player.beat()["status"], covered(learner, plan.chapter)) == ("ended", 0)


def test_progress_of_a_session_that_outlived_the_plan_is_never_flushed(app, clock, plan):
    learner = make_learner(app, plan)  # granted
    player = Player(learner, clock, plan.chapter)
    player.start()
    player.play(10)
    flush_dirty()
    Enrollment.update(status="revoked").where(Enrollment.user == learner.user.id).execute()  # revoked elsewhere
    player.play(10)  # still earning in Redis: the session was not ended
    flush_dirty()
    assert ChapterProgress.get(ChapterProgress.user == learner.user.id).watched_seconds == 10
    assert covered(learner, plan.chapter) == 0


def test_refunding_a_seat_the_learner_also_bought_revokes_nothing(app, clock, plan, staff, sandbox_api,
                                                                  manual_refunds):
    """The learner's own order was closed here while the payment was on its way; the unit bought a seat
    meanwhile; then the learner's payment landed. Refunding either seat leaves the plan with the other."""
    learner = make_learner(app, plan, enroll=False)
    contact = make_learner(app, i=3).user
    own = orders.create_individual_order(learner.user, plan.project.id, None)
    checkout.prepay(own, "native")
    assert settle.mark_closed(own)
    unit = buy_for_unit(sandbox_api, contact, plan.project, [learner.user])
    txn = sandbox_api.post("/pay/pay", {"out_trade_no": own.order_no, "notify": "lost"})["transaction"]
    assert settle.apply_paid(own.order_no, txn, "query") == "paid"
    assert enrollment(learner.user).seat_id == seat_of(unit, learner.user).id  # the older source
    player = Player(learner, clock, plan.chapter)
    player.start()
    player.play(10)
    finish(learner.user, plan.project)
    cert = issued(learner.user, plan.project)

    refund(sandbox_api, unit, staff, [learner.user])  # the unit's seat: the learner's own purchase carries on
    held = enrollment(learner.user)
    assert (held.status, held.source, held.order_id, held.seat_id) == ("active", "purchase", own.id,
                                                                       seat_of(own, learner.user).id)
    assert Certificate.get_by_id(cert.id).status == "valid"
    assert session_state(player.session_id)["state"] == "active"
    clock.advance(5)
    player.pos += 5
    assert player.beat()["credited_seconds"] == 5

    refund(sandbox_api, own, staff)  # and now the last one
    assert enrollment(learner.user).status == "revoked" and Certificate.get_by_id(cert.id).status == "revoked"
    assert OrderSeat.get_by_id(seat_of(own, learner.user).id).status == "refunded"


def test_a_refund_leaves_the_session_of_another_plan_running(app, clock, plan, staff, sandbox_api,
                                                             manual_refunds):
    other = make_plan(courses=((300,),))
    learner = make_learner(app, other)  # granted the other plan
    order = buy(sandbox_api, learner.user, plan.project)
    player = Player(learner, clock, other.chapter)
    player.start()
    player.play(10)
    player.beat(event="play")
    refund(sandbox_api, order, staff)
    assert Enrollment.get(Enrollment.user == learner.user.id, Enrollment.project == other.project.id).status == "active"
    clock.advance(5)
    player.pos += 5
    assert (player.beat()["status"], covered(learner, other.chapter)) == ("ok", 15)


def test_buying_again_after_a_refund_lets_the_learner_print_again(app, clock, plan, staff, sandbox_api,
                                                                   manual_refunds):
    learner = make_learner(app, plan, enroll=False)
    order = buy(sandbox_api, learner.user, plan.project)
    finish(learner.user, plan.project)
    first = issued(learner.user, plan.project)
    refund(sandbox_api, order, staff)
    assert Certificate.get_by_id(first.id).status == "revoked"

    buy(sandbox_api, learner.user, plan.project)
    assert enrollment(learner.user).status == "active"
    again = issued(learner.user, plan.project)
    assert again.status == "valid" and again.number != first.number
    assert verify(again.number)["state"] == "genuine" and verify(first.number)["state"] == "revoked"


def test_a_certificate_revoked_by_staff_still_blocks_printing(app, clock, plan, sandbox_api):
    from app.certs import service as certs
    from app.errors import ApiError

    learner = make_learner(app, plan, enroll=False)
    buy(sandbox_api, learner.user, plan.project)
    finish(learner.user, plan.project)
    cert = issued(learner.user, plan.project)
    certs.revoke(cert.number, "证书信息有误，待核实")
    with pytest.raises(ApiError) as err:
        certs.issue(learner.user, plan.project.id)
    assert err.value.code == "certificate_revoked"
