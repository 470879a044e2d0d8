"""Process-model administration: versions and their use, deploying an uploaded BPMN file, and moving
running instances to another version in bulk (with a dry run first).

Only administrators act here (checked in every use case, not only in the views). A BPMN file is code —
its conditions, scripts and timers run as Python, in the sandbox of ``sandbox.py`` — so it is validated in
full before it is stored (the sandbox's allowlist included), and every deployment and every moved instance
leaves an audit event.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from lxml import etree
from sqlalchemy import func, select

from models import ROLES, ProcessInstance, ProcessModel, User, db
from workflows import audit, clock
from workflows.errors import Invalid, NotAllowed, NotFound
from workflows.process import catalog, engine, sandbox
from workflows.tx import transaction

MAX_MODEL_BYTES = 2 * 1024 * 1024
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
# the elements a diagram must draw (lanes and the process itself are drawn from their own shapes)
_DRAWN = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
          "receiveTask", "callActivity", "subProcess", "exclusiveGateway", "inclusiveGateway",
          "parallelGateway", "eventBasedGateway", "startEvent", "endEvent", "intermediateCatchEvent",
          "intermediateThrowEvent", "boundaryEvent", "sequenceFlow"}
# The elements whose text SpiffWorkflow runs as Python: as an expression or a script, and what a person calls it.
_CODE = {(BPMN_NS, "conditionExpression"): ("eval", "Điều kiện của luồng"),
         (BPMN_NS, "condition"): ("eval", "Điều kiện của"),
         (BPMN_NS, "timeDate"): ("eval", "Thời điểm hẹn giờ của"),
         (BPMN_NS, "timeDuration"): ("eval", "Thời lượng hẹn giờ của"),
         (BPMN_NS, "timeCycle"): ("eval", "Chu kỳ hẹn giờ của"),
         (BPMN_NS, "loopCardinality"): ("eval", "Số lần lặp của"),
         (BPMN_NS, "completionCondition"): ("eval", "Điều kiện kết thúc vòng lặp của"),
         (BPMN_NS, "script"): ("exec", "Đoạn mã của"),
         (SPIFF_NS, "preScript"): ("exec", "Đoạn mã của"),
         (SPIFF_NS, "postScript"): ("exec", "Đoạn mã của")}


def require_admin(user: User) -> None:
    if user is None or not user.is_authenticated or not user.has_role("admin"):
        raise NotAllowed("Chỉ quản trị hệ thống được quản lý quy trình.")


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# ---------------------------------------------------------------- versions and their use

@dataclass
class VersionRow:
    model: ProcessModel
    running: int = 0
    completed: int = 0


@dataclass
class ProcessRow:
    process_id: str
    name: str
    kind: str
    versions: list[VersionRow] = field(default_factory=list)

    @property
    def latest(self) -> VersionRow:
        return self.versions[0]


def _process_name(model: ProcessModel) -> str:
    """The name a person reads: the process's, or a decision table's with its file ("… (routing.dmn)")."""
    fallback = model.process_id if model.kind == "bpmn" else model.filename
    try:
        root = etree.fromstring(model.source.encode("utf-8"), _xml_parser())
    except etree.XMLSyntaxError:
        return fallback
    if model.kind != "bpmn":
        decision = root.find(".//{*}decision")
        name = decision.get("name") if decision is not None else None
        return f"{name} ({model.filename})" if name else fallback
    process = root.find(f"{{{BPMN_NS}}}process")
    return (process.get("name") if process is not None else None) or fallback


def versions() -> list[ProcessRow]:
    """Every process with its versions (newest first) and how many instances run or ended on each."""
    counts: dict[tuple[int, str], int] = {
        (model_id, status): n for model_id, status, n in db.session.execute(
            select(ProcessInstance.process_model_id, ProcessInstance.status, func.count())
            .group_by(ProcessInstance.process_model_id, ProcessInstance.status))}
    rows: dict[str, ProcessRow] = {}
    for model in db.session.scalars(select(ProcessModel).order_by(
            ProcessModel.kind, ProcessModel.process_id, ProcessModel.version.desc())):
        row = rows.get(model.process_id)
        if row is None:
            row = rows[model.process_id] = ProcessRow(model.process_id, _process_name(model), model.kind)
        row.versions.append(VersionRow(model, counts.get((model.id, "running"), 0),
                                       counts.get((model.id, "completed"), 0)))
    return list(rows.values())


_WHERE = re.compile(r",? line \d+, column \d+$")  # what libxml2's message ends with


def deployers(rows: list[VersionRow]) -> dict[str, str]:
    """Who deployed the versions, as a person reads them: a user's full name, or the command that did it
    ("init-db", when the server started) said as the system."""
    names = {v.model.deployed_by for v in rows if v.model.deployed_by}
    people = dict(db.session.execute(select(User.username, User.full_name).where(User.username.in_(names))).all())
    return {name: people.get(name) or ("Hệ thống" if name == "system" else f"Hệ thống ({name})") for name in names}


def process(process_id: str) -> ProcessRow:
    row = next((r for r in versions() if r.process_id == process_id), None)
    if row is None:
        raise NotFound("Không tìm thấy quy trình.")
    return row


def model(model_id: int) -> ProcessModel:
    found = db.session.get(ProcessModel, model_id)
    if found is None:
        raise NotFound("Không tìm thấy phiên bản quy trình.")
    return found


# ---------------------------------------------------------------- validating and deploying an upload

def _xml_parser() -> etree.XMLParser:
    # no entities, no network: an uploaded file must not read the server's files
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _label(el) -> str:
    name = el.get("name")
    return f"“{name}” ({el.get('id')})" if name else f"“{el.get('id')}”"


def validate_upload(filename: str | None, content: bytes | None, process_id: str | None = None) -> list[str]:
    """Every problem of an uploaded BPMN file, in Vietnamese (empty: it can be deployed).

    ``process_id`` is the process the upload is meant to replace (from the page it was sent from).
    """
    filename = PurePath(filename or "").name
    if not content:
        return ["Vui lòng chọn tệp BPMN (.bpmn) để tải lên."]
    if not filename.lower().endswith(".bpmn"):
        return [f"Tệp “{filename or '(không tên)'}” không phải tệp BPMN: tên tệp phải có đuôi .bpmn."]
    if len(content) > MAX_MODEL_BYTES:
        return [f"Tệp quá lớn ({len(content) // 1024} KB); giới hạn là {MAX_MODEL_BYTES // 1024 // 1024} MB."]
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return ["Tệp không phải văn bản UTF-8: hãy lưu lại tệp BPMN với mã hóa UTF-8."]
    if "<!DOCTYPE" in text:  # entities: a file of the server, or a billion laughs (engine.parse_xml)
        return [engine.DOCTYPE_REFUSED]
    try:
        root = etree.fromstring(content, _xml_parser())
    except etree.XMLSyntaxError as exc:
        detail = _WHERE.sub("", exc.msg)  # (the line and column are said in Vietnamese)
        return [f"Tệp không phải XML hợp lệ (dòng {exc.lineno}): lỗi cú pháp ở cột {exc.position[1]} — tệp BPMN là XML "
                f"do công cụ vẽ quy trình xuất ra (chi tiết kỹ thuật: {detail})."]
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # a DOCTYPE written in another encoding (UTF-7)
        return [engine.DOCTYPE_REFUSED]
    if root.tag != f"{{{BPMN_NS}}}definitions":
        return ["Tệp không phải BPMN 2.0: thẻ gốc phải là bpmn:definitions "
                f"(không gian tên {BPMN_NS}), tệp này có thẻ gốc “{_local(root.tag)}”."]

    processes = root.findall(f"{{{BPMN_NS}}}process")
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    if not executable:
        return ["Tệp không có quy trình nào được đánh dấu thực thi (isExecutable=\"true\")."]
    known = set(db.session.scalars(select(ProcessModel.process_id).where(ProcessModel.kind == "bpmn").distinct()))
    ids = [p.get("id") for p in executable]
    if process_id is not None:
        if process_id not in ids:
            return [f"Mã quy trình trong tệp ({', '.join(ids)}) khác với quy trình đang cập nhật ({process_id})."]
        pid = process_id
    else:
        matching = [i for i in ids if i in known]
        if not matching:
            return [f"Mã quy trình {', '.join(ids)} chưa có trong hệ thống: chỉ được nạp phiên bản mới "
                    "của một quy trình đã có."]
        pid = matching[0]
    current = catalog.latest(pid)
    if current is None:
        return [f"Mã quy trình {pid} chưa có trong hệ thống: chỉ được nạp phiên bản mới của một quy trình đã có."]
    if current.sha256 == _sha(content):
        return [f"Tệp giống hệt phiên bản hiện hành (phiên bản {current.version}): không có gì thay đổi để triển khai."]

    errors = _check_steps(next(p for p in executable if p.get("id") == pid))
    errors += _check_expressions(next(p for p in executable if p.get("id") == pid))
    errors += _check_diagram(root, next(p for p in executable if p.get("id") == pid))
    if not errors:  # SpiffWorkflow's own parser and validator, as the engine will read the file
        errors = engine.check_model(pid, current.filename, text, _dmn_for(pid))
    return errors


def _check_steps(process) -> list[str]:
    errors = []
    for task in process.iter(f"{{{BPMN_NS}}}userTask"):
        props = {p.get("name"): p.get("value") or "" for p in task.iter(f"{{{SPIFF_NS}}}property")}
        role = props.get("role", "").strip()
        if not role:
            errors.append(f"Bước {_label(task)} chưa khai báo vai trò (thuộc tính role).")
        elif role not in ROLES:
            errors.append(f"Bước {_label(task)} có vai trò không hợp lệ “{role}” (chỉ dùng: {', '.join(ROLES)}).")
        for key, value in props.items():
            if key and key.startswith("field."):
                ftype = value.split("|", 1)[0]
                if ftype not in engine.FIELD_TYPES:
                    errors.append(f"Bước {_label(task)}: trường “{key[len('field.'):]}” có kiểu không hợp lệ "
                                  f"“{ftype}” (chỉ dùng: {', '.join(engine.FIELD_TYPES)}).")
    return errors


def _owner(el):
    """The flow element a piece of code belongs to: a timer's event, not its timerEventDefinition."""
    owner = el.getparent()
    while owner is not None and (owner.get("id") is None
                                 or _local(owner.tag).endswith(("EventDefinition", "LoopCharacteristics"))):
        owner = owner.getparent()
    return owner


