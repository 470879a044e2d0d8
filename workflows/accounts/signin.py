"""Password sign-in (the web form and the API token alike), slowed down rather than locked.

Nobody is locked out everywhere. Wrong passwords are counted in buckets of three kinds, in the table
``login_throttle`` that every worker sees; a bucket past its threshold refuses the next attempts until a delay
that doubles with every further wrong password: ``LOGIN_DELAY_SECONDS`` (30 s), 60 s, 2 min, … at most
``LOGIN_MAX_DELAY_MINUTES`` (60).

* **A name from one address** (``LOGIN_MAX_FAILURES``, 5 in 24 h): someone guessing one person's password. Once
  the delay has passed, a right password from that address signs in and clears the count; other addresses are
  not touched, so the person signs in at the office while someone guesses from elsewhere.
* **An address, whatever the names** (``LOGIN_ADDRESS_MAX_FAILURES``, 50 in an hour): one password tried on many
  names. High, because a whole province's officials may come through one NAT address.
* **A name from many addresses** (``LOGIN_ACCOUNT_MAX_FAILURES``, 20 in 24 h): guessing spread over many
  machines. Only the wrong passwords of addresses still under their own threshold count here, so one or two
  addresses never reach it; and it refuses only addresses where that name has not signed in within
  ``LOGIN_KNOWN_ADDRESS_DAYS`` (30), so the person's usual office stays open.

A refused attempt checks no password and counts nothing, nor does one with an empty name or password. A name is
counted whether or not an account has it (an inactive account counts as unknown), so every answer is the same for
a real and an unknown name — but the right password of a closed account, which only its owner knows, is told that
the account was closed (not that the password is wrong: they would try it again and again). Accepted: someone
holding a leaked password of a closed account learns that it was right (the API still answers 401). Rows expire (their
window, their delay, a known address) and at most ``LOGIN_THROTTLE_MAX_ROWS`` are kept, the nearest to expiry going
first: names made up by the million cannot fill the database.

A successful sign-in upgrades a password hash made with an older scheme (e.g. pbkdf2) to ``PASSWORD_HASH_METHOD``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from werkzeug.security import check_password_hash, generate_password_hash

from models import User, db
from models.people import LoginThrottle
from workflows import clock, settings
from workflows.errors import N_, DomainError
from workflows.tx import transaction

WRONG = N_("Tên đăng nhập hoặc mật khẩu không đúng.")
CLOSED = N_("Tài khoản này đã ngừng hoạt động (nghỉ việc, chuyển công tác hoặc được thay bằng tài khoản khác). "
            "Nếu bạn vẫn cần sử dụng hệ thống, hãy liên hệ quản trị viên hoặc lãnh đạo đơn vị.")
SLOWED = N_("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(time)s.")

PAIR, ADDRESS, ACCOUNT = "pair", "address", "account"
# Each kind of bucket: the setting naming how many wrong passwords it takes before the delays start, and how long
# a count lasts. An hour for an address: a busy NAT's typos of a whole day must not add up to a delay.
RULES = {PAIR: ("LOGIN_MAX_FAILURES", timedelta(hours=24)),
         ADDRESS: ("LOGIN_ADDRESS_MAX_FAILURES", timedelta(hours=1)),
         ACCOUNT: ("LOGIN_ACCOUNT_MAX_FAILURES", timedelta(hours=24))}

_dummy_hashes: dict[str, str] = {}
# A temporary password is 12 characters drawn at random from 31 (59 bits), to be replaced at the first sign-in:
# the cost factor that protects a password a person chooses adds nothing to it, and at the full cost (0.13 s each)
# importing a province's 489 officers took 58-66 s, past the server's 60 s request limit. A sixteenth of it.
TEMPORARY_HASH_METHOD = "scrypt:2048:8:1"
_request_address: ContextVar[str | None] = ContextVar("signin_request_address", default=None)


class SlowDown(DomainError):
    """Refused until a delay has passed (the API answers 429 with the message and ``retry_after`` seconds)."""

    status = 429

    def __init__(self, message: str, retry_after: int | None = None, **params):
        super().__init__(message, **params)
        self.retry_after = retry_after


def seconds_until(moment: datetime) -> int:
    """Whole seconds from now until ``moment`` (naive UTC), at least one: a Retry-After header's value."""
    return max(1, math.ceil((moment - clock.now()).total_seconds()))


@dataclass
class Attempt:
    user: User | None
    message: str | None = None  # why it failed, in Vietnamese
    msgid: str | None = None  # the message before its parameters are filled in (translated by the views)
    params: dict | None = None
    slowed_until: datetime | None = None  # refused, or this wrong password started a delay: until then


