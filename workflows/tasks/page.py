"""The task page's read model: everything one person sees of one task, gathered in one call.

The view builds the forms (they are WTForms) from ``actionable`` and renders; nothing here deserializes
engine state (the diagram is drawn from the work item and audit rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from models import Agency, Attachment, AuditEvent, DeadlineAdjustment, Task, User, WorkItem, db
from workflows import access
from workflows.accounts import people
from workflows.process import diagram, svg
from workflows.signatures import evidence
from workflows.tasks import comments, explanations, indicators, reads, urging
from workflows.tasks.files import viewable

AUTOMATIC = ("remind", "escalate")  # what the timers record, with no person acting


@dataclass(frozen=True)
class SignatureNote:
    status: str  # workflows.signatures.check.STATUSES
    signers: str  # "Nguyễn Văn A, UBND tỉnh, 12/05/2026 09:14; …"


def signature_notes(attachment_ids) -> dict[int, SignatureNote]:
    return {i: SignatureNote(c.status, evidence.signers(c)) for i, c in evidence.latest(attachment_ids).items()}


@dataclass(frozen=True)
class Resubmission:
    """A file sent on again to a step it passed before, after a return since: the return (why, by whom), what the
    step it went back to wrote since (the officer's answer; ``unchanged``: word for word what it wrote before) and
    the files filed since — none: the same files."""

    returned: AuditEvent
    answers: list[AuditEvent]
    new_files: list[Attachment]
    unchanged: set[int]  # the answers that wrote the same as their step wrote before the return


@dataclass(frozen=True)
class Opinion:
    """A collaborating agency's latest opinion on the file, and its head's signature (None: not signed yet)."""

    given: AuditEvent
    signed: AuditEvent | None


@dataclass
class TaskPage:
    task: Task
    items: list[WorkItem]  # its open work items
    actionable: dict[int, list[User]]  # item id → the officers a "user" field may name, for the items one may act on
    reassignable: dict[int, list[User]]  # item id → whom the agency head may hand it to
    history: list[AuditEvent]
    recorded: dict[int, list[reads.RecordedValue]]
    attachments: list[Attachment]
    adjustments: list[DeadlineAdjustment]
    can_download: bool
    pending_return: tuple[AuditEvent, int] | None
    pending_extension: AuditEvent | None
    may_request_extension: bool
    may_comment: bool
    mention_choices: tuple[list[tuple[Agency, str]], list[Agency]] | None
    diagrams: list[diagram.Diagram]
    diagram_legend: list = field(default_factory=list)
    viewable: set[int] = field(default_factory=set)  # attachments that open in the browser (PDF, images)
    explanations: list = field(default_factory=list)  # the lead agency's explanations, latest first
    asks_explanation: bool = False  # the explanation form is offered: overdue or due soon, and ``user`` may write
    days_late: int = 0  # days past the due date, today
    signatures: dict[int, SignatureNote] = field(default_factory=dict)  # attachment id → its newest signature check
    handed_over: dict[int, list[AuditEvent]] = field(default_factory=dict)  # item id → what the step before said
    case_files: dict[int, list[Attachment]] = field(default_factory=dict)  # item id → the files it works on
    written_before: dict[int, dict[str, str]] = field(default_factory=dict)  # item id → its texts of the last pass
    resubmitted: dict[int, Resubmission] = field(default_factory=dict)  # item id → the return it is sent again after
    opinions: dict[int, list[Opinion]] = field(default_factory=dict)  # item id → the collaborators' opinions weighed
    may_urge: bool = False  # ``user`` may urge the task on (a coordinator; the task waits for someone)
    last_urged: AuditEvent | None = None
    may_withdraw: bool = False  # ``user`` may take it off the list (a coordinator; a running task of its own)
    urged_today: bool = False  # (not again before tomorrow)
    indicator: indicators.ReportContext | None = None  # an indicator report's target and how its value reads
    # items to approve that ``user`` sent on: a return only (``work.complete`` refuses their approval)
    own_submissions: set[int] = field(default_factory=set)

    @property
    def explanation(self):
        """The latest explanation, the one reports quote."""
        return self.explanations[0] if self.explanations else None

    @property
    def history_runs(self) -> list[list[AuditEvent]]:
        """The history in runs: each person's action alone, and the system's reminders and overdue notices that
        follow one another folded together (an overdue file gathers three at every step it enters)."""
        runs: list[list[AuditEvent]] = []
        for event in self.history:
            automatic = event.actor_id is None and event.action in AUTOMATIC
            if automatic and runs and runs[-1][0].actor_id is None and runs[-1][0].action in AUTOMATIC:
                runs[-1].append(event)
            else:
                runs.append([event])
        return runs


def task_page(user: User, task: Task, *, whole_diagram: bool = False) -> TaskPage:
    """What ``user`` (who may view the task: ``reads.get_task``) sees of it; the diagrams open on the current
    steps unless ``whole_diagram``."""
    items = reads.open_items(task)
    history, files = reads.history(task), reads.attachments(task)
    may_comment = comments.can_comment(user, task)
    recorded = reads.recorded_values(task, history, files)
    may_act = actionable(user, items)
    parts = _Parts.of(items, history)
    made = {i.id: _creating(history, i) for i in items if i.id in may_act}
    urged = max((e for e in history if e.action == urging.ACTION), key=lambda e: e.id, default=None)
    again = {i.id: said for i in items if i.id in may_act and (said := resubmission(i, made[i.id], recorded, parts))}
    return TaskPage(
        task=task, items=items,
        actionable=may_act,
        reassignable={i.id: _reassign_choices(user, i) for i in items
                      if user.has_role("agency_head") and i.agency_id == user.agency_id},
        history=history, recorded=recorded, attachments=files,
        adjustments=reads.adjustments(task), can_download=access.can_download(user, task),
        pending_return=reads.pending_return(task), pending_extension=reads.pending_extension(task),
        may_request_extension=access.can_request_extension(user, task), may_comment=may_comment,
        mention_choices=comments.mention_choices(task) if may_comment else None,
        diagrams=diagram.task_diagrams(task, focus=not whole_diagram), diagram_legend=svg.legend(),
        viewable={a.id for a in files if viewable(a)},
        explanations=explanations.history(task),
        asks_explanation=explanations.is_asked(task) and explanations.may_explain(user, task),
        days_late=explanations.days_late(task),
        signatures=signature_notes(a.id for a in files),
        handed_over={i.id: said for i in items if i.id in made and (said := [
            e for e in handed_over(i, made[i.id], recorded, parts)
            if i.id not in again or e not in again[i.id].answers])},  # (an answer to a return is said once, there)
        case_files={i.id: case_files(i, files, parts, made[i.id]) for i in items if i.id in may_act},
        resubmitted=again,
        opinions={i.id: said for i in items if i.id in may_act and "approve" in i.decisions
                  and not _collaborating(i) and (said := opinions(i, history, recorded, parts))},
        written_before={i.id: texts for i in items if i.id in may_act and (texts := written_before(i, history, parts))},
        own_submissions={i.id for i in items if "approve" in i.decisions and made.get(i.id)
                         and made[i.id][-1].action == "submit" and made[i.id][-1].actor_id == user.id},
        may_urge=bool(items) and task.state == "active" and user.has_role("coordinator"),
        may_withdraw=task.kind == "task" and task.parent_id is None and task.state == "active"
        and user.has_role("coordinator"),
        last_urged=urged, urged_today=urging.urged_today(urged), indicator=indicators.report_context(task, history))


def _creating(history: list[AuditEvent], item: WorkItem) -> list[AuditEvent]:
    """The completions of ``item``'s process up to the one that created it (the last), or none."""
    done = [e for e in history if e.work_item is not None and e.work_item.instance_id == item.instance_id
            and e.action in ("submit", "approve", "return")]  # (history has loaded each event's item)
    created = [at for at, e in enumerate(done) if item.step_name in (e.to_step or "").split(", ")]
    return done[:created[-1] + 1] if created else []


def case_files(item: WorkItem, files: list[Attachment], parts: _Parts, made: list[AuditEvent]) -> list[Attachment]:
    """The files ``item`` works on: the latest version of each file from each agency that filed it (each
    collaborator's opinion letter its own, not the latest of all of them); on a collaborator's own steps only its
    own files and the lead agency's draft — another collaborator's letter is not its head's to sign. A file filed
    with a return (an appraiser's "không đạt" report) is the return's: at hand for the item that return made
    (``made``: the completions up to the one that made it), never part of the file sent on since."""
    task = item.task
    collaborating = _collaborating(item)
    came_with = made[-1].work_item_id if made and made[-1].action == "return" else None
    latest: dict[tuple, Attachment] = {}
    for a in files:  # newest version first within a field (reads.attachments)
        if a.work_item is not None and a.work_item.decision == "return" and a.work_item_id != came_with:
            continue
        part = parts.of_file(a)
        if not collaborating or part == parts.of_item(item) or part[0] == task.lead_agency_id:
            latest.setdefault((a.field, part), a)
    return list(latest.values())


COLLABORATOR_ROLES = ("officer", "agency_head")  # the roles a collaborating agency's steps are held in


def _collaborating(item: WorkItem) -> bool:
    """A collaborating agency's own step (its opinion, its head's signature) — not that agency appraising or
    confirming the file in a role of its own."""
    task = item.task
    return item.role in COLLABORATOR_ROLES and item.agency_id != task.lead_agency_id and any(
        a.id == item.agency_id for a in task.collaborating_agencies)


def resubmission(item: WorkItem, made: list[AuditEvent], recorded: dict[int, list[reads.RecordedValue]],
                 parts: _Parts) -> Resubmission | None:
    """The return ``item``'s file came back after since it last passed ``item``'s step, from ``made`` (``_creating``),
    or None: it comes the first time, comes straight from a return (the banner says why) or was not returned."""
    mine = [e for e in made if _in_line(item, e, parts)]
    at = _last_return(item, mine)
    if at is None:
        return None
    before, since = mine[:at], mine[at + 1:]
    went_back = (mine[at].to_step or "").split(", ")
    answers = [e for e in since if e.from_step in went_back and _wrote(e, recorded)]

    def words(e: AuditEvent) -> tuple:
        return e.comment, [(v.label, v.value) for v in recorded.get(e.id, ()) if v.kind != "file"]

    # an answer that only sent again what that step wrote the time before (its form starts from it): said so
    unchanged = {e.id for e in answers if (last := next((b for b in reversed(before) if b.from_step == e.from_step
                                                         and b.action == e.action), None)) and words(last) == words(e)}
    return Resubmission(mine[at], answers, [v.value for e in since for v in recorded.get(e.id, ())
                                            if v.kind == "file"], unchanged)


def _last_return(item: WorkItem, made: list[AuditEvent]) -> int | None:
    """Where in ``made`` (completions of ``item``'s line of work up to the one that made it) is the last return
    since the file last passed ``item``'s step — a return at that very step included: the reviewer who returned it
    decides on it again —; None when the file comes the first time, straight from a return, or not returned."""
    if not made or made[-1].action == "return":
        return None
    passed = max((at for at, e in enumerate(made) if e.from_step == item.step_name), default=None)
    return None if passed is None else max(
        (at for at, e in enumerate(made) if at >= passed and e.action == "return"), default=None)


def _in_line(item: WorkItem, event: AuditEvent, parts: _Parts) -> bool:
    """``event`` is of ``item``'s line of work: not of a collaborating agency's own branch (its opinion, its head's
    signature or return), unless ``item`` is of that branch — one agency's return is not another's, nor the lead's."""
    branch = _branch(event, item.task, parts)
    return branch is None or branch == parts.of_item(item)


def _branch(event: AuditEvent, task: Task, parts: _Parts) -> tuple | None:
    """The collaborating agency's part whose own branch ``event`` is of (an opinion, its head's signature or
    return), or None: a step of the lead agency's, an appraisal, an approval."""
    lead = parts.successors.get(task.lead_agency_id, task.lead_agency_id)
    part = parts.of_event(event)
    own_step = event.work_item is not None and event.work_item.role in COLLABORATOR_ROLES
    return part if own_step and part[0] not in (None, lead) else None


def resubmitted_items(items: list[WorkItem], returned: dict[int, AuditEvent]) -> dict[int, AuditEvent]:
    """{item id: the return since} for the decisions among ``items`` (not ``returned``: made by a return) on a file
    sent again to their step after a return since it last passed there, as their task's page says it: the inbox
    marks them "Trình lại", with the reason. Three small reads: their processes' decisions, as plain rows (as
    objects, a page of files returned twenty times each read 2,000 of them: 300 ms); the agencies merged; the
    returns found."""
    deciding = [i for i in items if "approve" in i.decisions and i.id not in returned]
    if not deciding:
        return {}
    rows = reads.decisions_of({i.instance_id for i in deciding}, {i.step_name for i in deciding})
    done = [_Decision(row.id, row.action, row.from_step, row.to_step, _DecidedItem(
        row.instance_id, row.role, row.on_behalf_of, _Agency(row.agency_id, row.agency_name)
        if row.agency_id is not None else None)) for row in rows]
    parts = _Parts.of(deciding, done)
    of_instance: dict[int, list[_Decision]] = {}
    for e in done:
        of_instance.setdefault(e.work_item.instance_id, []).append(e)
    since = {}
    for item in deciding:
        mine = [e for e in _creating(of_instance.get(item.instance_id, []), item) if _in_line(item, e, parts)]
        if (at := _last_return(item, mine)) is not None:
            since[item.id] = mine[at].id
    events = {e.id: e for e in db.session.scalars(select(AuditEvent).where(AuditEvent.id.in_(set(since.values()))))} \
        if since else {}
    return {item_id: events[event_id] for item_id, event_id in since.items()}


@dataclass(frozen=True)
class _Agency:
    id: int
    name: str


@dataclass(frozen=True)
class _DecidedItem:
    instance_id: int
    role: str
    on_behalf_of: str | None
    agency: _Agency | None


@dataclass(frozen=True)
class _Decision:
    """A completion as the inbox's marks read it: what ``_creating``, ``_in_line`` and ``_last_return`` look at."""

    id: int
    action: str
    from_step: str | None
    to_step: str | None
    work_item: _DecidedItem

    @property
    def agency(self) -> _Agency | None:  # (a holder's action is of its item's agency: ``AuditEvent.agency``)
        return self.work_item.agency


def opinions(item: WorkItem, history: list[AuditEvent], recorded: dict[int, list[reads.RecordedValue]],
             parts: _Parts) -> list[Opinion]:
    """Each collaborating agency's latest opinion in ``item``'s process and who signed it: what a decision on the
    file weighs (a sign-off, an appraisal, an approval)."""
    latest: dict[tuple, Opinion] = {}
    for e in history:
        if e.work_item is None or e.work_item.instance_id != item.instance_id \
                or (part := _branch(e, item.task, parts)) is None:
            continue
        if e.action == "submit" and _wrote(e, recorded):
            latest[part] = Opinion(e, None)
        elif e.action == "approve" and part in latest:
            latest[part] = Opinion(latest[part].given, e)
    return list(latest.values())


def written_before(item: WorkItem, history: list[AuditEvent], parts: _Parts) -> dict[str, str]:
    """The texts its agency wrote at ``item``'s step the last time the file passed there (a returned opinion, a
    draft's note): the form starts from them instead of blank, to be corrected rather than typed again."""
    texts = {f["name"] for f in item.fields if f["type"] == "text"}
    last = next((e for e in reversed(history) if e.action == "submit" and e.work_item is not None
                 and e.work_item.instance_id == item.instance_id and e.work_item.step_id == item.step_id
                 and parts.of_event(e) == parts.of_item(item)), None)
    return {k: v for k, v in (last.data or {}).items() if k in texts and isinstance(v, str)} if last else {}


def handed_over(item: WorkItem, done: list[AuditEvent],
                recorded: dict[int, list[reads.RecordedValue]], parts: _Parts) -> list[AuditEvent]:
    """What the step before ``item`` wrote for it, to read before acting, from ``done`` (``_creating``): the
    completion that created it (a head's assignment with its internal deadline and instructions, a result reported
    with its decision's number) and, when that step ran once per collaborator, every opinion of that round — to
    the lead agency; a collaborator's head reads only his own agency's. A sign-off hands on what it signed
    (the opinions the collaborators' heads signed reach the lead). Only approvals (an appraisal passed: the approver
    reads it did) and completions that wrote more than files (the files are listed above the form). Nothing after a
    return: its own banner says why."""
    if not done or done[-1].action == "return":
        return []
    last = len(done) - 1
    first = last
    while first > 0 and done[first - 1].from_step == done[last].from_step and done[first - 1].action != "return":
        first -= 1
    run = done[first:last + 1]
    own = [e for e in run if parts.of_event(e) == parts.of_item(item)]
    shown: list[AuditEvent] = []
    for e in own or run:
        signed = _signed(done[:first], e, parts, shown)
        shown += [signed, e] if signed is not None else [e]
    return [e for e in dict.fromkeys(shown) if _wrote(e, recorded) or e.action == "approve"]


def _wrote(event: AuditEvent, recorded: dict[int, list[reads.RecordedValue]]) -> bool:
    return bool(event.comment) or any(v.kind != "file" for v in recorded.get(event.id, ()))


def _signed(before: list[AuditEvent], event: AuditEvent, parts: _Parts,
            taken: list[AuditEvent]) -> AuditEvent | None:
    """For an approval, the latest submission of its agency it may have approved, not ``taken`` by another (two
    collaborators merged into one sign two opinions); None for anything else."""
    if event.action != "approve":
        return None
    return next((e for e in reversed(before) if e.action == "submit" and e not in taken
                 and parts.of_event(e) == parts.of_event(event) and event.from_step in (e.to_step or "").split(", ")),
                None)


@dataclass(frozen=True)
class _Parts:
    """Whose part of the file an event, a file or an item is: the agency that carries it on (the one it was done
    for, or its successor after a merge) and, where one agency carries on the parts of several (collaborators merged
    into one hold a run each), the merged agency whose part it is (``WorkItem.on_behalf_of``)."""

    successors: dict[int, int]
    named: frozenset[str]  # the merged agencies whose part another carries on in this task

    @classmethod
    def of(cls, items: list[WorkItem], history: list[AuditEvent]) -> _Parts:
        named = {i.on_behalf_of for i in items} | {e.work_item.on_behalf_of for e in history if e.work_item}
        return cls(people.successors(), frozenset(named - {None}))

    def of_item(self, item: WorkItem) -> tuple:
        return item.agency_id, item.on_behalf_of

    def of_event(self, event: AuditEvent) -> tuple:
        return self._part(event.work_item, event.agency)

    def of_file(self, attachment: Attachment) -> tuple:
        """The part of the step that filed ``attachment`` (else of its uploader's agency)."""
        item = attachment.work_item
        return self._part(item, item.agency if item else attachment.uploaded_by.agency if attachment.uploaded_by
                          else None)

    def _part(self, item: WorkItem | None, agency: Agency | None) -> tuple:
        carried = self.successors.get(agency.id, agency.id) if agency is not None else None
        name = item.on_behalf_of if item is not None and item.on_behalf_of else agency.name if agency else None
        return carried, name if name in self.named else None


def actionable(user: User, items: list[WorkItem]) -> dict[int, list[User]]:
    """The items ``user`` may act on, each with the officers its "user" fields may name (for its form)."""
    return {i.id: reads.agency_officers(i.agency_id) if any(f["type"] == "user" for f in i.fields) else []
            for i in items if access.can_act(user, i)}


def _reassign_choices(user: User, item: WorkItem) -> list[User]:
    """Who the head may hand ``item`` to: not its holder, nor the head himself when he can just take it
    ("Nhận xử lý"), so his own sign-off step offers no pointless choice and the box disappears."""
    return [u for u in reads.agency_people(item.agency_id, item.role)
            if u.id != item.claimed_by_id and not (u.id == user.id and item.claimed_by_id is None)]