def _check_expressions(process) -> list[str]:
    """Conditions, scripts and timers are Python that runs only when reached, in the sandbox: refuse now what
    would fail there — a syntax error, or anything outside the sandbox's allowlist — naming element and line."""
    errors = []
    for el in process.iter(*(f"{{{ns}}}{name}" for ns, name in _CODE)):
        mode, what = _CODE[(etree.QName(el).namespace, etree.QName(el).localname)]
        source = (el.text or "").strip() if mode == "eval" else el.text or ""
        if not source.strip():
            continue
        owner = _owner(el)
        label = _label(owner) if owner is not None else "quy trình"
        try:
            found = sandbox.problems(source, mode)
        except SyntaxError as exc:
            said = "sai cú pháp" if exc.msg == "invalid syntax" else exc.msg
            errors.append(f"{what} {label} không phải biểu thức Python hợp lệ: {said}." if mode == "eval"
                          else f"{what} {label} có lỗi cú pháp (dòng {exc.lineno}): {said}.")
            continue
        errors += [f"{what} {label}, dòng {problem.line}: {problem.reason}." for problem in found]
    return errors


def _check_diagram(root, process) -> list[str]:
    drawn = {el.get("bpmnElement") for el in root.iter(f"{{{BPMNDI_NS}}}BPMNShape", f"{{{BPMNDI_NS}}}BPMNEdge")}
    if not drawn:
        return ["Tệp không có sơ đồ (phần bpmndi): hãy lưu tệp từ một trình vẽ BPMN để có tọa độ các bước."]
    missing = [el for el in process.iter() if _local(el.tag) in _DRAWN and el.get("id") not in drawn]
    if not missing:
        return []
    names = ", ".join(_label(el) for el in missing[:10])
    more = f" và {len(missing) - 10} phần tử khác" if len(missing) > 10 else ""
    return [f"Thiếu tọa độ trên sơ đồ (bpmndi) cho: {names}{more}."]


