"""The one source of "now", replaceable in tests and in the demo seeder.

Times are stored as naive UTC; dates the users read (due dates, "today") are local to
Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _system_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


_now: Callable[[], datetime] = _system_now


def now() -> datetime:
    """Current time, naive UTC."""
    return _now()


def today() -> date:
    """Today's date in the province."""
    return to_local(now()).date()


def to_local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(LOCAL_TZ)


def day_start(day: date) -> datetime:
    """The moment the province's day ``day`` begins, naive UTC as stored."""
    return datetime.combine(day, time.min, LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests, demo seeding); None restores the system clock."""
    global _now
    _now = fn or _system_now


class FrozenClock:
    """A settable clock: ``clock = FrozenClock(dt); set_clock(clock); clock.advance(days=2)``."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> None:
        from datetime import timedelta

        self.moment += timedelta(**delta)