def note_request_address(address: str | None) -> None:
    """The client's address for the sign-ins of the current request (views/auth.py sets it before each request;
    the API's token view calls ``people.authenticate`` without an address)."""
    _request_address.set(address)


def request_address() -> str | None:
    return _request_address.get()


def _name(username: str | None) -> str:
    return (username or "").strip().casefold()


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def client_key(address: str | None) -> str:
    """Who a client address stands for: the address itself, or for IPv6 its /64, which one home or one machine
    holds whole (counting single IPv6 addresses would hand a guesser billions of fresh budgets)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or ""
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def name_key(username: str | None) -> str:
    """A fixed-length key for a typed name (the per-name rate limit's key too): never the name itself."""
    return _digest(ACCOUNT, _name(username))


def _buckets(username: str | None, address: str | None) -> dict[str, str]:
    buckets = {ACCOUNT: name_key(username)}
    if address:  # none outside a request (a script): the name alone is counted
        client = client_key(address)
        buckets[PAIR] = _digest(PAIR, _name(username), client)
        buckets[ADDRESS] = _digest(ADDRESS, client)
    return buckets


def _known(pair: LoginThrottle | None, now: datetime) -> bool:
    days = settings.get("LOGIN_KNOWN_ADDRESS_DAYS")
    return pair is not None and pair.succeeded_at is not None and pair.succeeded_at > now - timedelta(days=days)


def known_address(username: str | None, address: str | None) -> bool:
    """Whether ``username`` signed in from ``address`` within LOGIN_KNOWN_ADDRESS_DAYS: the per-name limits,
    which someone elsewhere can run up, spare such an address."""
    if not address:
        return False
    return _known(db.session.get(LoginThrottle, _buckets(username, address)[PAIR]), clock.now())


def attempt(username: str, password: str, address: str | None = None) -> Attempt:
    """Check a username and password sent from ``address``: refused while a delay runs, else checked and
    counted (a wrong one in every bucket, a right one clears its name-and-address count)."""
    if not (username or "").strip() or not password:
        return Attempt(None, WRONG)  # no account has an empty name or password: nothing to check or count
    now = clock.now()
    buckets = _buckets(username, address)
    rows = {row.bucket: row for row in db.session.scalars(
        select(LoginThrottle).where(LoginThrottle.bucket.in_(list(buckets.values()))))}
    until = _running_delay(rows, buckets, now)
    if until is not None:
        return _slowed(until)
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    with transaction():
        if user is None:
            _burn_time(password)
            _burn_time(password, TEMPORARY_HASH_METHOD)
            return _failed(buckets, now)
        if not _checked(user, password):  # (a closed account's wrong password: as an unknown name's)
            return _failed(buckets, now)
        if not user.active:  # its right password: only its owner learns that it was closed
            return Attempt(None, CLOSED)
        _succeeded(buckets, now)
        method = settings.get("PASSWORD_HASH_METHOD")
        if _scheme(user.password_hash) != _scheme(method):
            user.set_password(password, method)
    return Attempt(user)


def _running_delay(rows: dict[str, LoginThrottle], buckets: dict[str, str], now: datetime) -> datetime | None:
    """The latest end of a delay that applies to this attempt, if one is still running."""
    known = _known(rows.get(buckets.get(PAIR, "")), now)
    ends = [row.blocked_until for kind, bucket in buckets.items()
            if (row := rows.get(bucket)) is not None and row.blocked_until is not None and row.blocked_until > now
            and not (kind == ACCOUNT and known)]
    return max(ends, default=None)


def _slowed(until: datetime) -> Attempt:
    params = {"time": f"{clock.to_local(until):%H:%M:%S}"}
    return Attempt(None, SLOWED % params, SLOWED, params, slowed_until=until)


def _failed(buckets: dict[str, str], now: datetime) -> Attempt:
    """Count one wrong password in the buckets of this attempt; the answer says until when, if it starts a delay."""
    rows = _locked_rows(buckets, now)
    pair = rows.get(buckets.get(PAIR, ""))
    # An address past its own threshold is slowed there already; counting it against the name everywhere would
    # let one address slow the person's other addresses.
    spread = pair is None or _count_now(pair, PAIR, now) < settings.get(RULES[PAIR][0])
    for kind, bucket in buckets.items():
        if kind != ACCOUNT or spread:
            _count_failure(rows[bucket], kind, now)
    until = _running_delay(rows, buckets, now)
    return _slowed(until) if until is not None else Attempt(None, WRONG)


def _succeeded(buckets: dict[str, str], now: datetime) -> None:
    """A right password clears its name-and-address count and marks the address as known for the name. The
    address and name-wide counts stay: one valid account must not wipe out the trace of guessing."""
    if PAIR not in buckets:
        return
    pair = _locked_rows({PAIR: buckets[PAIR]}, now)[buckets[PAIR]]
    pair.failures, pair.window_start, pair.blocked_until, pair.succeeded_at = 0, now, None, now
    pair.expires_at = _expiry(pair, PAIR)


def _count_now(row: LoginThrottle, kind: str, now: datetime) -> int:
    return 0 if now - row.window_start >= RULES[kind][1] else row.failures


def _count_failure(row: LoginThrottle, kind: str, now: datetime) -> None:
    threshold, window = RULES[kind]
    if now - row.window_start >= window:
        row.failures, row.window_start = 0, now
    row.failures += 1
    over = row.failures - settings.get(threshold)
    if over >= 0:  # the threshold reached: a delay, doubled for each wrong password past it
        row.blocked_until = now + _delay(over)
    row.expires_at = _expiry(row, kind)


def _delay(over: int) -> timedelta:
    seconds = settings.get("LOGIN_DELAY_SECONDS") * 2 ** min(over, 30)
    return timedelta(seconds=min(seconds, settings.get("LOGIN_MAX_DELAY_MINUTES") * 60))


def _expiry(row: LoginThrottle, kind: str) -> datetime:
    """When the row means nothing any more: its count's window over, its delay past, its address no longer known."""
    moments = [row.window_start + RULES[kind][1], row.blocked_until]
    if row.succeeded_at is not None:
        moments.append(row.succeeded_at + timedelta(days=settings.get("LOGIN_KNOWN_ADDRESS_DAYS")))
    return max(m for m in moments if m is not None)


def _locked_rows(buckets: dict[str, str], now: datetime) -> dict[str, LoginThrottle]:
    """The buckets' rows, created if missing, locked for this transaction (PostgreSQL; SQLite has one writer)."""
    created = sum(_insert_if_absent(bucket, now) for bucket in buckets.values())
    if created:
        _prune(now, keep=buckets.values())
    rows = db.session.scalars(select(LoginThrottle).where(LoginThrottle.bucket.in_(list(buckets.values())))
                              .order_by(LoginThrottle.bucket).with_for_update()
                              .execution_options(populate_existing=True))
    return {row.bucket: row for row in rows}


def _insert_if_absent(bucket: str, now: datetime) -> bool:
    """Two workers may count the same new bucket at once: the second insert does nothing, both then lock it."""
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(LoginThrottle.__table__).values(
        bucket=bucket, failures=0, window_start=now, expires_at=now).on_conflict_do_nothing(index_elements=["bucket"])
    # (the row it returns says it was inserted: psycopg reports no rowcount for this statement)
    return db.session.execute(statement.returning(LoginThrottle.__table__.c.bucket)).first() is not None


def _prune(now: datetime, keep: Iterable[str]) -> None:
    """Delete expired rows, then the nearest to expiry beyond LOGIN_THROTTLE_MAX_ROWS (never this attempt's)."""
    keep = list(keep)
    table = LoginThrottle.__table__
    db.session.execute(delete(table).where(table.c.expires_at < now, table.c.bucket.not_in(keep)))
    excess = db.session.scalar(select(func.count()).select_from(table)) - settings.get("LOGIN_THROTTLE_MAX_ROWS")
    if excess > 0:
        nearest = (select(table.c.bucket).where(table.c.bucket.not_in(keep))
                   .order_by(table.c.expires_at).limit(excess))
        db.session.execute(delete(table).where(table.c.bucket.in_(nearest)))


def _checked(user: User, password: str) -> bool:
    """Whether ``password`` is the user's, in the time every sign-in takes: one check at the full cost and one at a
    temporary password's (``TEMPORARY_HASH_METHOD``), whichever the account holds — a temporary
    password answered in 31 ms against 257 ms told anyone which names were real accounts still unused."""
    temporary = user.password_hash.startswith(TEMPORARY_HASH_METHOD + "$")
    right = user.check_password(password)
    _burn_time(password, None if temporary else TEMPORARY_HASH_METHOD)
    return right


def _burn_time(password: str, method: str | None = None) -> None:
    """Check against a throwaway hash of ``method`` (the configured one by default) so unknown usernames take as
    long as known ones."""
    method = method or settings.get("PASSWORD_HASH_METHOD")
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash("not-a-password", method=method)
    check_password_hash(_dummy_hashes[method], password)


def _scheme(method_or_hash: str) -> str:
    return method_or_hash.split("$", 1)[0].split(":", 1)[0]
