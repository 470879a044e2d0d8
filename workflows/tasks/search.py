"""Diacritic-insensitive search over tasks: "so noi vu" finds "Sở Nội vụ".

Each task keeps ``search_text``: its code, title, section, lead (and the leads it had before a merge),
collaborating agencies, directive number, assigning document as written ("Kế hoạch số 266-KH/TU …") and the numbers
recorded at its steps ("15/2026/NQ-HĐND", ``Task.recorded_refs``), folded (no
accents, đ→d, lower case, single spaces: ``workflows.text.fold``). A ``before_flush`` hook (``listen``,
installed by ``create_app``) refreshes it whenever a task is added or changed, so every way of writing a
task (form, import, adjustment, API) keeps it true. A query is folded the same way and every word must appear, so it
runs as plain ``LIKE`` on SQLite and PostgreSQL alike; 10,000 tasks scan in a few milliseconds.
"""

from __future__ import annotations

import re

from sqlalchemy import and_, event, inspect, or_, select
from sqlalchemy.orm import Session

from models import Agency, Task, db
from workflows.text import fold

MAX_WORDS = 8
_EDGE_PUNCTUATION = ".,;:!?()[]{}\"'“”‘’«»…"
# A task's code as people type it ("NV00013", "nv 13"): the code the product writes ("nv-00013")
_CODE = re.compile(r"(?<!\S)nv[\s-]?0*([0-9]{1,9})(?!\S)")
# "Kế hoạch số 150/KH-UBND": the number is what a task keeps; the words before it are in few of its tasks' texts
_DOCUMENT_KIND = re.compile(r"(?<!\S)(?:(?:ke hoach|quyet dinh|cong van|chi thi|thong bao|nghi quyet|van ban|to trinh"
                            r"|bao cao)\s+)?(?:so\s+)?(?=[0-9]+[/-][0-9a-z])")


def task_text(task: Task, recorded_refs: str | None = None) -> str:
    """The task's search text; with ``recorded_refs`` in place of the task's own (a step about to write them)."""
    parts = [task.code, task.title, task.section, task.lead_agency.name if task.lead_agency else None,
             *(task.former_leads or ()), *(a.name for a in task.collaborating_agencies),
             *(task.former_collaborators or ()),
             *(task.central_agencies or ()),
             task.directive.number if task.directive else None, task.source_document,
             recorded_refs or task.recorded_refs]
    return fold(" | ".join(p for p in parts if p))


def words(query: str | None) -> list[str]:
    """The folded words of a query, at most ``MAX_WORDS`` (wildcards are escaped in ``clause``).

    Punctuation around a word ("vụ,", "“đề án”") is dropped; inside it ("775-cv/tu") it stays.
    """
    found = (w.strip(_EDGE_PUNCTUATION) for w in fold(query).split(" "))
    return list(dict.fromkeys(w for w in found if w))[:MAX_WORDS]


def clause(query: str | None):
    """A WHERE clause matching tasks containing every word of ``query``; None for an empty query. An agency's
    short name ("Sở GD&ĐT", "VP UBND tỉnh", as lists show them) finds its tasks by its name; a code typed without
    its dash, a document number after its kind ("Kế hoạch số 150/KH-UBND"), by what the task keeps."""
    folded = _DOCUMENT_KIND.sub("", _CODE.sub(lambda m: f"nv-{int(m[1]):05d}", fold(query)))
    named = []
    for short, name in _short_names():
        pattern = re.compile(rf"(?<!\S){re.escape(short)}(?!\S)")
        if pattern.search(folded):
            folded = pattern.sub(" ", folded)
            named.append(or_(Task.search_text.contains(name, autoescape=True),
                             Task.search_text.contains(short, autoescape=True)))
    found = words(folded)
    if not found and not named:
        return None
    return and_(*named, *(Task.search_text.contains(w, autoescape=True) for w in found))


def _short_names() -> list[tuple[str, str]]:
    """(short name, name) of every agency whose short name is not its name, folded, the longest first; and the
    short name without its "Sở " ("GD&ĐT") when it is still a word of some length."""
    pairs = {}
    for name, short in db.session.execute(select(Agency.name, Agency.short_name).where(Agency.short_name.is_not(None))):
        name, short = fold(name), fold(short)
        if short and short != name:
            pairs.setdefault(short, name)
            bare = short.removeprefix("so ")
            if bare != short and len(bare) >= 4:
                pairs.setdefault(bare, name)
    return sorted(pairs.items(), key=lambda p: -len(p[0]))


_SOURCES = ("code", "title", "section", "lead_agency_id", "lead_agency", "collaborating_agencies",
            "directive_id", "directive", "source_document", "recorded_refs", "central_agencies", "former_leads",
            "former_collaborators")


def _stale(task: Task) -> bool:
    state = inspect(task)
    return state.pending or any(state.attrs[name].history.has_changes() for name in _SOURCES)


def listen() -> None:
    """Keep every task's ``search_text`` true on every flush, whatever wrote the task (once per process)."""
    if not event.contains(Session, "before_flush", _refresh_search_text):
        event.listen(Session, "before_flush", _refresh_search_text)


def _refresh_search_text(session: Session, _context, _instances) -> None:
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Task) and _stale(obj):  # (most completed steps change none of these)
            obj.search_text = task_text(obj)
