"""The agency names no import could match, kept once for every document until a coordinator settles them — an
alias of an agency, a collective name, or not an agency at all — and the aliases made so, each with who made it
and from which document, which an administrator lists and removes.

A suggestion comes ready to accept only when the matcher found it of the same level of body and very close in
the rest of the name (``Match.preselect``); otherwise the coordinator chooses among the agencies, "tên chung" and
"không phải đơn vị", with nothing chosen for them. An alias of another level of body ("Đảng ủy UBND tỉnh" as
"UBND tỉnh") is refused: it would resolve every later document wrongly.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import or_, select

from models import Agency, AgencyAlias, AgencyReview, ImportBatch, User, db
from workflows import audit, clock
from workflows.errors import Invalid, NotAllowed, NotFound
from workflows.importing.agency_match import level_conflict
from workflows.paging import page_of
from workflows.text import fold_words
from workflows.tx import transaction

DECISIONS = ("agency", "group", "ignored")
ALIASES_PER_PAGE = 50


@dataclass(frozen=True)
class ReviewItem:
    """One name to settle on a preview, with what the matcher suggests and whether it may be pre-selected."""

    id: int
    text: str
    suggestion: str | None  # the closest registry name, a hint
    preselect: bool  # same level of body and very close: offered ready to accept


def review_pieces(report: dict) -> list[dict]:
    """The names a report could not match to an agency, as written."""
    pieces = [r for a in report["appendices"] for row in a["rows"] for r in row["reviews"]]
    return pieces + [r for a in report["indicators"] for row in a["rows"] for r in row["reviews"]]


def record_reviews(report: dict, batch: ImportBatch) -> None:
    """Add the report's unmatched names that the list does not hold yet (flushes; the caller commits)."""
    for piece in review_pieces(report):
        norm = fold_words(piece["text"])[:500]
        if db.session.scalar(select(AgencyReview.id).where(AgencyReview.normalized == norm)) is None:
            db.session.add(AgencyReview(text=piece["text"][:500], normalized=norm, suggestion=piece.get("suggestion"),
                                        seen_in_batch_id=batch.id))
            db.session.flush()


def open_reviews(report: dict) -> list[ReviewItem]:
    """The names still to settle that this report contains (another document's wait on its own preview), with
    the report's own suggestion for each."""
    pieces = {fold_words(piece["text"])[:500]: piece for piece in review_pieces(report)}
    if not pieces:
        return []
    rows = db.session.scalars(select(AgencyReview).where(
        AgencyReview.status == "open", AgencyReview.normalized.in_(pieces)).order_by(AgencyReview.id))
    return [ReviewItem(r.id, r.text, pieces[r.normalized].get("suggestion"),
                       bool(pieces[r.normalized].get("preselect") and pieces[r.normalized].get("suggestion")))
            for r in rows]


def settle(user: User, review_id: int, agency_id: int | None, decision: str | None,
           batch: ImportBatch) -> AgencyReview:
    """Record a coordinator's answer for one name, seen on ``batch``'s preview; an alias is recorded with who made
    it and from which document (flushes; the caller commits)."""
    review = db.session.get(AgencyReview, review_id)
    if review is None:
        raise NotFound("Không tìm thấy tên đơn vị cần xem xét.")
    if decision not in DECISIONS:
        raise Invalid("Vui lòng chọn một câu trả lời: một đơn vị trong danh mục, tên chung, hoặc không phải tên "
                      "đơn vị.")
    review.resolved_by_id, review.resolved_at = user.id, clock.now()
    if decision != "agency":
        review.status = decision
        return review
    agency = db.session.get(Agency, agency_id or 0)
    if agency is None:
        raise Invalid("Vui lòng chọn đơn vị trong danh mục.")
    _add_alias(user, review, agency, batch)
    review.status, review.agency_id = "mapped", agency.id
    return review


def _add_alias(user: User, review: AgencyReview, agency: Agency, batch: ImportBatch) -> None:
    conflict = level_conflict(review.text, agency.name)
    if conflict is not None:
        raise Invalid("“%(text)s” và “%(agency)s” là hai cơ quan khác nhau (%(mine)s ≠ %(theirs)s): không ghi thành "
                      "tên gọi khác. Nếu cơ quan này chưa có trong danh mục, hãy chọn “Không phải tên đơn vị” hoặc "
                      "đề nghị quản trị bổ sung đơn vị.", text=review.text, agency=agency.name, mine=conflict[0],
                      theirs=conflict[1])
    norm = fold_words(review.text)[:500]
    existing = db.session.scalar(select(AgencyAlias).where(AgencyAlias.normalized == norm))
    if existing is not None and existing.agency_id != agency.id:
        raise Invalid("“%(text)s” đã là tên gọi khác của “%(agency)s”.", text=review.text, agency=existing.agency.name)
    if existing is None:
        db.session.add(AgencyAlias(agency_id=agency.id, text=review.text, normalized=norm, created_by_id=user.id,
                                   created_at=clock.now(), batch_id=batch.id,
                                   document=(batch.directive_number or batch.filename or "")[:255] or None))
        db.session.flush()


# ---------------------------------------------------------------- administration

def _require_admin(user: User) -> None:
    if not user.has_role("admin"):
        raise NotAllowed("Chỉ quản trị hệ thống được quản lý tên gọi khác của đơn vị.")


def alias_page(user: User, query: str | None = None, page: int = 1,
               per_page: int = ALIASES_PER_PAGE) -> Pagination:
    """The aliases people made, newest first; ``query`` finds words of the alias or of its agency's name
    (accents and case ignored)."""
    _require_admin(user)
    wanted = fold_words(query or "")
    rows = select(AgencyAlias).order_by(AgencyAlias.created_at.desc(), AgencyAlias.id.desc())
    if wanted:
        agencies = [a.id for a in db.session.scalars(select(Agency)) if wanted in fold_words(a.name)]
        rows = rows.where(or_(AgencyAlias.normalized.contains(wanted, autoescape=True),
                              AgencyAlias.agency_id.in_(agencies)))
    return page_of(rows, page, per_page)


def remove_alias(user: User, alias_id: int) -> tuple[str, str]:
    """Remove an alias an import's review list made: later imports ask about the name again; tasks already
    imported keep their agencies. One transaction, with an audit event; returns the name and its agency's."""
    _require_admin(user)
    with transaction():
        alias = db.session.get(AgencyAlias, alias_id)
        if alias is None:
            raise NotFound("Không tìm thấy tên gọi khác này (có thể đã được xóa).")
        audit.record("alias_remove", user, comment=f"Xóa tên gọi khác “{alias.text}” của {alias.agency.name}.",
                     data={"alias": alias.text, "agency_id": alias.agency_id, "agency": alias.agency.name,
                           "created_by_id": alias.created_by_id, "batch_id": alias.batch_id,
                           "document": alias.document})
        review = db.session.scalar(select(AgencyReview).where(AgencyReview.normalized == alias.normalized))
        if review is not None:  # asked again on the next preview that holds it
            review.status, review.agency_id, review.resolved_by_id, review.resolved_at = "open", None, None, None
        removed = alias.text, alias.agency.name
        db.session.delete(alias)
    return removed
