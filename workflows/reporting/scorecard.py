"""Scorecards (thi đua): each unit judged, for a period, by the tasks it led whose deadline falls in the period —
the shares national monitoring rules and Vietnamese trackers use.

Definitions (written on the page too):
- *tasks due*: the tasks the unit leads (a member's share of a task owed by a group counts for that member) whose
  effective deadline falls in the period (an ongoing task's first milestone too: "Tháng 8/2025 - Thường xuyên");
- *done on time* / *done late*: finished on or before / after the deadline;
- *within deadline* (trong hạn): not finished, the deadline not passed yet;
- *overdue* (quá hạn): not finished, the deadline passed;
- *on-time rate*: done on time ÷ (done on time + done late + overdue) — the tasks whose deadline has come; a unit
  with none has no rate;
- *average days late*: over the tasks done late (days from the deadline to the day finished) and the overdue ones
  (days from the deadline to today);
- *returns per task*: the times a reviewer sent a file back, over the tasks due.

The ranking: the highest on-time rate first, then the fewest overdue, then the fewest days late; units without a
rate come last.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from models import Agency, AuditEvent, Task, db
from workflows import clock, settings
from workflows.tasks import scope, status
from workflows.text import sort_key


@dataclass
class ScoreRow:
    agency_id: int
    agency: str
    due: int = 0
    on_time: int = 0
    late: int = 0
    within: int = 0
    overdue: int = 0
    returns: int = 0
    days_late: int = 0  # summed over the tasks done late and the overdue ones
    rank: int | None = None

    @property
    def decided(self) -> int:
        return self.on_time + self.late + self.overdue

    @property
    def rate(self) -> float | None:
        """The on-time rate, 0–100, or None when no deadline has come."""
        return 100 * self.on_time / self.decided if self.decided else None

    @property
    def average_days_late(self) -> float:
        return self.days_late / (self.late + self.overdue) if self.late + self.overdue else 0.0

    @property
    def returns_per_task(self) -> float:
        return self.returns / self.due if self.due else 0.0


def scorecard(period_key: str, today: date | None = None, within: scope.Filters | None = None) -> list[ScoreRow]:
    """The units that led tasks due in the period (and, ``within`` a report's other filters, selected by them),
    ranked."""
    if scope.period_range(period_key) is None:
        return []
    today = today or clock.today()
    soon = settings.due_soon_days()
    f = dataclasses.replace(within or scope.Filters(), period=period_key)
    tasks = list(db.session.execute(
        select(Task.id, Task.kind, Task.lead_agency_id, Task.state, Task.due_date, Task.completed_on, Task.recurrence,
               Task.recurrence_starts, Task.done_at_issue)
        .where(scope.tasks_clause(f), Task.lead_agency_id.is_not(None))))
    returns = Counter(dict(db.session.execute(
        select(AuditEvent.task_id, func.count()).where(AuditEvent.action == "return",
                                                       AuditEvent.task_id.in_([t.id for t in tasks]))
        .group_by(AuditEvent.task_id)).all())) if tasks else Counter()
    names = dict(db.session.execute(select(Agency.id, Agency.name)).all())
    rows: dict[int, ScoreRow] = defaultdict(lambda: ScoreRow(0, ""))
    for t in tasks:
        state = status.compute(t, today, soon)
        row = rows[t.lead_agency_id]
        row.agency_id, row.agency = t.lead_agency_id, names.get(t.lead_agency_id, "")
        row.due += 1
        row.returns += returns.get(t.id, 0)
        if state == "done_on_time":
            row.on_time += 1
        elif state == "done_late":
            row.late += 1
            row.days_late += (t.completed_on - t.due_date).days
        elif state == "overdue":
            row.overdue += 1
            row.days_late += (today - t.due_date).days
        else:
            row.within += 1
    return rank(list(rows.values()))


def rank(rows: list[ScoreRow]) -> list[ScoreRow]:
    """Ranked as the module says; equal figures share a rank (1, 2, 2, 4)."""
    def key(r: ScoreRow) -> tuple:
        return (r.rate is None, -(r.rate or 0), r.overdue, r.average_days_late)

    ordered = sorted(rows, key=lambda r: (key(r), sort_key(r.agency)))  # equals in Vietnamese order
    for position, row in enumerate(ordered, start=1):
        previous = ordered[position - 2] if position > 1 else None
        if row.rate is not None:
            row.rank = previous.rank if previous is not None and key(previous) == key(row) else position
    return ordered
