"""Deploying BPMN/DMN files as versioned ProcessModel rows and loading their specs."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from sqlalchemy import func, select

from models import OUTPUT_TYPES, ProcessModel, db
from workflows import audit, clock, settings
from workflows.process import engine
from workflows.tx import transaction

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
ROUTING_PROCESS = "task_routing"
BY_THE_PRODUCT = ("system", "init-db")  # ``deployed_by`` of a file of the product's own bpmn/ folder
log = logging.getLogger(__name__)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _process_id(filename: str) -> str:
    return Path(filename).stem


def latest(process_id: str) -> ProcessModel | None:
    return db.session.scalars(
        select(ProcessModel).where(ProcessModel.process_id == process_id)
        .order_by(ProcessModel.version.desc()).limit(1)
    ).first()


def sync_directory(directory: Path = BPMN_DIR, deployed_by: str = "system") -> list[ProcessModel]:
    """Deploy every file of ``directory`` whose content changed as a new version. Flushes only.

    The file name (without extension) is the process id (``approval_cycle.bpmn`` → ``approval_cycle``).
    Each file is validated by parsing before it is recorded. A file whose content some version already has
    is skipped: an administrator's uploaded version is not replaced by the unchanged file of the checkout. A
    changed file (a new release) is, and says so: an audit event for every version deployed, a warning in the log
    when it replaces an administrator's upload (``replaced_upload`` says which, for init-db).
    """
    deployed = []
    files = sorted(directory.glob("*.bpmn")) + sorted(directory.glob("*.dmn"))
    dmn = [(p.name, p.read_text("utf-8")) for p in directory.glob("*.dmn")]
    for path in files:
        text = path.read_text("utf-8")
        pid = _process_id(path.name)
        current = latest(pid)
        if current is not None and db.session.scalar(select(ProcessModel.id).where(
                ProcessModel.process_id == pid, ProcessModel.sha256 == _sha(text)).limit(1)) is not None:
            continue
        kind = path.suffix.lstrip(".")
        if kind == "bpmn":
            engine.load_spec(pid, _sha(text), [(path.name, text)], dmn)  # validates, raises ModelError
        version = (db.session.scalar(select(func.max(ProcessModel.version))
                                     .where(ProcessModel.process_id == pid)) or 0) + 1
        model = ProcessModel(process_id=pid, version=version, filename=path.name, kind=kind,
                             sha256=_sha(text), source=text, deployed_at=clock.now(),
                             deployed_by=deployed_by)
        db.session.add(model)
        deployed.append(model)
        replaced = f" (thay phiên bản {current.version} do {current.deployed_by} tải lên)" \
            if current is not None and current.deployed_by not in BY_THE_PRODUCT else ""
        if replaced:
            log.warning("%s version %s from %s replaces version %s uploaded by %s", pid, version, path.name,
                        current.version, current.deployed_by)
        audit.record("deploy", None, comment=f"Triển khai {pid} phiên bản {version} từ tệp {path.name} của phiên "
                     f"bản ứng dụng{replaced}", data={"process": pid, "version": version, "sha256": model.sha256,
                                                     "previous_version": current.version if current else None})
    db.session.flush()
    return deployed


def replaced_uploads() -> list[tuple[ProcessModel, ProcessModel]]:
    """(in use, replaced) for every process whose version in use is a file of the product's that replaced the
    version an administrator had uploaded: a release's new file wins over it, which the administrator must know."""
    pairs = []
    for pid in db.session.scalars(select(ProcessModel.process_id).distinct()):
        newest = db.session.scalars(select(ProcessModel).where(ProcessModel.process_id == pid)
                                    .order_by(ProcessModel.version.desc()).limit(2)).all()
        if len(newest) == 2 and newest[0].deployed_by in BY_THE_PRODUCT \
                and newest[1].deployed_by not in BY_THE_PRODUCT:
            pairs.append((newest[0], newest[1]))
    return sorted(pairs, key=lambda p: p[0].process_id)


def deploy(directory: Path = BPMN_DIR, deployed_by: str = "system") -> list[ProcessModel]:
    """``sync_directory`` as one transaction (init-db, start-up)."""
    with transaction():
        return sync_directory(directory, deployed_by)


def spec_for(model: ProcessModel) -> engine.ProcessSpec:
    """The parsed spec of one deployed version (cached by content hash)."""
    if model.process_id != ROUTING_PROCESS:
        # the model's source is a deferred column: a parsed version never reads it again
        spec = engine.cached_spec(model.process_id, model.sha256)
        if spec is not None:
            return spec
    dmn = []
    if model.process_id == ROUTING_PROCESS:
        dmn_ids = db.session.scalars(
            select(ProcessModel.process_id).where(ProcessModel.kind == "dmn").distinct())
        dmn = [(m.filename, m.source) for m in map(latest, list(dmn_ids))]
    key = model.sha256 + "".join(_sha(src) for _, src in dmn)
    return engine.load_spec(model.process_id, key, [(model.filename, model.source)], dmn)


def route(output_type: str) -> dict:
    """Ask routing.dmn which process runs a task of this output type, and with which parties."""
    model = latest(ROUTING_PROCESS)
    if model is None:
        raise RuntimeError("Process models are not deployed: run `flask --app app init-db`")
    return engine.decide_route(spec_for(model), {"output_type": output_type})


def parties(route: dict) -> list[str]:
    """The agencies a route names: the appraising body (when it appraises) and the competent authority."""
    names = [route.get("appraising_agency") if route.get("needs_appraisal") else None,
             route.get("competent_authority")]
    return [n for n in names if isinstance(n, str) and n.strip()]


def named_agencies() -> list[str]:
    """Every body the deployed routing names for some output type, and the standing and assigning bodies the
    processes name (settings): a fresh installation must have them before the first task is assigned."""
    names = [n for output_type in OUTPUT_TYPES for n in parties(route(output_type))]
    names += [settings.get("COORDINATING_AGENCY"), settings.get("ASSIGNING_AUTHORITY")]
    return list(dict.fromkeys(names))


def step_catalog() -> list[engine.StepDefinition]:
    """Every user step of the latest version of every process (for filters)."""
    steps: dict[str, engine.StepDefinition] = {}
    for pid in ("approval_cycle", "report_cycle", "indicator_report"):
        model = latest(pid)
        if model is not None:
            for s in spec_for(model).steps:
                steps.setdefault(s.step_name, s)
    return list(steps.values())