def _dmn_for(process_id: str) -> list[tuple[str, str]]:
    if process_id != catalog.ROUTING_PROCESS:
        return []
    ids = db.session.scalars(select(ProcessModel.process_id).where(ProcessModel.kind == "dmn").distinct())
    return [(m.filename, m.source) for m in map(catalog.latest, list(ids))]


def deploy_upload(admin: User, filename: str | None, content: bytes | None,
                  process_id: str | None = None) -> ProcessModel:
    """Validate an uploaded BPMN file and deploy it as the next version of its process. One transaction.

    New tasks start on it; running instances stay on their version until migrated. Raises Invalid
    (``fields["file"]``: the problems, one per line) without storing anything.
    """
    require_admin(admin)
    with transaction():
        errors = validate_upload(filename, content, process_id)
        if errors:
            raise Invalid("Chưa triển khai được tệp quy trình.", {"file": "\n".join(errors)})
        root = etree.fromstring(content, _xml_parser())
        pid = process_id or next(p.get("id") for p in root.findall(f"{{{BPMN_NS}}}process")
                                 if p.get("isExecutable") == "true" and catalog.latest(p.get("id")))
        current = catalog.latest(pid)
        text = content.decode("utf-8")
        now = clock.now()
        deployed = ProcessModel(process_id=pid, version=current.version + 1, filename=current.filename, kind="bpmn",
                                sha256=_sha(content), source=text, deployed_at=now, deployed_by=admin.username)
        db.session.add(deployed)
        db.session.flush()
        audit.record("deploy", admin, comment=f"Triển khai {pid} phiên bản {deployed.version} "
                     f"từ tệp {PurePath(filename or '').name}",  # (a deployment concerns no task)
                     data={"process": pid, "version": deployed.version, "sha256": deployed.sha256,
                           "previous_version": current.version})
    return deployed
