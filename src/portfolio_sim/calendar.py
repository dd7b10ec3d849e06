"""The working-day clock (docs/model.md §1, §10), built on numpy's business-day functions.

Semantics, shared by both engines:

* The clock counts **working days** (a continuous number). Working day 0 (``day0``) is
  ``start`` if it is a working day, else the first working day after it.
* Work done on working day ``d`` covers the clock interval ``[d, d + 1)``.
* Work that ends at clock time ``t > 0`` is **done on** working day ``ceil(t) - 1``
  (:func:`done_day`); its done date is that day's date (:meth:`WorkCalendar.done_date`).
  10 person-days by one person from Monday 2027-01-04 end at t = 10: done Friday 2027-01-15.
* Clock times within :data:`EPS` above a whole number count as that whole number, so that
  float round-off (``10.000000000001``) does not push a finish onto the next day.
* A date that is not a working day maps forward for things that *take effect* on it
  (``not_before``, staffing ``changes[].on``: :meth:`WorkCalendar.index_on_or_after`) and
  backward for things that must be *met by* it (deadlines, the horizon:
  :meth:`WorkCalendar.index_on_or_before`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from portfolio_sim.codes import EPS

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_WORKDAYS: tuple[str, ...] = WEEKDAYS[:5]

DateLike = dt.date | np.datetime64 | str


def _day(value: Any) -> np.datetime64:
    """One date (datetime.date, datetime.datetime, np.datetime64 or ISO string) as datetime64[D]."""
    if isinstance(value, dt.datetime):
        value = value.date()
    return np.datetime64(value, "D")


def _days(value: Any) -> np.ndarray:
    """A date or an array of dates as a datetime64[D] array."""
    if isinstance(value, dt.datetime):
        value = value.date()
    return np.asarray(value, dtype="datetime64[D]")


def _range_ends(item: Any) -> tuple[Any, Any] | None:
    if isinstance(item, dict):
        return item["from"] if "from" in item else item["from_"], item["to"]
    if isinstance(item, tuple | list):
        if len(item) != 2:
            raise ValueError(f"a holiday range needs (from, to), got {item!r}")
        return item[0], item[1]
    if hasattr(item, "from_") and hasattr(item, "to"):
        return item.from_, item.to
    return None


def expand_holidays(holidays: Iterable[Any]) -> np.ndarray:
    """Holidays as a sorted, unique ``datetime64[D]`` array.

    Each item is a single date (``datetime.date``, ``np.datetime64`` or ISO string) or an
    inclusive range: a dict ``{"from": a, "to": b}``, a ``(a, b)`` tuple, or an object with
    ``from_`` and ``to`` attributes (``schema.HolidayRange``). Dates that fall on a
    non-working weekday are kept here; numpy's calendar ignores them.
    """
    parts: list[np.ndarray] = []
    for item in holidays:
        ends = _range_ends(item)
        if ends is None:
            parts.append(np.array([_day(item)]))
            continue
        lo, hi = _day(ends[0]), _day(ends[1])
        if hi < lo:
            raise ValueError(f"holiday range ends ({hi}) before it starts ({lo})")
        parts.append(np.arange(lo, hi + np.timedelta64(1, "D"), dtype="datetime64[D]"))
    if not parts:
        return np.array([], dtype="datetime64[D]")
    return np.unique(np.concatenate(parts))


def done_day(t: float | np.ndarray) -> Any:
    """Working-day index on which work ending at clock time ``t`` is done.

    ``max(ceil(t - EPS) - 1, 0)``: work ending at t = 10 (end of day 9) is done on day 9,
    at 10.0000001 on day 10. Choice: work ending at ``t <= EPS`` (zero work at the start)
    counts as done on day 0, the start's date. Returns an int for a scalar, an int64
    array for an array. ``t`` must be finite (mask "not done" trials before calling).
    """
    day = _done_day_float(np.asarray(t, dtype=np.float64)).astype(np.int64)
    if day.ndim == 0:
        return int(day)
    return day


def _done_day_float(t: np.ndarray) -> np.ndarray:
    """The done-day rule itself, ``max(ceil(t - EPS) - 1, 0)``, as float64 (the one
    spelling on the Python side; kernels/clock.py is the kernels' and a test pins the two)."""
    return np.maximum(np.ceil(t - EPS) - 1.0, 0.0)


def done_days_or(t: np.ndarray, missing: float, ok: np.ndarray | None = None) -> np.ndarray:
    """:func:`done_day` of every clock time in ``t`` where ``ok`` (default: where ``t`` is
    finite), ``missing`` elsewhere (a "not done" trial: usually the horizon's day index,
    which is the "not done" bin of a done-day histogram). A float64 array."""
    arr = np.asarray(t, dtype=np.float64)
    if ok is None:
        ok = np.isfinite(arr)
    return np.where(ok, _done_day_float(np.where(ok, arr, 0.0)), missing)


def as_date(value: Any, what: str) -> dt.date:
    """A date from a ``date``, ``datetime`` (its date), ``numpy.datetime64`` or ISO text
    ``YYYY-MM-DD``; anything else is an :class:`~portfolio_sim.errors.InputError` naming
    ``what`` (the argument the caller was given)."""
    from portfolio_sim.errors import InputError

    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        if isinstance(value, np.datetime64):
            value = value.astype("datetime64[D]")
        return dt.date.fromisoformat(str(value))
    except (ValueError, TypeError):
        raise InputError(f"{what}: expected a date YYYY-MM-DD, got {value!r}") from None


def weekmask_of(workdays: Sequence[str] | str) -> str:
    """``["mon", ..., "fri"]`` -> ``"1111100"``. A 7-character 0/1 string passes through."""
    if isinstance(workdays, str):
        if len(workdays) == 7 and set(workdays) <= {"0", "1"}:
            return workdays
        raise ValueError(f"weekmask must be 7 characters of 0/1, got {workdays!r}")
    names = [w.lower()[:3] for w in workdays]
    unknown = [w for w in names if w not in WEEKDAYS]
    if unknown:
        raise ValueError(f"unknown weekday(s) {unknown}; expected {', '.join(WEEKDAYS)}")
    return "".join("1" if w in names else "0" for w in WEEKDAYS)


class WorkCalendar:
    """Maps the working-day clock to dates for one scenario.

    Attributes:
        weekmask: ``"1111100"`` style, Monday first.
        holidays: sorted unique ``datetime64[D]`` holidays (ranges expanded).
        busdaycal: the ``np.busdaycalendar`` every conversion uses.
        start: the scenario's start date (``datetime64[D]``), possibly not a working day.
        day0: working day 0, the first working day on/after ``start``.
        horizon: the horizon date (``datetime64[D]``).
        horizon_days: working days from ``day0`` through ``horizon`` inclusive; work ending
            at clock time ``t <= horizon_days`` is done by the horizon.
        workdays_per_week: working weekdays in the calendar (the length of a "week"
            throughput period, docs/model.md §10).
    """

    def __init__(
        self,
        start: DateLike,
        horizon: DateLike,
        workdays: Sequence[str] | str = DEFAULT_WORKDAYS,
        holidays: Iterable[Any] = (),
    ) -> None:
        self.weekmask: str = weekmask_of(workdays)
        if "1" not in self.weekmask:
            raise ValueError("at least one working weekday is needed")
        self.workdays_per_week: int = self.weekmask.count("1")
        self.holidays: np.ndarray = expand_holidays(holidays)
        self.busdaycal = np.busdaycalendar(weekmask=self.weekmask, holidays=self.holidays)
        self.start: np.datetime64 = _day(start)
        self.horizon: np.datetime64 = _day(horizon)
        self.day0: np.datetime64 = np.busday_offset(
            self.start, 0, roll="forward", busdaycal=self.busdaycal
        )
        self.horizon_days: int = max(self.index_on_or_before(self.horizon) + 1, 0)
        self._month0 = int(self.start.astype("datetime64[M]").astype(np.int64))

    @classmethod
    def from_scenario(cls, scenario: Any) -> WorkCalendar:
        """Calendar of a ``schema.Scenario`` (start, horizon_date, calendar)."""
        return cls(
            scenario.start,
            scenario.horizon_date,
            workdays=scenario.calendar.workdays,
            holidays=scenario.calendar.holidays,
        )

    def __repr__(self) -> str:
        return (
            f"WorkCalendar(start={self.start}, day0={self.day0}, horizon={self.horizon}, "
            f"weekmask={self.weekmask!r}, holidays={len(self.holidays)})"
        )

    def date_of(self, day: int | np.ndarray) -> Any:
        """Date of working day ``day`` (an index, or an integer array of them)."""
        out = np.busday_offset(self.day0, day, roll="forward", busdaycal=self.busdaycal)
        return out

    def done_date(self, t: float | np.ndarray) -> Any:
        """Done date of work ending at clock time ``t``: ``date_of(done_day(t))``."""
        return self.date_of(done_day(t))

    def index_on_or_after(self, date: DateLike | np.ndarray) -> Any:
        """Index of the first working day on/after ``date``: the clock time at which
        something dated ``date`` takes effect (``not_before``, staffing changes).
        Dates before ``day0`` give 0."""
        n = np.busday_count(self.day0, _days(date), busdaycal=self.busdaycal)
        return _scalar(np.maximum(n, 0))

    def index_on_or_before(self, date: DateLike | np.ndarray) -> Any:
        """Index of the last working day on/before ``date``. A deadline ``date`` is met iff
        ``done_day(t) <= index_on_or_before(date)``. Dates before ``day0`` give -1."""
        end = _days(date) + np.timedelta64(1, "D")
        n = np.busday_count(self.day0, end, busdaycal=self.busdaycal) - 1
        return _scalar(np.maximum(n, -1))

    def calendar_days_since_start(self, day: int | np.ndarray) -> Any:
        """Calendar days from ``start`` to the date of working day ``day`` (int or int64
        array), for value accrual and discounting in calendar time."""
        delta = (self.date_of(day) - self.start).astype(np.int64)
        return _scalar(delta)

    def month_index_of(self, date: DateLike | np.ndarray) -> Any:
        """Calendar-month index of a date (or dates): 0 is the month of ``start``."""
        months = _days(date).astype("datetime64[M]").astype(np.int64)
        return _scalar(months - self._month0)

    def days_in_month_index(self, n_days: int) -> np.ndarray:
        """For working days ``0 .. n_days - 1``, the calendar-month index (int32) of each
        day's date; k = 0 is the month of ``start`` (so day 0 may be in month 1 when
        ``start`` is at the end of a month and not a working day)."""
        dates = self.date_of(np.arange(n_days, dtype=np.int64))
        return np.asarray(self.month_index_of(dates), dtype=np.int32).reshape(n_days)

    def month_labels(self, n_months: int) -> list[str]:
        """``"YYYY-MM"`` labels of months ``0 .. n_months - 1`` counted from ``start``'s month."""
        first = self.start.astype("datetime64[M]")
        return [str(first + np.timedelta64(k, "M")) for k in range(n_months)]

    @property
    def n_months(self) -> int:
        """Months from ``start``'s month through ``horizon``'s month inclusive."""
        return int(self.month_index_of(self.horizon)) + 1


def team_day_shares(
    cal: WorkCalendar,
    holidays: Iterable[Any] = (),
    availability: Iterable[tuple[DateLike, DateLike, float]] = (),
) -> dict[int, float]:
    """A team's calendar (docs/model.md §2.8) as working day -> share of its capacity.

    ``availability`` ranges ``(from, to, share)`` (inclusive dates) give their share to
    every working day of the portfolio calendar inside them; ``holidays`` (dates or ranges,
    as :func:`expand_holidays`) give 0 and win over a range. Only working days from day 0
    up to the horizon are listed, and only those whose share is not the default 1; dates
    that are not working days of the portfolio are ignored (nobody works on them anyway).
    """
    last = cal.horizon_days - 1
    shares: dict[int, float] = {}
    for lo, hi, share in availability:
        first = int(cal.index_on_or_after(lo))
        for d in range(first, min(int(cal.index_on_or_before(hi)), last) + 1):
            shares[d] = float(share)
    days = expand_holidays(holidays)
    if len(days):
        days = days[np.is_busday(days, busdaycal=cal.busdaycal) & (days >= cal.day0)]
        for d in np.atleast_1d(cal.index_on_or_after(days)):
            if int(d) <= last:
                shares[int(d)] = 0.0
    return {d: v for d, v in sorted(shares.items()) if v != 1.0}


def _scalar(a: Any) -> Any:
    """A 0-d array as a Python int; arrays unchanged."""
    arr = np.asarray(a)
    return int(arr) if arr.ndim == 0 else arr
