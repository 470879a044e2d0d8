"""The rows a step writes, written at once by one Core statement each, without the ORM's unit of work.

A completion writes a handful of rows: the work item closed, the instance's state, the new work items, the
task's cached columns, the notifications, the audit event. Through the unit of work each costs three to five
times the same Core statement (``bench/cycle_bench.py``), more than the engine's own step. So the hot path
writes here, and the ORM objects are left as the database now has them — persistent and clean — so that the
pages and the rules after the write read them as usual and the action's commit has nothing left to flush.

What the ORM's flush hooks derive is not derived for these writes: a write of a column the task's search text is
made of (``workflows.tasks.search``) writes the search text it changes with it.

Writes go through the session's connection, inside the use case's transaction: a rollback undoes them, and
expires every object of the session, so an object updated here never keeps a value the database lost.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from sqlalchemy import Insert, Update, bindparam, insert, inspect, update
from sqlalchemy.orm import Mapper, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from models import db

T = TypeVar("T")


def update_row(obj: Any, *, expect_version: int | None = None, **values: Any) -> None:
    """UPDATE the row of ``obj`` (persistent) with ``values`` (by attribute name; a many-to-one relationship
    writes its foreign key), and set them on ``obj`` as loaded. With ``expect_version`` the row is versioned
    (``version_id_col``): the UPDATE bumps the version and must find the row still at ``expect_version``, else
    StaleDataError — the lost race the unit of work reports the same way."""
    state = inspect(obj)
    mapper = state.mapper
    loaded = dict(values)
    params = {}
    for key, value in values.items():
        if key in mapper.relationships:
            for local, remote in mapper.relationships[key].local_remote_pairs:
                remote_key = None if value is None else inspect(value).mapper.get_property_by_column(remote).key
                params[local.key] = loaded[mapper.get_property_by_column(local).key] = (
                    None if value is None else getattr(value, remote_key))
        else:
            params[mapper.attrs[key].columns[0].key] = value
    if expect_version is not None:
        version = mapper.version_id_col
        params[version.key] = loaded[mapper.get_property_by_column(version).key] = expect_version + 1
        params["_expected_version"] = expect_version
    params["_key"] = state.identity[0]
    result = db.session.connection().execute(_update_statement(mapper, tuple(params)), params)
    if expect_version is not None and result.rowcount != 1:
        raise StaleDataError(f"{mapper.local_table.name} {state.identity} was saved meanwhile "
                             f"(expected version {expect_version})")
    for key, value in loaded.items():
        set_committed_value(obj, key, value)


@functools.cache
def _update_statement(mapper: Mapper, names: tuple[str, ...]) -> Update:
    """The UPDATE of ``names`` (column keys; ``_key`` the primary key, ``_expected_version`` the version it
    must have), built once: building a statement costs more than running it."""
    table = mapper.local_table
    statement = update(table).where(mapper.primary_key[0] == bindparam("_key"))
    if "_expected_version" in names:
        statement = statement.where(mapper.version_id_col == bindparam("_expected_version"))
    return statement.values({name: bindparam(name) for name in names if not name.startswith("_")})


def insert_rows(model: type[T], rows: list[dict[str, Any]], related: list[dict[str, Any]], distinct: str) -> list[T]:
    """INSERT ``rows`` (every column but the key, by attribute name) in one statement; the new objects, persistent
    in the session with their ids, and with ``related`` objects (per row: relationship name → object) set as
    loaded. ``distinct`` names an attribute whose value differs from row to row: it tells which new id is whose
    (a database need not return a multi-row INSERT's rows in order, and asking it to costs one INSERT a row)."""
    if not rows:
        return []
    mapper = inspect(model)
    names = _column_keys(mapper)
    key = mapper.get_property_by_column(mapper.primary_key[0]).key
    missing = set(names) - {key} - set(rows[0])
    if missing:  # (an attribute left out would be read back by a SELECT the first time it is used)
        raise ValueError(f"{mapper.local_table.name} rows lack {sorted(missing)}")
    if len({row[distinct] for row in rows}) != len(rows):
        raise ValueError(f"{mapper.local_table.name} rows share a {distinct}")
    new_ids = dict((value, new_id) for new_id, value in db.session.connection().execute(
        _insert_statement(mapper, names[distinct]), [{names[k]: v for k, v in row.items()} for row in rows]))
    return [attach(model, {**row, key: new_ids[row[distinct]]}, links)
            for row, links in zip(rows, related, strict=True)]


def attach(model: type[T], values: dict[str, Any], related: dict[str, Any] | None = None) -> T:
    """The object of a row just written (``values``: every column, by attribute name), persistent and clean in the
    session, with ``related`` objects (relationship name → object) set as loaded."""
    obj = model(**values)
    make_transient_to_detached(obj)
    stale = db.session.identity_map.get(inspect(obj).key)
    if stale is not None:  # the object of a row deleted meanwhile, whose id SQLite gives again
        db.session.expunge(stale)
    db.session.add(obj)
    for name, value in (related or {}).items():
        set_committed_value(obj, name, value)
    return obj


def insert_plain(model: type, rows: list[dict[str, Any]]) -> None:
    """INSERT ``rows`` (by attribute name) in one statement, for rows nobody reads back in this action."""
    if rows:
        mapper = inspect(model)
        names = _column_keys(mapper)
        db.session.connection().execute(_insert_statement(mapper),
                                        [{names[k]: v for k, v in row.items()} for row in rows])


@functools.cache
def _column_keys(mapper: Mapper) -> dict[str, str]:
    return {prop.key: prop.columns[0].key for prop in mapper.column_attrs}


@functools.cache
def _insert_statement(mapper: Mapper, returning: str | None = None) -> Insert:
    """The INSERT of ``mapper``'s table, returning the key and the column ``returning`` if named."""
    table = mapper.local_table
    return insert(table).returning(mapper.primary_key[0], table.c[returning]) if returning else insert(table)
