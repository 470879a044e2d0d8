"""The “Xuất báo cáo” page as one read: the filters of its query string and what its three forms offer
(the register's filters, the report's periods, the review pack's week)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from workflows.reporting import filters, period_report
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

    def context(self) -> dict[str, Any]:
        """The page template's variables (the filter form's choices among them, by their own names)."""
        return {"filters": self.filters, "today": self.today, **self.choices, "report_choices": self.report_choices,
                "report_period": self.report_period, "week": self.week}


def export_page(args: Mapping[str, str], today: date) -> ExportPage:
    """The page for the query string ``args``: the filters, ``report_period`` and ``week`` it keeps."""
    f, problems = scope.parse(args)
    return ExportPage(
        filters=f, problems=problems, today=today, choices=filters.filter_choices(f, today),
        report_choices=period_report.report_periods(today),
        report_period=args.get("report_period") or period_report.default_report_period(today),
        week=args.get("week") or today.strftime("%d/%m/%Y"))
