"""“Báo cáo tình hình thực hiện nhiệm vụ” of one period (month, quarter, half-year, year): its figures, the
overdue tasks with their latest explanation, the lagging agencies, and the .docx the coordinating agency signs.

Every figure comes from ``progress``, so the report and the dashboard never disagree.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from models import Task, User, db
from workflows import clock, settings, text
from workflows.errors import Invalid
from workflows.reporting import filters, nd30, progress, scorecard
from workflows.reporting.charts import number_vn
from workflows.reporting.exporting import DOCX_MIME, ExportFile, dmy, ensure_reader, percent
from workflows.tasks import explanations, scope, status

# What explains an overdue task: the lead agency's latest explanation (workflows.tasks.explanations), never a
# return note, which a head writes to their own officer and which stays inside the agency.
NO_REASON = explanations.NO_EXPLANATION
LAGGING_LIMIT = 5  # agencies named in section IV (and any tied with the last)
GROUP_NAMES = 10  # the late members of a group's task named in its row of section III
AGENCY_WIDTHS = [11, 47, 17, 17, 17, 17, 17, 22]
OVERDUE_WIDTHS = [11, 49, 24, 23, 28, 30]
RANKING_WIDTHS = [13, 44, 17, 17, 17, 17, 17, 19, 21]


# ---------------------------------------------------------------- the figures

@dataclass
class Lagging:
    """An agency named in section IV: its overdue tasks of the period (of ``assigned`` due in it) and those carried
    over from earlier periods, still overdue."""

    agency: str
    overdue: int
    assigned: int
    carried: int

    @property
    def total(self) -> int:
        return self.overdue + self.carried


@dataclass
class OverdueRow:
    task: Task
    days: int  # days past the due date
    reason: str  # the explanation as the report quotes it, or NO_REASON
    expected_on: date | None = None  # the completion date the lead agency expects
    reason_at: datetime | None = None
    reason_by: str | None = None


@dataclass
class PeriodReport:
    period: scope.PeriodRange
    filters: scope.Filters
    today: date
    totals: dict[str, int]
    agencies: list
    overdue: list[OverdueRow]  # due in the period and overdue
    lagging: list[Lagging]
    # due before the period and still not done: a report that left them out would read "nothing overdue"
    earlier_overdue: list[OverdueRow] = dataclasses.field(default_factory=list)
    lagging_more: int = 0  # agencies with overdue tasks beyond those named in section IV
    ranking: list = dataclasses.field(default_factory=list)  # scorecard.ScoreRow: the units its tasks rank
    groups: list = dataclasses.field(default_factory=list)  # progress.GroupRow: tasks owed by a group, due in it
    # the ongoing tasks ("Thường xuyên") running today: no deadline puts them in a period, they are counted apart
    ongoing: int = 0

    @property
    def total(self) -> int:
        return sum(n for key, n in self.totals.items() if key != "ongoing")

    @property
    def done(self) -> int:
        return self.totals.get("done_on_time", 0) + self.totals.get("done_late", 0)

    @property
    def in_time(self) -> int:
        """Not done and not overdue (government reports: "chưa hoàn thành, trong hạn")."""
        return sum(self.totals.get(k, 0) for k in ("in_progress", "not_started", "due_soon"))

    @property
    def not_done(self) -> int:
        return self.in_time + self.totals.get("overdue", 0)

    @property
    def scope(self) -> list[str]:
        """The filters besides the period, in words."""
        return scope.describe(dataclasses.replace(self.filters, period=None))

    @property
    def filename(self) -> str:
        return f"Báo cáo tình hình thực hiện nhiệm vụ {self.period.label.replace('/', '-')}.docx"


def period_report(user: User, f: scope.Filters, today: date | None = None) -> PeriodReport:
    """Figures of one period (``f.period``), per agency, the overdue tasks with their explanation, the laggards."""
    ensure_reader(user)
    today = today or clock.today()
    period = scope.period_range(f.period)
    if period is None:
        raise Invalid("Vui lòng chọn kỳ báo cáo: tháng (2026-11), quý (2026-Q4), 6 tháng (2026-H1, 2026-H2) "
                      "hoặc năm (2026).", {"period": "Chưa chọn kỳ báo cáo."})
    totals = progress.status_totals(f, today=today)
    agencies = progress.agency_table(f, sort="overdue", descending=True, today=today)
    table = _with_ongoing(agencies, progress.agency_table(dataclasses.replace(f, period=None), today=today))
    # one read of every overdue task the other filters select, split by the period
    overdue = overdue_rows(dataclasses.replace(f, period=None), today)
    in_period = [row for row in overdue if period.start <= row.task.period_due <= period.end]
    earlier = [row for row in overdue if row.task.period_due < period.start]
    lagging, more = laggards(agencies, earlier)
    return PeriodReport(period, f, today, totals, table, in_period, lagging, earlier, more,
                        scorecard.scorecard(period.key, today, f), progress.group_table(f, today),
                        sum(r.ongoing for r in table))


def _with_ongoing(period_rows: list, every_row: list) -> list:
    """The agencies' rows of the period, each with its ongoing tasks of today (which no period holds: they read 0
    in every report), and a row for an agency with ongoing tasks only; by name."""
    ongoing = {r.agency: r for r in every_row if r.ongoing}
    rows = [dataclasses.replace(r, ongoing=ongoing[r.agency].ongoing if r.agency in ongoing else 0)
            for r in period_rows]
    named = {r.agency for r in rows}
    rows += [dataclasses.replace(r, **{k: 0 for k in (*status.STATUSES, "assigned") if k != "ongoing"})
             for name, r in ongoing.items() if name not in named]
    return sorted(rows, key=lambda r: text.sort_key(r.agency))


def laggards(agencies: list, earlier: list[OverdueRow]) -> tuple[list[Lagging], int]:
    """Section IV: the agencies with the most overdue tasks — those of the period and those carried over from
    earlier ones (a month whose own tasks are all on time still has its laggards) —; between equals, the larger
    share of the period's tasks, then by name. The first ``LAGGING_LIMIT`` and every one tied with the last;
    returns them and how many other agencies have overdue tasks."""
    carried = Counter(row.task.lead_agency.name for row in earlier if row.task.lead_agency is not None)
    period_rows = {r.agency: r for r in agencies}
    rows = [Lagging(name, period_rows[name].overdue if name in period_rows else 0,
                    period_rows[name].assigned if name in period_rows else 0, carried[name])
            for name in {*(r.agency for r in agencies if r.overdue), *carried}]
    rows.sort(key=lambda r: (-r.total, -(r.overdue / r.assigned if r.assigned else 0), text.sort_key(r.agency)))
    last = rows[min(LAGGING_LIMIT, len(rows)) - 1].total if rows else 0
    named = [r for r in rows if r.total >= last]
    if len(named) > 2 * LAGGING_LIMIT:  # a tie of many (160 communes, each late on its share of one group's task):
        named = [r for r in rows if r.total > last]  # those above it, the others counted (section III names them)
    return named, len(rows) - len(named)


def overdue_rows(f: scope.Filters, today: date) -> list[OverdueRow]:
    """The overdue tasks the filters select, longest overdue first, each with its latest explanation."""
    tasks = list(db.session.scalars(
        select(Task).where(scope.tasks_clause(f), status.clause("overdue", today, settings.due_soon_days()))
        .options(joinedload(Task.lead_agency), selectinload(Task.parent).selectinload(Task.group))
        .order_by(Task.due_date, Task.id)))
    reasons = latest_reasons([t.id for t in tasks])
    rows = []
    for task in tasks:
        found = reasons.get(task.id)
        row = OverdueRow(task, (today - task.due_date).days, explanations.quoted(found))
        if found is not None:
            row.expected_on, row.reason_at = found.expected_on, found.created_at
            row.reason_by = found.author.full_name if found.author else None
        rows.append(row)
    return rows


def latest_reasons(task_ids: Iterable[int]) -> dict:
    """The latest explanation of each task that has one (never a return note)."""
    return explanations.latest(task_ids)


# ---------------------------------------------------------------- the periods offered

def report_periods(today: date) -> list[tuple[int, list[scope.PeriodRange]]]:
    """The periods offered for the period report, by year (latest first): those that have begun.

    Last year is always offered (its yearly report is written in January).
    """
    years = sorted({*filters.period_years(today), today.year - 1}, reverse=True)
    return [(year, [p for p in scope.period_choices(year) if p.start <= today]) for year in years
            if year <= today.year]


def default_report_period(today: date) -> str:
    """This month: the monthly report is due on the 20th of the month it reports on (DOMAIN.md)."""
    return f"{today.year}-{today.month:02d}"


# ---------------------------------------------------------------- the .docx

def report_file(user: User, f: scope.Filters, signer: nd30.Signer | None = None, number: str = "") -> ExportFile:
    """The period report of ``f.period`` as a file to download, signed by ``signer`` (default: the settings')."""
    report = period_report(user, f)
    return ExportFile(period_report_docx(report, signer, number), report.filename, DOCX_MIME)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def period_report_docx(report: PeriodReport, signer: nd30.Signer | None = None, number: str = "") -> bytes:
    """"Báo cáo tình hình thực hiện nhiệm vụ" of one period, laid out per Nghị định 30/2020."""
    document = nd30.new_document()
    scope = "; ".join(report.scope)
    subtitle = f"Tình hình thực hiện nhiệm vụ {_lower_first(report.period.label)}"
    nd30.heading_block(document, "BÁO CÁO", subtitle, report.today, number=number)
    intro = (f"{settings.get('COORDINATING_AGENCY')} báo cáo tình hình thực hiện các nhiệm vụ có thời hạn "
             f"hoàn thành trong {_lower_first(report.period.label)} (từ ngày {dmy(report.period.start)} đến ngày "
             f"{dmy(report.period.end)}), số liệu tính đến ngày {dmy(report.today)}"
             + (f" ({scope})" if scope else "") + ", như sau:")
    nd30.para(document, intro)
    _figures(document, report)
    _agency_section(document, report)
    _ranking(document, report)
    _overdue_section(document, report)
    _lagging_section(document, report)
    nd30.signature(document, signer or nd30.configured_signer())
    return nd30.save(document)


def _figures(document, report: PeriodReport) -> None:
    t, total = report.totals, report.total
    nd30.section_title(document, "I. KẾT QUẢ THỰC HIỆN CHUNG")

    def n(key_or_value) -> str:
        value = t.get(key_or_value, 0) if isinstance(key_or_value, str) else key_or_value
        return f"{value} nhiệm vụ ({percent(value, total)})"

    nd30.para(document, f"Tổng số nhiệm vụ có thời hạn trong kỳ: {total} nhiệm vụ. Trong đó:")
    nd30.para(document, f"- Đã hoàn thành: {n(report.done)}, gồm: hoàn thành đúng hạn {n('done_on_time')}; "
                        f"hoàn thành quá hạn {n('done_late')}.")
    nd30.para(document, f"- Chưa hoàn thành: {n(report.not_done)}, gồm: trong hạn {n(report.in_time)} "
                        f"(đang thực hiện {t.get('in_progress', 0)}, chưa bắt đầu {t.get('not_started', 0)}, "
                        f"sắp đến hạn {t.get('due_soon', 0)}); quá hạn {n('overdue')}.")
    nd30.para(document, f"- Nhiệm vụ thường xuyên (không có thời hạn trong kỳ, không tính vào tổng số trên): "
                        f"{report.ongoing} nhiệm vụ đang thực hiện.")
    if report.groups:
        units = sum(g.total for g in report.groups)
        nd30.para(document, f"Số liệu tính theo đơn vị thực hiện: {len(report.groups)} nhiệm vụ giao cho nhóm đơn vị "
                            f"(như “UBND các xã, phường”) được tính cho từng đơn vị thành viên ({units} đơn vị), "
                            f"đã hoàn thành ở {sum(g.done for g in report.groups)} đơn vị.")
    if report.earlier_overdue:
        nd30.para(document, f"- Ngoài ra, còn {len(report.earlier_overdue)} nhiệm vụ có thời hạn trước kỳ này đã "
                            "quá hạn mà chưa hoàn thành (chi tiết tại mục III).")
    widths = [95, 35, 35]
    table = nd30.table(document, widths)
    align = [nd30.LEFT, nd30.CENTER, nd30.CENTER]
    nd30.row(table, ["Chỉ tiêu", "Số nhiệm vụ", "Tỷ lệ"], widths, header=True)
    nd30.row(table, ["Tổng số nhiệm vụ", total, "100%" if total else "0%"], widths, bold=True, align=align)
    for key in progress.STATUS_ORDER:
        label = {"in_progress": "Đang thực hiện trong hạn"}.get(key, status.STATUS_LABELS[key])
        if key == "ongoing":  # (running today, apart from the period's tasks: no share of their total)
            nd30.row(table, [f"{label} (ngoài tổng số)", report.ongoing, "—"], widths, align=align)
            continue
        nd30.row(table, [label, t.get(key, 0), percent(t.get(key, 0), total)], widths, align=align)
    nd30.para(document, after=0)


def _agency_header(table) -> None:
    """Two header rows: "Đã hoàn thành" and "Chưa hoàn thành" each over two columns, the others merged down."""
    widths = AGENCY_WIDTHS
    head = ["STT", "Đơn vị chủ trì", "Tổng số", "Đã hoàn thành", "", "Chưa hoàn thành", "", "Thường xuyên"]
    first = nd30.row(table, head, widths, header=True, size=11)
    second = nd30.row(table, ["", "", "", "Đúng hạn", "Quá hạn", "Trong hạn", "Quá hạn", ""], widths, header=True,
                      size=11)
    first.cells[3].merge(first.cells[4])
    first.cells[5].merge(first.cells[6])
    for i in (0, 1, 2, 7):
        first.cells[i].merge(second.cells[i])
    for cell in first.cells:  # the merges keep the empty paragraphs of the merged cells
        for extra in cell.paragraphs[1:]:
            if not extra.text:
                extra._p.getparent().remove(extra._p)


def _agency_section(document, report: PeriodReport) -> None:
    nd30.section_title(document, "II. TÌNH HÌNH THỰC HIỆN CỦA CÁC ĐƠN VỊ CHỦ TRÌ")
    if not report.agencies:
        nd30.para(document, "Không có nhiệm vụ nào trong kỳ báo cáo.")
        return
    widths = AGENCY_WIDTHS
    table = nd30.table(document, widths)
    _agency_header(table)
    align = [nd30.CENTER, nd30.LEFT] + [nd30.CENTER] * 6
    for number, row in enumerate(report.agencies, start=1):
        in_time = row.in_progress + row.not_started + row.due_soon
        values = [row.assigned, row.done_on_time, row.done_late, in_time, row.overdue, row.ongoing]
        nd30.row(table, [number, row.agency, *values], widths, align=align)
    t = report.totals
    totals = [report.total, t.get("done_on_time", 0), t.get("done_late", 0), report.in_time, t.get("overdue", 0),
              report.ongoing]
    nd30.row(table, ["", "Tổng cộng", *totals], widths, bold=True, align=align)
    nd30.para(document, "“Trong hạn” gồm các nhiệm vụ đang thực hiện, chưa bắt đầu và sắp đến hạn.", size=13,
              italic=True, indent=False, before=3)


def _ranking(document, report: PeriodReport) -> None:
    """The scorecards' ranking (the figures of "Xếp hạng đơn vị"), under the agencies' table."""
    ranked = [r for r in report.ranking if r.rank is not None]
    if not ranked:
        return
    nd30.para(document, "Xếp hạng các đơn vị theo tỷ lệ hoàn thành đúng hạn (đúng hạn ÷ số nhiệm vụ đã đến hạn "
                        "trong kỳ; các nhiệm vụ của báo cáo này có thời hạn trong kỳ, phần việc trong nhiệm vụ giao "
                        "cho nhóm tính cho từng đơn vị):", keep=True)
    widths = RANKING_WIDTHS
    table = nd30.table(document, widths)
    # the columns of "Xếp hạng đơn vị", so that a row adds up ("Trong hạn" left out read "Đến hạn 2" beside 0 + 1 + 0)
    nd30.row(table, ["Hạng", "Đơn vị", "Đến hạn trong kỳ", "Đúng hạn", "Hoàn thành quá hạn", "Trong hạn", "Quá hạn",
                     "Tỷ lệ đúng hạn", "Ngày trễ bình quân"], widths, header=True, size=11)
    align = [nd30.CENTER, nd30.LEFT] + [nd30.CENTER] * 7
    for row in ranked:
        nd30.row(table, [row.rank, row.agency, row.due, row.on_time, row.late, row.within, row.overdue,
                         number_vn(row.rate, 1) + "%", number_vn(row.average_days_late, 1)], widths, align=align,
                 size=11)
    nd30.para(document, after=0)


def _overdue_section(document, report: PeriodReport) -> None:
    nd30.section_title(document, "III. CÁC NHIỆM VỤ QUÁ HẠN")
    if not report.overdue and not report.earlier_overdue:
        nd30.para(document, "Không có nhiệm vụ quá hạn.")
        return
    if report.overdue:
        nd30.para(document, f"Có {len(report.overdue)} nhiệm vụ quá hạn chưa hoàn thành, cụ thể:", keep=True)
        _overdue_table(document, report.overdue)
    else:
        nd30.para(document, "Trong kỳ không có nhiệm vụ quá hạn.")
    if report.earlier_overdue:
        nd30.para(document, f"Các nhiệm vụ có thời hạn trước kỳ này vẫn quá hạn, chưa hoàn thành "
                            f"({len(report.earlier_overdue)} nhiệm vụ, tính đến ngày {dmy(report.today)}):",
                  keep=True)
        _overdue_table(document, report.earlier_overdue)


def by_group(rows: list[OverdueRow]) -> list[OverdueRow | list[OverdueRow]]:
    """The rows, with the overdue shares of one group's task together (a list, where its first share stands): 146
    communes late on one task filled five pages with one row each."""
    out: list = []
    at: dict[int, int] = {}
    for row in rows:
        parent = row.task.parent if row.task.parent_id is not None else None
        if parent is None or parent.group_id is None:
            out.append(row)
        elif parent.id in at:
            out[at[parent.id]].append(row)
        else:
            at[parent.id] = len(out)
            out.append([row])
    return [entry[0] if isinstance(entry, list) and len(entry) == 1 else entry for entry in out]


def _members(parent_ids: set[int]) -> dict[int, int]:
    """How many agencies owe each of these groups' tasks: one read for the table."""
    return dict(db.session.execute(select(Task.parent_id, func.count()).where(
        Task.parent_id.in_(parent_ids), Task.kind == "task").group_by(Task.parent_id)).all()) if parent_ids else {}


def _overdue_table(document, rows: list[OverdueRow]) -> None:
    widths = OVERDUE_WIDTHS
    table = nd30.table(document, widths)
    nd30.row(table, ["STT", "Nhiệm vụ", "Đơn vị chủ trì", "Thời hạn", "Bước hiện tại, nơi đang xử lý",
                     "Lý do, giải trình"], widths, header=True, size=11)
    center, left = nd30.CENTER, nd30.LEFT
    grouped = by_group(rows)
    members = _members({entry[0].task.parent_id for entry in grouped if isinstance(entry, list)})
    for number, row in enumerate(grouped, start=1):
        if isinstance(row, list):  # the shares of a group's task: one row naming every member late
            parent, explained = row[0].task.parent, sum(1 for r in row if r.reason != NO_REASON)
            names = "; ".join(r.task.lead_agency.name for r in row[:GROUP_NAMES])
            if len(row) > GROUP_NAMES:  # (a row never breaks across pages: the rest on the task's page)
                names += f" và {len(row) - GROUP_NAMES} đơn vị khác, xem trang nhiệm vụ {parent.code}"
            nd30.row(table, [number, f"{' '.join(parent.title.split())} ({parent.code}, giao cho nhóm)",
                             f"{parent.group.name}: {len(row)}/{members[parent.id]} đơn vị quá hạn ({names})",
                             f"{dmy(min(r.task.due_date for r in row))}\n(quá {max(r.days for r in row)} ngày)",
                             "Theo từng đơn vị (trang nhiệm vụ)",
                             f"{explained}/{len(row)} đơn vị đã giải trình" if explained else NO_REASON],
                     widths, align=[center, left, left, center, left, left], size=11)
            continue
        task = row.task
        where = task.current_step or ""
        if task.current_holder:
            where += f"\n({task.current_holder})"
        nd30.row(table, [number, f"{' '.join(task.title.split())} ({task.code})", task.lead_agency.name,
                         f"{dmy(task.due_date)}\n(quá {row.days} ngày)", where, row.reason],
                 widths, align=[center, left, left, center, left, left], size=11)
    nd30.para(document, after=0)


def _lagging_section(document, report: PeriodReport) -> None:
    nd30.section_title(document, "IV. CÁC ĐƠN VỊ CHẬM TIẾN ĐỘ")
    # the last lines stay on the page of the signature block, which never stands alone
    if not report.lagging and report.lagging_more:  # a tie of many at the top: counted, not named one by one
        late = Counter(r.task.lead_agency.name for r in (*report.overdue, *report.earlier_overdue)
                       if r.task.lead_agency is not None)
        most = max(late.values())
        tied = sum(1 for n in late.values() if n == most)
        fewer = f"; {len(late) - tied} đơn vị khác có ít hơn" if len(late) > tied else ""
        nd30.para(document, f"Có {tied} đơn vị cùng có {most} nhiệm vụ quá hạn, nhiều nhất trong kỳ{fewer} (danh "
                            "sách ở mục III).", keep=True)
        return
    if not report.lagging:
        nd30.para(document, "Trong kỳ không có đơn vị nào có nhiệm vụ quá hạn.", keep=True)
        return
    nd30.para(document, "Các đơn vị có nhiều nhiệm vụ quá hạn nhất, đề nghị khẩn trương hoàn thành:", keep=True)
    for number, row in enumerate(report.lagging, start=1):
        said = [f"{row.overdue} nhiệm vụ quá hạn trên tổng số {row.assigned} nhiệm vụ được giao "
                f"({percent(row.overdue, row.assigned)})"] if row.overdue else []
        if row.carried:
            said.append(f"{row.carried} nhiệm vụ quá hạn từ các kỳ trước")
        nd30.para(document, f"{number}. {row.agency}: {'; '.join(said)}.",
                  keep=number == len(report.lagging) and not report.lagging_more)
    if report.lagging_more:
        nd30.para(document, f"Ngoài ra, {report.lagging_more} đơn vị khác có nhiệm vụ quá hạn (mục III).", keep=True)
