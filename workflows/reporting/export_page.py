"""The “Xuất báo cáo” page as one read: the filters of its query string and what its three forms offer
(the register's filters, the report's periods, the review pack's week and form, and the signer and "Nơi nhận"
the user chose last time)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from models import User
from workflows.reporting import filters, period_report, signing
from workflows.tasks import scope


@dataclass
class ExportPage:
    filters: scope.Filters
    problems: list  # why parts of the query string were ignored
    today: date
    choices: dict  # what the filter form offers
    report_choices: list[tuple[int, list[scope.PeriodRange]]]
    report_period: str  # the period the report form has chosen
    week: str  # the day the review pack form shows, as typed
    saved: signing.ExportChoice  # the signer, "Nơi nhận" and Friday pack form chosen last time
    typed: dict[str, str] = field(default_factory=dict)  # the fields of the form sent back, as typed
    errors: dict[str, str] = field(default_factory=dict)  # per field, for the form that was sent
    sent: str | None = None  # which .docx form was sent back with errors: "report" or "week"

    def context(self) -> dict[str, Any]:
        """The page template's variables (the filter form's choices among them, by their own names)."""
        return {"filters": self.filters, "today": self.today, **self.choices, "report_choices": self.report_choices,
                "report_period": self.report_period, "week": self.week, "signing": self.saved.form_values(),
                "typed": self.typed, "errors": self.errors, "sent": self.sent,
                "signer_summary": self.saved.summary(), "recipient_count": len(self.saved.signer.recipients)}


def export_page(args: Mapping[str, str], today: date, user: User, sent: Mapping[str, str] | None = None,
                errors: Mapping[str, str] | None = None, which: str | None = None) -> ExportPage:
    """The page for the query string ``args``: the filters, ``report_period`` and ``week`` it keeps. ``sent`` is
    a .docx form sent back with ``errors`` (``which``: "report" or "week"): its fields are shown as typed."""
    f, problems = scope.parse(args)
    saved = signing.preference(user)
    typed = {**saved.form_values(), **{k: v for k, v in (sent or {}).items() if k != "csrf_token"}}
    return ExportPage(
        filters=f, problems=problems, today=today, choices=filters.filter_choices(f, today),
        report_choices=period_report.report_periods(today),
        report_period=(sent or {}).get("period") or args.get("report_period")
        or period_report.default_report_period(today),
        week=(sent or {}).get("week") or args.get("week") or today.strftime("%d/%m/%Y"),
        saved=saved, typed=typed, errors=dict(errors or {}), sent=which)
