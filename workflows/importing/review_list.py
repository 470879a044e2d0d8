"""The agency names no import could match, kept once for every document until a coordinator settles them:
an alias of an agency, a collective name, or not an agency at all."""

from __future__ import annotations

from sqlalchemy import select

from models import Agency, AgencyReview, ImportBatch, User, db
from workflows import clock
from workflows.errors import Invalid, NotFound
from workflows.text import fold_words


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


def settle(user: User, review_id: int, agency_id: int | None, decision: str) -> AgencyReview:
    """Record a coordinator's answer for one name; an alias is added to its agency (the caller commits)."""
    review = db.session.get(AgencyReview, review_id)
    if review is None:
        raise NotFound("Không tìm thấy tên đơn vị cần xem xét.")
    review.resolved_by_id, review.resolved_at = user.id, clock.now()
    if decision in ("group", "ignored"):
        review.status = decision
    else:
        agency = db.session.get(Agency, agency_id or 0)
        if agency is None:
            raise Invalid("Vui lòng chọn đơn vị trong danh mục.")
        agency.aliases = list(dict.fromkeys([*(agency.aliases or []), review.text]))
        review.status, review.agency_id = "mapped", agency.id
    return review


def open_reviews(report: dict) -> list[AgencyReview]:
    """The names still to settle that this report contains (another document's wait on its own preview)."""
    names = {fold_words(piece["text"])[:500] for piece in review_pieces(report)}
    if not names:
        return []
    return list(db.session.scalars(select(AgencyReview).where(
        AgencyReview.status == "open", AgencyReview.normalized.in_(names)).order_by(AgencyReview.id)))
