"""The mini-program submits a 补学 application through this backend: its own utils/ and api/ code run by
Node (miniprogram/test/contract/backfill.js) over real HTTP with the WeChat sandbox. The database must
then hold the application with its two re-encoded images."""
import json
import os
import subprocess

from app.accounts import service
from app.backfill.models import BackfillApplication, BackfillImage
from app.learning.models import Enrollment
from tests.backfill_fixtures import decide, earlier_year, executable, screenshot
from tests.test_miniprogram_contract import MINIPROGRAM, RUN_TIMEOUT, node_binary
from tests.staff_fixtures import make_staff_member
from tests.test_pay_gateway import make_user


def test_a_backfill_application_from_the_miniprogram(app, live_server, sandbox, sandbox_api, drain, tmp_path, engine):
    project = earlier_year(2015)
    learner = make_user(31, name="小程序学员")
    paths = []
    for n in range(2):
        path = tmp_path / f"shot{n}.png"
        path.write_bytes(screenshot(f"order {n}"))
        paths.append(str(path))
    exe = tmp_path / "photo.jpg"
    exe.write_bytes(executable())
    config = {"base_url": live_server, "sandbox_url": sandbox.url, "username": service.mobile_of(learner),
              "password": "Secret123", "year": 2015, "images": paths, "renamed_exe": str(exe)}
    config_path = tmp_path / "backfill.json"
    config_path.write_text(json.dumps(config, ensure_ascii=False))
    done = subprocess.run([node_binary(), "test/contract/backfill.js"], cwd=MINIPROGRAM, text=True,
                          env={**os.environ, "CONTRACT_CONFIG": str(config_path)}, capture_output=True,
                          timeout=RUN_TIMEOUT)
    output = done.stdout + done.stderr
    print(output)
    assert done.returncode == 0, output
    result = json.loads(next(line for line in output.splitlines() if line.startswith("RESULT "))[7:])

    application = BackfillApplication.get_by_id(result["application_id"])
    assert (application.user_id, application.project_id, application.kind, application.state) == (
        learner.id, project.id, "proof", "pending")
    assert (application.order_no, application.payer, str(application.paid_on)) == (
        "MP2015-778899", "小程序学员", "2015-09-01")
    assert result["due_on"] == application.due_on.isoformat()
    images = list(BackfillImage.select().where(BackfillImage.application == application.id))
    assert len(images) == 2 and all(i.key.endswith(".jpg") for i in images)
    assert BackfillImage.select().count() == 2  # the refused executable left nothing behind

    # The reviewer approves: the learner's subscribe message reaches the mini-program through WeChat.
    reviewer = make_staff_member(app, ("reviewer",), i=941)
    assert decide(reviewer, application.id, "approve").status_code == 302
    drain()
    [sent] = [m for m in sandbox_api.get("/messages?kind=subscribe") if m["template_name"] == "backfill_decided"]
    assert sent["data"]["thing1"]["value"] == "2015年公需科目" and sent["data"]["phrase2"]["value"] == "已通过"
    assert sent["page"] == "pages/backfill/backfill"
    assert Enrollment.get(Enrollment.user == learner.id).source == "backfill"
