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

from sqlalchemy import and_, event, inspect
from sqlalchemy.orm import Session

from models import Task
from workflows.text import fold

MAX_WORDS = 8
_EDGE_PUNCTUATION = ".,;:!?()[]{}\"'“”‘’«»…"


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
    """A WHERE clause matching tasks containing every word of ``query``; None for an empty query."""
    found = words(query)
    if not found:
        return None
    return and_(*(Task.search_text.contains(w, autoescape=True) for w in found))


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
