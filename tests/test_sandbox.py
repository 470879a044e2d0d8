"""The sandbox of the Python in process models (workflows/process/sandbox.py): what it refuses at upload and
at run time, the bounds that stop a long loop, what the shipped models use, and XML with entities."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from lxml import etree
from sqlalchemy import select

from models import AuditEvent, ProcessModel, db
from tests.conftest import act, item_at, new_task
from workflows import clock
from workflows.errors import Invalid
from workflows.process import catalog, deploy, engine, sandbox

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"
SOURCE = (BPMN_DIR / "approval_cycle.bpmn").read_text("utf-8")
HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs" '
        'targetNamespace="http://bpmn.io/schema/bpmn">\n')

# Code that reaches the server, each with the words of the refusal.
ESCAPES = [
    ("__import__('os').system('id')", "không được dùng tên “__import__”"),
    ("().__class__.__bases__[0].__subclasses__()", "không được dùng thuộc tính “.__class__”"),
    ("[c for c in ''.__class__.__mro__[1].__subclasses__() if c.__name__ == 'Popen']",
     "không được dùng thuộc tính “.__class__”"),
    ("open('/etc/passwd').read()", "không được dùng “open”"),
    ("getattr(len, '__self__')", "không được dùng “getattr”"),
    ("getattr(getattr(reminder_time, '__glob' + 'als__')['__builtins__'], 'open')", "không được dùng “getattr”"),
    ("reminder_time.__globals__['__builtins__']", "không được dùng thuộc tính “.__globals__”"),
    ("'{0.__class__}'.format(due_date)", "không được dùng thuộc tính “.format”"),
    ("eval('1 + 1')", "không được dùng “eval”"),
    ("exec('x = 1')", "không được dùng “exec”"),
    ("globals()", "không được dùng “globals”"),
    ("(lambda: 1)()", "không được dùng lambda"),
    ("(x for x in [1]).gi_frame", "không được dùng thuộc tính “.gi_frame”"),
]
# Long loops and huge values that a check before running sees, with the words of the refusal.
LONG = [
    ("sum(range(10**12))", "range quá lớn (tối đa 100.000 phần tử)"),
    ("[x for x in range(10**9)]", "range quá lớn"),
    ("10**10**10", "tạo số nguyên quá lớn"),
    ("'a' * 10**9", "tạo giá trị quá lớn"),
]
LONG_SCRIPTS = [
    ("while True:\n    pass", "không được dùng vòng lặp while"),
    ("for a in range(10000):\n    for b in range(10000):\n        pass", "các vòng lặp chạy tới 100.000.000 lượt"),
    ("pairs = [(a, b) for a in range(5000) for b in range(5000)]", "các vòng lặp chạy tới 25.000.000 lượt"),
    ("import os\nos.system('id')", "không được dùng lệnh import"),
    ("def f():\n    return 1", "không được dùng định nghĩa hàm (def)"),
    ("try:\n    x = 1\nexcept Exception:\n    pass", "không được dùng try/except"),
]


# ---------------------------------------------------------------- small models, parsed straight from text

def script_model(script: str) -> str:
    return HEAD + f"""<bpmn:process id="p" isExecutable="true">
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:scriptTask id="compute" name="Tính toán">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    <bpmn:script>{escape(script)}</bpmn:script>
  </bpmn:scriptTask>
  <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute"/>
  <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="end"/>
</bpmn:process>
</bpmn:definitions>"""


def condition_model(condition: str) -> str:
    return HEAD + f"""<bpmn:process id="p" isExecutable="true">
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:exclusiveGateway id="gw" name="Có góp ý?" default="f_no">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f_yes</bpmn:outgoing><bpmn:outgoing>f_no</bpmn:outgoing>
  </bpmn:exclusiveGateway>
  <bpmn:endEvent id="end_yes"><bpmn:incoming>f_yes</bpmn:incoming></bpmn:endEvent>
  <bpmn:endEvent id="end_no"><bpmn:incoming>f_no</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>
  <bpmn:sequenceFlow id="f_yes" name="Có" sourceRef="gw" targetRef="end_yes">
    <bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression>
  </bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="end_no"/>
</bpmn:process>
</bpmn:definitions>"""


def timer_model(expression: str) -> str:
    return HEAD + f"""<bpmn:process id="p" isExecutable="true">
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="wait" name="Chờ xử lý">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="role" value="officer"/>
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
  </bpmn:userTask>
  <bpmn:boundaryEvent id="wait_remind" name="Nhắc hạn" cancelActivity="false" attachedToRef="wait">
    <bpmn:timerEventDefinition id="wait_remind_def">
      <bpmn:timeDate>{escape(expression)}</bpmn:timeDate>
    </bpmn:timerEventDefinition>
  </bpmn:boundaryEvent>
  <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
  <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end"/>
