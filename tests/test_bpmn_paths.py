"""Every path of every bpmn/ file, at the engine level (no database, no HTTP)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from workflows.process import engine, engine_loops

BPMN = Path(__file__).resolve().parent.parent / "bpmn"


def spec(process_id: str) -> engine.ProcessSpec:
    dmn = [(p.name, p.read_text()) for p in BPMN.glob("*.dmn")]
    path = BPMN / f"{process_id}.bpmn"
    return engine.load_spec(process_id, "test-" + str(path.stat().st_mtime_ns),
                            [(path.name, path.read_text())], dmn)


START = {
    "lead_agency": "Sở Công Thương",
    "collaborators": [{"agency": "Sở Tài chính"}, {"agency": "Sở Xây dựng"}],
    "needs_appraisal": True,
    "appraising_agency": "Sở Tư pháp",
    "competent_authority": "UBND tỉnh",
    "coordinating_agency": "Sở Khoa học và Công nghệ",
    "due_date": None,  # read by the boundary timers (tests/test_timers.py covers them)
}
WHO = {  # step id -> (role, agency) the BPMN must assign
    "assign": ("agency_head", "Sở Công Thương"),
    "draft": ("officer", "Sở Công Thương"),
    "finalise": ("officer", "Sở Công Thương"),
    "signoff": ("agency_head", "Sở Công Thương"),
    "appraise": ("appraiser", "Sở Tư pháp"),
    "approve": ("approver", "UBND tỉnh"),
    "report": ("officer", "Sở Công Thương"),
    "confirm": ("coordinator", "Sở Khoa học và Công nghệ"),
}
OPINION_STEPS = {"give_opinion": "officer", "sign_opinion": "agency_head"}  # step id -> role, for each collaborator


class Run:
    """Drive one instance, recording the steps met; ``decide`` maps a step to its decisions."""

    def __init__(self, process_id: str, **overrides):
        self.spec = spec(process_id)
        self.wf = self.spec.start({**START, **overrides})
        self.collaborators = {c["agency"] for c in {**START, **overrides}.get("collaborators") or []}
        self.trail: list[str] = []

    def walk_until(self, stop) -> None:
        """Walk with the default decisions until ``stop(ready steps)`` holds."""
        while not stop(steps := engine.ready_steps(self.wf)):
            s = steps[0]
            data = {"assignee": "officer"} if s.step_id == "assign" else {}
            engine.complete(self.wf, s.task_id, {**data, "decision": s.decisions[0]})
            self.wf = engine.restore(engine.serialize(self.wf), self.spec)

    def walk(self, decisions: dict[str, list[str]]) -> list[str]:
        queue = {k: list(v) for k, v in decisions.items()}
        for _ in range(200):
            steps = engine.ready_steps(self.wf)
            if not steps:
                break
            for s in steps:
                self.trail.append(s.step_id)
                pending = queue.get(s.step_id)
                if s.step_id in OPINION_STEPS:  # one pair per collaborator: its officer writes, its head signs
                    assert (s.role, s.lane) == (OPINION_STEPS[s.step_id], "Đơn vị phối hợp")
                    assert s.agency in self.collaborators
                    data = {"opinion_text": f"Ý kiến của {s.agency}", "actor": f"cv {s.agency}"}
                    if s.step_id == "sign_opinion":
                        data = {"actor": f"ld {s.agency}"}
                    decision = pending.pop(0) if pending else s.decisions[0]
                else:
                    assert (s.role, s.agency) == WHO[s.step_id], s
                    decision = pending.pop(0) if pending else s.decisions[0]
                    data = {"assignee": "officer"} if s.step_id == "assign" else {}
                assert decision in s.decisions
                # Round-trip through the serializer at every step, as the product does.
                engine.complete(self.wf, s.task_id, {**data, "decision": decision})
                self.wf = engine.restore(engine.serialize(self.wf), self.spec)
        assert engine.is_completed(self.wf), f"stuck after {self.trail}"
        return self.trail


STRAIGHT = ["assign", "draft", "give_opinion", "give_opinion", "sign_opinion", "sign_opinion", "finalise", "signoff",
            "appraise", "approve", "report", "confirm"]
TAIL = ["finalise", "signoff"]


def test_approval_straight_through():
    run = Run("approval_cycle")
    assert run.walk({}) == STRAIGHT
    opinions = engine.result_data(run.wf)["opinions"]
    assert sorted(o["agency"] for o in opinions) == ["Sở Tài chính", "Sở Xây dựng"]


def test_each_opinion_leaves_its_agency_signed_by_its_head():
    run = Run("approval_cycle")
    run.walk({})
    opinions = sorted(engine.result_data(run.wf)["opinions"], key=lambda o: o["agency"])
    assert opinions == [
        {"agency": a, "text": f"Ý kiến của {a}", "by": f"cv {a}", "signed_by": f"ld {a}"}
        for a in ("Sở Tài chính", "Sở Xây dựng")]


def test_a_head_returns_the_opinion_to_its_officer_and_the_draft_waits_for_it():
    run = Run("approval_cycle")
    run.walk_until(lambda steps: steps[0].step_id == "give_opinion")
    for s in engine.ready_steps(run.wf):
        engine.complete(run.wf, s.task_id,
                        {"decision": "submit", "opinion_text": f"Ý kiến của {s.agency}", "actor": "cv"})
    first, second = engine.ready_steps(run.wf)
    assert (first.step_id, first.role, second.step_id, second.role) == (
        "sign_opinion", "agency_head", "sign_opinion", "agency_head")
    engine.complete(run.wf, first.task_id, {"decision": "return", "actor": "ld"})
    engine.complete(run.wf, second.task_id, {"decision": "approve", "actor": "ld"})
    # the returned opinion goes back to its own agency's officer; the lead agency cannot finalise yet
    [again] = engine.ready_steps(run.wf)
    assert (again.step_id, again.role, again.agency) == ("give_opinion", "officer", first.agency)
    engine.complete(run.wf, again.task_id, {"decision": "submit", "opinion_text": "Bản sửa", "actor": "cv"})
    [sign] = engine.ready_steps(run.wf)
    assert (sign.step_id, sign.agency) == ("sign_opinion", first.agency)
    engine.complete(run.wf, sign.task_id, {"decision": "approve", "actor": "ld"})
    assert [s.step_id for s in engine.ready_steps(run.wf)] == ["finalise"]
    texts = {o["agency"]: o["text"] for o in run.wf.get_tasks(spec_name="finalise")[0].data["opinions"]}
    assert texts[first.agency] == "Bản sửa" and texts[second.agency] == f"Ý kiến của {second.agency}"


def test_drafting_steps_go_to_the_assigned_officer():
    run = Run("approval_cycle")
    first = engine.ready_steps(run.wf)[0]
    assert first.step_id == "assign" and first.assignee is None
    engine.complete(run.wf, first.task_id, {"decision": "submit", "assignee": "officer"})
    draft = engine.ready_steps(run.wf)[0]
    assert (draft.step_id, draft.assignee) == ("draft", "officer")
    assert [f.name for f in draft.fields] == ["draft_file", "note"]
    assert draft.due is None  # no internal deadline given: the draft is due with the task


def test_the_draft_is_due_on_the_head_s_internal_deadline():
    run = Run("approval_cycle")
    first = engine.ready_steps(run.wf)[0]
    assert first.due is None  # the assignment has no deadline of its own
    engine.complete(run.wf, first.task_id, {"decision": "submit", "assignee": "officer", "internal_due": "2026-06-10"})
    draft = engine.ready_steps(run.wf)[0]
    assert (draft.step_id, draft.due) == ("draft", date(2026, 6, 10))
    engine.complete(run.wf, draft.task_id, {"decision": "submit"})
    # the steps after the draft are due with the task, whatever the data carries on
    assert {s.due for s in engine.ready_steps(run.wf)} == {None}


@pytest.mark.parametrize(("step", "back_to"), [
    ("signoff", TAIL), ("appraise", TAIL + ["appraise"]), ("approve", TAIL + ["appraise", "approve"]),
])
def test_approval_returned_once(step, back_to):
    trail = Run("approval_cycle").walk({step: ["return", "approve"]})
    i = trail.index(step)
    assert trail[i + 1: i + 1 + len(back_to)] == back_to
    assert trail.count(step) == 2
    assert trail.count("give_opinion") == 2  # collaborators are not asked again after a return


def test_approval_returned_at_confirmation_goes_back_to_reporting():
    trail = Run("approval_cycle").walk({"confirm": ["return", "approve"]})
    assert trail[-3:] == ["confirm", "report", "confirm"]


def test_approval_several_returns_in_a_row():
    trail = Run("approval_cycle").walk({
        "signoff": ["return", "return", "approve", "approve", "approve"],
        "appraise": ["return", "return", "approve"],
        "approve": ["return", "approve"],
        "confirm": ["return", "return", "approve"],
    })
    assert trail.count("signoff") == 6
    assert trail.count("appraise") == 4
    assert trail.count("approve") == 2
    assert trail.count("report") == 3
    assert trail.count("confirm") == 3
    assert trail[-1] == "confirm"


def test_approval_without_collaborators_skips_opinions():
    trail = Run("approval_cycle", collaborators=[]).walk({})
    assert "give_opinion" not in trail
    assert trail[:3] == ["assign", "draft", "finalise"]


def test_approval_without_appraisal():
    trail = Run("approval_cycle", needs_appraisal=False, appraising_agency=None).walk({})
    assert "appraise" not in trail
    assert trail[trail.index("signoff") + 1] == "approve"


def test_report_cycle_paths():
    assert Run("report_cycle").walk({}) == ["draft", "signoff", "confirm"]
    assert Run("report_cycle").walk({"signoff": ["return", "approve"]}) == [
        "draft", "signoff", "draft", "signoff", "confirm"]
    assert Run("report_cycle").walk({"confirm": ["return", "approve"]}) == [
        "draft", "signoff", "confirm", "draft", "signoff", "confirm"]
    assert Run("report_cycle").walk({"signoff": ["return", "return", "approve", "approve"],
                                     "confirm": ["return", "approve"]}).count("draft") == 4


@pytest.mark.parametrize(("output_type", "process", "appraisal", "appraiser", "authority"), [
    ("plan", "approval_cycle", True, "Sở Tư pháp", "UBND tỉnh"),
    ("decision", "approval_cycle", True, "Sở Nội vụ", "UBND tỉnh"),
    ("project", "approval_cycle", True, "Sở Khoa học và Công nghệ", "UBND tỉnh"),
    ("submission", "approval_cycle", False, None, "UBND tỉnh"),
    ("report", "report_cycle", False, None, None),
    ("letter", "report_cycle", False, None, None),
    ("coordination", "report_cycle", False, None, None),
    ("result", "report_cycle", False, None, None),
    ("something-new", "report_cycle", False, None, None),
])
def test_routing_table(output_type, process, appraisal, appraiser, authority):
    out = engine.decide_route(spec("task_routing"), {"output_type": output_type})
    assert (out["process"], out["needs_appraisal"], out["appraising_agency"],
            out["competent_authority"]) == (process, appraisal, appraiser, authority)


def test_every_user_task_declares_who_acts():
    for path in BPMN.glob("*.bpmn"):
        s = spec(path.stem)
        for step in s.steps:
            assert step.role in {"officer", "agency_head", "appraiser", "approver", "coordinator"}
            assert step.lane, step


def test_a_step_that_is_not_ready_cannot_be_run():
    run = Run("approval_cycle")
    with pytest.raises(engine.EngineError):
        engine.complete(run.wf, "00000000-0000-0000-0000-000000000000", {"decision": "submit"})


@pytest.mark.parametrize(("decisions", "trail", "outcome"), [
    (["approve", "approve"], ["review", "decide"], "approved"),
    (["return"], ["review"], "refused"),
    (["approve", "return"], ["review", "decide"], "refused"),
])
def test_extension_request_paths(decisions, trail, outcome):
    extension = spec("extension_request")
    wf = extension.start({
        "requested_due": "2026-04-10", "reason": "x", "requester": "officer", "due_date": None,
        "coordinating_agency": "Sở Khoa học và Công nghệ", "assigning_authority": "UBND tỉnh"})
    seen = []
    for decision in decisions:
        [step] = engine.ready_steps(wf)
        assert (step.step_id, step.agency) in (("review", "Sở Khoa học và Công nghệ"), ("decide", "UBND tỉnh"))
        seen.append(step.step_id)
        engine.complete(wf, step.task_id, {"decision": decision, "comment": "lý do"})
        wf = engine.restore(engine.serialize(wf), extension)
    assert seen == trail and engine.is_completed(wf)
    assert engine.result_data(wf)["outcome"] == outcome


def test_states_are_saved_without_the_spec_and_older_states_still_restore():
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # the library's own format, as saved before
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

    run = Run("report_cycle")
    state = engine.serialize(run.wf)
    assert '"spec_name": "report_cycle"' in state and '"task_specs"' not in state
    with pytest.raises(engine.EngineError):
        engine.restore(state)  # the spec of its deployed version is needed
    assert engine.ready_steps(engine.restore(state, run.spec))[0].step_id == "draft"
    stock = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    older = stock.serialize_json(run.wf)
    assert '"task_specs"' in older
    assert engine.ready_steps(engine.restore(older))[0].step_id == "draft"


# ---------------------------------------------------------------- returns do not make the state grow

def _walk_folding(run: Run, decisions: dict[str, list[str]]) -> list[str]:
    """``Run.walk`` as the product runs it: a re-entered step continues from its first pass."""
    queue = {k: list(v) for k, v in decisions.items()}
    for _ in range(400):
        steps = engine.ready_steps(run.wf)
        if not steps:
            break
        for s in steps:
            run.trail.append(s.step_id)
            data = {"assignee": "officer"} if s.step_id == "assign" else {}
            if s.step_id == "give_opinion":
                data = {"opinion_text": f"Ý kiến của {s.agency}", "actor": "x"}
            if s.step_id == "sign_opinion":
                data = {"actor": "y"}
            pending = queue.get(s.step_id)
            decision = pending.pop(0) if pending else s.decisions[0]
            engine.complete(run.wf, s.task_id, {**data, "decision": decision, "comment": f"{s.step_id} {decision}"})
            engine_loops.fold_passes(run.wf)
            run.wf = engine.restore(engine.serialize(run.wf), run.spec)
            run.sizes.append(len(engine.serialize(run.wf)))
    assert engine.is_completed(run.wf), f"stuck after {run.trail}"
    return run.trail


@pytest.mark.parametrize("decisions", [
    {"signoff": ["return", "return"]},
    {"appraise": ["return", "approve"], "signoff": ["approve", "return"]},
    {"approve": ["return"], "confirm": ["return", "return"]},
    {"appraise": ["return"] * 20},
])
def test_folding_returns_keeps_every_path(decisions):
    """The same steps in the same order, the same final data, with and without folding the passes."""
    plain, folded = Run("approval_cycle"), Run("approval_cycle")
    folded.sizes = []
    assert _walk_folding(folded, decisions) == plain.walk(decisions)
    assert engine.result_data(folded.wf)["decision"] == engine.result_data(plain.wf)["decision"]


def test_a_file_returned_twenty_times_keeps_the_size_of_a_fresh_one():
    none, twenty = Run("approval_cycle"), Run("approval_cycle")
    none.sizes, twenty.sizes = [], []
    _walk_folding(none, {})
    _walk_folding(twenty, {"appraise": ["return"] * 20})
    # the state of the final pass, step for step, against a file never returned
    assert max(twenty.sizes[-6:]) <= 1.15 * max(none.sizes[-6:]), (twenty.sizes[-6:], none.sizes[-6:])
