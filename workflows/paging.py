"""One page of a long list: every list the product shows pages the same way."""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination

from models import db

MAX_PAGE = 100_000


def page_of(query, page: int, per_page: int, past_end_is_last: bool = True) -> Pagination:
    """Page ``page`` of ``query``. On a screen a page past the end is the last page (a link kept from a longer list,
    a removal that emptied the page), never an empty page that says the list has nothing in it; the API
    (``past_end_is_last`` False) answers it empty, so that a client paging until an empty page stops."""
    found = db.paginate(query, page=min(max(page, 1), MAX_PAGE), per_page=per_page, error_out=False, count=True)
    if past_end_is_last and not found.items and found.pages and page > found.pages:
        found = db.paginate(query, page=found.pages, per_page=per_page, error_out=False, count=True)
    return found