</bpmn:process>
</bpmn:definitions>"""


def start(text: str, **data):
    return engine.ProcessSpec("p", [("p.bpmn", text)], []).start({"due_date": "2026-06-30", **data})


def refused_at_run_time(text: str, **data) -> str:
    with pytest.raises(engine.EngineError) as caught:
        start(text, **data)
    return str(caught.value)


# ---------------------------------------------------------------- run time: models deployed without the check

@pytest.mark.parametrize(("code", "reason"), ESCAPES + LONG)
def test_escapes_are_refused_at_run_time_in_a_script(code, reason):
    message = refused_at_run_time(script_model(f"result = {code}"))
    assert message.startswith("Mã Python của quy trình") and reason in message, message
    assert "(dòng 1)" in message and "“Tính toán” (compute)" in message


@pytest.mark.parametrize(("code", "reason"), ESCAPES + LONG)
def test_escapes_are_refused_at_run_time_in_a_condition(code, reason):
    message = refused_at_run_time(condition_model(code))
    assert reason in message, message


@pytest.mark.parametrize(("code", "reason"), ESCAPES[:4])
def test_escapes_are_refused_at_run_time_in_a_timer(code, reason):
    message = refused_at_run_time(timer_model(code))
    assert reason in message, message


@pytest.mark.parametrize(("script", "reason"), LONG_SCRIPTS)
def test_long_or_forbidden_scripts_are_refused_at_run_time(script, reason):
    message = refused_at_run_time(script_model(script))
    assert reason in message, message


def test_nothing_runs_on_the_server(tmp_path):
    marker = tmp_path / "ran"
    popen = "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen'][0]"
    for code in (f"__import__('os').system('touch {marker}')", f"{popen}(['touch', '{marker}'])"):
        with pytest.raises(engine.EngineError):
            start(script_model(f"x = {code}"))
        with pytest.raises(engine.EngineError):
            start(condition_model(code))
    assert not marker.exists()


# ---------------------------------------------------------------- run time: bounds that only a run can see

def test_a_loop_over_data_stops_at_the_step_budget():
    message = refused_at_run_time(script_model("for a in items:\n    for b in items:\n        pass"),
                                  items=list(range(50_000)))
    assert "vượt giới hạn (dòng 2): vòng lặp chạy quá 100.000 lượt" in message, message


def test_a_huge_comprehension_over_data_stops():
    message = refused_at_run_time(script_model("pairs = [(a, b) for a in items for b in items]"),
                                  items=list(range(50_000)))
    assert "vòng lặp chạy quá 100.000 lượt" in message


@pytest.mark.parametrize(("script", "reason"), [
    ("total = sum(range(n))", "range quá lớn"),
    ("text = 'a' * n", "tạo giá trị quá lớn"),
    ("big = 10 ** n", "tạo số nguyên quá lớn"),
    ("x = [1]\nfor i in range(40):\n    x += x", "tạo giá trị quá lớn"),
    ("line = '%0999999999d' % 1", "không được định dạng chuỗi bằng “%”"),
])
def test_sizes_that_come_from_data_are_bounded_at_run_time(script, reason):
    assert reason in refused_at_run_time(script_model(script), n=10**12)


def test_a_slow_loop_stops_at_the_time_limit(monkeypatch):
    monkeypatch.setattr(sandbox, "TIME_LIMIT", 0.2)
    message = refused_at_run_time(script_model("for n in range(1000):\n    text = str(big)"),
                                  big=list(range(100_000)))  # about 5 s without the limit
    assert "chạy quá 0,2 giây" in message, message


def test_the_bounds_hold_in_a_worker_thread():
    """gunicorn runs requests in threads, where signals cannot interrupt: the budget does not use them."""
    outcome = []

    def work():
        try:
            start(script_model("for a in items:\n    for b in items:\n        pass"), items=list(range(50_000)))
        except engine.EngineError as exc:
            outcome.append(str(exc))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive() and "vòng lặp chạy quá" in outcome[0]


# What a model may do: data, the registered functions, safe builtins and methods, loops, comprehensions, f-strings.
ALLOWED = ("count = len(collaborators)\n"
           "names = sorted(c.get('agency', '') for c in collaborators)\n"
           "label = f'{count} đơn vị: {names[0].lower()}'\n"
           "total = 0\n"
           "for c in collaborators:\n"
           "    total += len(c['agency'])\n"
           "late = {k: v for k, v in {'a': 1, 'b': 2}.items() if v > 1}\n"
           "biggest = max([abs(-3), round(2.6), int('4'), min(9, 8)])\n"
           "flags = [any([False, True]), all([]), isinstance(label, str), 'x' in list(set(tuple('xy')))]\n"
           "remind = reminder_time(due_date, 3)")


def test_the_allowlist_runs_what_models_need_and_nothing_more():
    collaborators = [{"agency": "Sở Xây dựng"}, {"agency": "Sở Tài chính"}]
    data = engine.result_data(start(script_model(ALLOWED), collaborators=collaborators))
    assert (data["count"], data["label"]) == (2, "2 đơn vị: sở tài chính")
    assert data["names"] == ["Sở Tài chính", "Sở Xây dựng"]
    assert (data["total"], data["late"], data["biggest"], data["flags"]) == (23, {"b": 2}, 8, [True, True, True, True])
    assert data["remind"].endswith("T08:00:00+07:00")  # a registered function, called from the sandbox
    assert "reminder_time" not in data and "__builtins__" not in data
    # one name more than the allowlist, and the same script is refused before it runs a line
    for extra in ("vars()", "type(label)", "label.format()", "repr(label)", "reminder_time.__name__"):
        message = refused_at_run_time(script_model(f"{ALLOWED}\nextra = {extra}"), collaborators=collaborators)
        assert "(dòng 11)" in message, message


def test_every_shipped_model_uses_only_what_the_sandbox_allows():
    codes = 0
    for path in sorted(BPMN_DIR.glob("*.bpmn")):
        for el in etree.parse(str(path)).iter(*(f"{{{ns}}}{name}" for ns, name in deploy._CODE)):
            mode = deploy._CODE[(etree.QName(el).namespace, etree.QName(el).localname)][0]
            assert sandbox.problems(el.text.strip() if mode == "eval" else el.text, mode) == [], (path.name, el.text)
            codes += 1
    for cell in etree.parse(str(BPMN_DIR / "routing.dmn")).iter("{*}text"):
        if cell.text.strip() != "-":  # "any value" in a DMN input cell
            assert sandbox.problems(cell.text, "eval") == [], cell.text
            codes += 1
    assert codes > 100


# ---------------------------------------------------------------- upload: refused before anything is stored

def upload(world, text: str) -> list[str]:
    errors = deploy.validate_upload("approval_cycle.bpmn", text.encode("utf-8"))
    with pytest.raises(Invalid) as caught:
        deploy.deploy_upload(world["admin"], "approval_cycle.bpmn", text.encode("utf-8"))
    assert caught.value.fields["file"] == "\n".join(errors)
    assert catalog.latest("approval_cycle").version == 1
    return errors


@pytest.mark.parametrize(("code", "reason"), ESCAPES + LONG)
def test_escapes_in_a_condition_are_refused_at_upload(world, code, reason):
    errors = upload(world, SOURCE.replace("len(collaborators) &gt; 0", escape(code)))
    assert errors and all(e.startswith("Điều kiện của luồng “Có” (f_collab_yes), dòng 1: ") for e in errors), errors
    assert any(reason in e for e in errors), errors


@pytest.mark.parametrize(("script", "reason"), [(f"x = {code}", reason) for code, reason in ESCAPES] + LONG_SCRIPTS)
def test_escapes_in_a_script_are_refused_at_upload(world, script, reason):
    original = 'opinion = {"agency": collaborator["agency"], "text": opinion_text, "by": actor}'
    errors = upload(world, SOURCE.replace(original, escape(f"{original}\n{script}")))
    # the line in the script (its first line is the shipped one); a nested loop is named at the inner loop
    assert any(re.match(r"Đoạn mã của “Góp ý dự thảo” \(give_opinion\), dòng [23]: ", e) and reason in e
               for e in errors), errors


def test_escapes_in_a_timer_are_refused_at_upload(world):
    """(The first timer of the file: a collaborator's, inside the opinion subprocess.)"""
    errors = upload(world, SOURCE.replace("reminder_time(due_date, 3)", "open('/etc/passwd').read()", 1))
    assert errors[0].startswith(
        "Thời điểm hẹn giờ của “Nhắc hạn” (give_opinion_remind), dòng 1: không được dùng “open”")


# ---------------------------------------------------------------- run time through the use case: nothing saved

def test_a_model_stored_before_the_check_is_refused_when_reached_and_nothing_is_saved(world, tmp_path):
    marker = tmp_path / "ran"
    bad = SOURCE.replace("len(collaborators) &gt; 0", f"__import__('os').system('touch {marker}') == 0")
    db.session.add(ProcessModel(process_id="approval_cycle", version=2, filename="approval_cycle.bpmn", kind="bpmn",
                                sha256="stored-before-the-sandbox", source=bad, deployed_at=clock.now(),
                                deployed_by="admin"))
    db.session.commit()
    task = new_task(world)
    act(world, task, "assign")
    events = db.session.scalar(select(db.func.count(AuditEvent.id)))
    with pytest.raises(Invalid) as caught:
        act(world, task, "draft")  # the condition after the draft is reached
    assert "không được dùng tên “__import__”" in str(caught.value), str(caught.value)
    assert not marker.exists()
    assert item_at(task, "draft").status == "open"  # rolled back: still waiting at the draft
    assert db.session.scalar(select(db.func.count(AuditEvent.id))) == events


# ---------------------------------------------------------------- XML: a DOCTYPE is refused, no entity expanded

def with_doctype(text: str, doctype: str, script_text: str) -> str:
    head, rest = text.split("\n", 1)
    return f"{head}\n{doctype}\n{rest}".replace("<bpmn:script>x = 1</bpmn:script>",
                                                 f"<bpmn:script>{script_text}</bpmn:script>")


LAUGHS = "<!DOCTYPE bpmn:definitions [\n<!ENTITY lol \"lol\">\n" + "".join(
    f"<!ENTITY lol{i} \"{('&lol' + (str(i - 1) if i > 1 else '') + ';') * 10}\">\n" for i in range(1, 10)) + "]>"
EXTERNAL = '<!DOCTYPE bpmn:definitions [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
INTERNAL = "<!DOCTYPE bpmn:definitions [<!ENTITY x \"__import__('os')\">]>"


@pytest.mark.parametrize(("doctype", "script_text"), [(EXTERNAL, "x = '&x;'"), (LAUGHS, "x = '&lol9;'"),
                                                      (INTERNAL, "x = &x;")])
def test_the_engine_refuses_a_doctype_and_expands_no_entity(doctype, script_text):
    with pytest.raises(engine.ModelError) as caught:
        engine.ProcessSpec("p", [("p.bpmn", with_doctype(script_model("x = 1"), doctype, script_text))], [])
    assert str(caught.value) == engine.DOCTYPE_REFUSED
    assert engine.check_model("p", "p.bpmn", with_doctype(script_model("x = 1"), doctype, script_text)) == [
        engine.DOCTYPE_REFUSED]


def test_a_doctype_hidden_in_another_encoding_is_refused_after_a_parse_that_expands_nothing():
    # "<!DOCTYPE …>" and "&x;" written in UTF-7: a search of the text cannot see them, lxml reads them
    text = script_model("x = 1").replace("Tính toán", "Tinh toan").replace('encoding="UTF-8"', 'encoding="UTF-7"')
    doctype = "+ADwAIQ-DOCTYPE bpmn:definitions +AFsAPAAh-ENTITY x +ACI-MARK+ACIAPgBd-+AD4-"
    assert "<!DOCTYPE" not in with_doctype(text, doctype, "y = +ACY-x+ADs-")
    with pytest.raises(engine.ModelError) as caught:
        engine.ProcessSpec("p", [("p.bpmn", with_doctype(text, doctype, "y = +ACY-x+ADs-"))], [])
    assert str(caught.value) == engine.DOCTYPE_REFUSED


def test_a_model_using_a_name_the_file_lacks_says_in_vietnamese_the_model_is_at_fault(world):
    # accepted at upload (names of the file's data are known only when it runs), it answered in English at the
    # step: "Error evaluating expression '…'. Did you mean one of …"
    bad = SOURCE.replace("len(collaborators) &gt; 0", "len(collaborators) &gt; 0 and can_bo_duoc_chi_dinh")
    deploy.deploy_upload(world["admin"], "approval_cycle.bpmn", bad.encode())
    task = new_task(world)
    act(world, task, "assign")
    with pytest.raises(Invalid) as caught:
        act(world, task, "draft")  # the condition after the draft is reached
    message = str(caught.value)
    assert "Mô hình quy trình đang dùng có lỗi ở phần tử" in message and "Error" not in message, message
    assert "tên “can_bo_duoc_chi_dinh” không có trong dữ liệu của hồ sơ" in message
    assert "báo quản trị viên sửa mô hình và triển khai lại" in message
    assert item_at(task, "draft").status == "open"


def test_a_step_whose_agency_variable_names_nothing_blames_the_model_not_the_registry(world):
    # it asked the coordinator to add agency "(chưa xác định)" to the registry
    bad = SOURCE.replace('<spiffworkflow:property name="agency_var" value="lead_agency"/>',
                         '<spiffworkflow:property name="agency_var" value="lead_agencyy"/>', 1)
    deploy.deploy_upload(world["admin"], "approval_cycle.bpmn", bad.encode())
    with pytest.raises(Invalid) as caught:
        new_task(world)
    message = str(caught.value)
    assert "mô hình quy trình đang dùng không chỉ ra đơn vị thực hiện" in message, message
    assert "chưa có trong danh mục" not in message and "báo quản trị viên" in message
