"""Every step of every process × (wrong agency, wrong role, anonymous): refused, nothing changed.

The steps come from the deployed BPMN, so a new step without a rule here fails this test.
"""

from __future__ import annotations

import pytest

from models import Indicator, db
from tests.conftest import (
    AUTHORITY,
    COLLAB_A,
    JUSTICE,
    LEAD,
    SCIENCE,
    Browser,
    act,
    actor_for,
    item_at,
    new_task,
    open_items,
    user,
)
from tests.test_cycle import snapshot
from workflows.errors import NotAllowed
from workflows.process import catalog
from workflows.tasks import indicator_reports, work

SAME_ROLE_OTHER_AGENCY = {"officer": "x_officer", "agency_head": "x_head", "appraiser": "x_appraiser",
                          "approver": "x_approver", "coordinator": "x_coord"}
OTHER_ROLE_SAME_AGENCY = {LEAD: {"officer": "head", "agency_head": "officer"},
                          COLLAB_A: {"officer": "collab_a_head", "agency_head": "collab_a"},
                          JUSTICE: {"appraiser": "justice_head"},
                          AUTHORITY: {"approver": "viewer"}, SCIENCE: {"coordinator": "admin"}}
OUTPUT = {"approval_cycle": "plan", "report_cycle": "report", "indicator_report": "report"}


def all_steps():
    return [(pid, sid) for pid, sids in {
        "approval_cycle": ["assign", "draft", "give_opinion", "sign_opinion", "finalise", "signoff", "appraise",
                           "approve", "report", "confirm"],
        "report_cycle": ["draft", "signoff", "confirm"],
        "indicator_report": ["draft", "signoff", "confirm"]}.items() for sid in sids]


def test_matrix_covers_every_deployed_step(world):
    deployed = {(pid, s.step_id) for pid in OUTPUT
                for s in catalog.spec_for(catalog.latest(pid)).steps}
    assert deployed == set(all_steps())


def start(world, process_id: str):
    if process_id == "indicator_report":  # asked from an indicator, not routed by output type
        indicator = Indicator(group="I. PHÁT TRIỂN HẠ TẦNG", stt="1", name="Tỷ lệ phủ sóng 5G trên địa bàn",
                              unit="%", targets={"2025": "60%"}, responsible=[LEAD])
        db.session.add(indicator)
        db.session.commit()
        return indicator_reports.start_report(world["coord"], indicator.id, 2025, LEAD)
    return new_task(world, output_type=OUTPUT[process_id], collaborators=(COLLAB_A,))


def drive_to(world, process_id: str, step_id: str):
    task = start(world, process_id)
    for _ in range(20):
        items = open_items(task)
        target = [i for i in items if i.step_id == step_id]
        if target:
            return task, target[0]
        act(world, task, items[0].step_id, data={"value": "65%"} if process_id == "indicator_report" else None)
    raise AssertionError(f"never reached {step_id}")


@pytest.mark.parametrize(("process_id", "step_id"), all_steps())
def test_wrong_people_cannot_act(world, api, app, process_id, step_id):
    task, item = drive_to(world, process_id, step_id)
    holder = user(actor_for(item))
    wrong = {
        "wrong agency": SAME_ROLE_OTHER_AGENCY[item.role],
        "wrong role": OTHER_ROLE_SAME_AGENCY[item.agency.name][item.role],
    }
    before = snapshot(task)
    url = f"/api/v1/work-items/{item.id}/complete"
    decision = item.decisions[0]
    for why, username in wrong.items():
        headers = api.token(username)
        for path, body in ((url, {"decision": decision, "comment": "x"}),
                           (f"/api/v1/work-items/{item.id}/claim", None)):
            r = api.post(path, json=body, headers=headers)
            assert r.status_code == 403, (why, username, path, r.get_json())
        # the page shows no action form for that item, and a forged POST is refused
        b = Browser(app.test_client())
        assert b.login(username).status_code == 302
        html = b.client.get(f"/tasks/{task.id}")
        assert html.status_code in (200, 403)
        assert f'id="wi{item.id}"' not in html.get_data(as_text=True), (why, username)
        token = b.csrf("/inbox")
        r = b.client.post(f"/work-items/{item.id}/complete", data={"csrf_token": token, "decision": decision,
                                                              f"wi{item.id}-comment": "x"})
        assert r.status_code == 403, (why, username)
    # anonymous: the API wants a token (401), the pages send to the login form
    assert api.post(url, json={"decision": decision}).status_code == 401
    anon = app.test_client().post(f"/work-items/{item.id}/complete", data={"decision": decision})
    assert anon.status_code in (302, 400)
    assert snapshot(task) == before
    # and the holder does see the form
    b = Browser(app.test_client())
    b.login(holder.username)
    assert f'id="wi{item.id}"' in b.client.get(f"/tasks/{task.id}").get_data(as_text=True)


@pytest.mark.parametrize("action", ["claim", "release"])
def test_a_stranger_learns_nothing_of_a_done_item(world, browser, action):
    """An outside check: an officer of an agency not involved in the task, claiming or releasing an item already done
    through the web form, was told who did it and when (409) — and could tell done items (409) from open ones
    (403) and missing ones (404). The API answered 403 already."""
    task = new_task(world)
    done = item_at(task, "assign")
    act(world, task, "assign")
    with pytest.raises(NotAllowed, match="không thuộc đơn vị của bạn"):
        getattr(work, action)(done.id, world["x_officer"])
    browser.login("x_officer")
    r = browser.client.post(f"/work-items/{done.id}/{action}", data={"csrf_token": browser.csrf()})
    assert r.status_code == 403
    assert "Ông/Bà head" not in r.get_data(as_text=True) and "xử lý lúc" not in r.get_data(as_text=True)
