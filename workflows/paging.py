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
        last = db.paginate(query, page=found.pages, per_page=per_page, error_out=False, count=False)
        last.total = found.total  # (counted once)
        return last
    return found


class _ListPagination(Pagination):
    """A page of a list already in memory (sorted in Python: Vietnamese order)."""

    def _query_items(self) -> list:
        return self._query_args["items"][self._query_offset:self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["items"])


def page_of_list(items: list, page: int, per_page: int) -> Pagination:
    """Page ``page`` of ``items``; a page past the end is the last page, as on every screen."""
    pages = max(1, -(-len(items) // per_page))
    return _ListPagination(page=min(max(page, 1), pages), per_page=per_page, max_per_page=None, error_out=False,
                           items=items)
