"""The working-day clock (docs/model.md §1, §10) against dates worked out by hand.

Reference facts used below (checked on a paper calendar): 2027-01-01 is a Friday, so
2027-01-04 is a Monday; 2027-04-02 and 2027-12-24 are Fridays; 2028-01-01 is a Saturday.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from portfolio_sim.calendar import EPS, WorkCalendar, done_day, expand_holidays, weekmask_of
from portfolio_sim.scenario.schema import HolidayRange, Scenario

D = dt.date
HORIZON = D(2029, 12, 31)
XMAS = {"from": D(2027, 12, 24), "to": D(2027, 12, 31)}


def d64(s: str) -> np.datetime64:
    return np.datetime64(s, "D")


def cal(start: dt.date, horizon: dt.date = HORIZON, **kw: object) -> WorkCalendar:
    return WorkCalendar(start, horizon, **kw)  # type: ignore[arg-type]


# --- done_day -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("t", "day"),
    [
        (10.0, 9),  # ends exactly at the end of day 9
        (10.0000001, 10),  # a sliver into day 10
        (10 + 1e-12, 9),  # round-off above the boundary is the boundary
        (10 - 1e-12, 9),
        (9.5, 9),
        (1.0, 0),
        (0.5, 0),
        (1e-12, 0),
        (0.0, 0),  # choice: zero work at the start is done on day 0
    ],
)
def test_done_day_boundaries(t: float, day: int) -> None:
    assert done_day(t) == day
    assert isinstance(done_day(t), int)


def test_done_day_eps_is_small() -> None:
    assert done_day(10 + EPS / 2) == 9
    assert done_day(10 + 2 * EPS) == 10


def test_done_day_vectorised() -> None:
    out = done_day(np.array([0.0, 0.25, 1.0, 1.5, 10.0, 10.0000001]))
    assert out.dtype == np.int64
    assert out.tolist() == [0, 0, 0, 1, 9, 10]


# --- the docs/model.md §1.3 example and weekends ---------------------------------------------------


def test_model_example_ten_person_days() -> None:
    c = cal(D(2027, 1, 4))
    assert c.day0 == d64("2027-01-04")
    assert c.done_date(10.0) == d64("2027-01-15")  # Friday of the second week
    assert c.date_of(9) == d64("2027-01-15")


def test_weekends_are_skipped() -> None:
    c = cal(D(2027, 1, 4))
    # day 4 is Friday 8th, day 5 is Monday 11th
    assert c.date_of(4) == d64("2027-01-08")
    assert c.date_of(5) == d64("2027-01-11")
    assert c.done_date(5.0) == d64("2027-01-08")
    assert c.done_date(5.25) == d64("2027-01-11")
    got = c.date_of(np.array([0, 4, 5, 10, 20]))
    want = np.array(["2027-01-04", "2027-01-08", "2027-01-11", "2027-01-18", "2027-02-01"])
    assert (got == want.astype("datetime64[D]")).all()


def test_holiday_range_shifts_done_dates() -> None:
    # Mon 2027-12-20 .. Thu 23rd are days 0..3; 24th and 27th..31st are holidays,
    # 25th/26th and 2028-01-01/02 are weekends -> day 4 is Monday 2028-01-03.
    c = cal(D(2027, 12, 20), holidays=[XMAS])
    assert c.done_date(4.0) == d64("2027-12-23")
    assert c.done_date(5.0) == d64("2028-01-03")
    assert c.done_date(6.0) == d64("2028-01-04")
    plain = cal(D(2027, 12, 20))
    assert plain.done_date(5.0) == d64("2027-12-24")


def test_single_holiday() -> None:
    # Fri 2027-04-02 is a holiday: 5 days from Mon 2027-03-29 end on Mon 2027-04-05.
    c = cal(D(2027, 3, 29), holidays=[D(2027, 4, 2)])
    assert c.done_date(4.0) == d64("2027-04-01")
    assert c.done_date(5.0) == d64("2027-04-05")


@pytest.mark.parametrize(
    ("start", "day0"),
    [
        (D(2027, 1, 4), "2027-01-04"),  # Monday
        (D(2027, 1, 2), "2027-01-04"),  # Saturday -> Monday
        (D(2027, 1, 3), "2027-01-04"),  # Sunday -> Monday
        (D(2027, 4, 2), "2027-04-05"),  # holiday Friday -> Monday
        (D(2027, 12, 24), "2028-01-03"),  # first day of the Christmas range
    ],
)
def test_day0_is_first_working_day_on_or_after_start(start: dt.date, day0: str) -> None:
    c = cal(start, holidays=[D(2027, 4, 2), XMAS])
    assert c.day0 == d64(day0)
    assert c.date_of(0) == d64(day0)
    assert c.done_date(1.0) == d64(day0)


def test_saturday_start_ten_days() -> None:
    c = cal(D(2027, 1, 2))
    assert c.done_date(10.0) == d64("2027-01-15")


def test_custom_workweek_mon_thu() -> None:
    # Mon-Thu: days 0-3 Jan 4-7, 4-7 Jan 11-14, 8 Mon Jan 18, 9 Tue Jan 19.
    c = cal(D(2027, 1, 4), workdays=["mon", "tue", "wed", "thu"])
    assert c.weekmask == "1111000"
    assert c.workdays_per_week == 4
    assert c.done_date(10.0) == d64("2027-01-19")
    assert c.date_of(4) == d64("2027-01-11")
    # a Friday start under a Mon-Thu week begins on the next Monday
    assert cal(D(2027, 1, 8), workdays=["mon", "tue", "wed", "thu"]).day0 == d64("2027-01-11")


def test_six_day_week() -> None:
    c = cal(D(2027, 1, 4), workdays=["mon", "tue", "wed", "thu", "fri", "sat"])
    assert c.workdays_per_week == 6
    assert c.done_date(10.0) == d64("2027-01-14")  # Jan 4-9 are days 0-5, Jan 11-14 are 6-9


def test_weekmask_of() -> None:
    assert weekmask_of(("mon", "tue", "wed", "thu", "fri")) == "1111100"
    assert weekmask_of(["sun", "sat"]) == "0000011"
    assert weekmask_of("1010100") == "1010100"
    with pytest.raises(ValueError, match="unknown weekday"):
        weekmask_of(["mon", "funday"])
    with pytest.raises(ValueError, match="at least one"):
        WorkCalendar(D(2027, 1, 4), D(2028, 1, 4), workdays=[])


# --- horizon and index lookups ---------------------------------------------------------


def test_horizon_days() -> None:
    assert cal(D(2027, 1, 4), D(2027, 1, 15)).horizon_days == 10
    assert cal(D(2027, 1, 4), D(2027, 1, 17)).horizon_days == 10  # Sunday horizon
    assert cal(D(2027, 1, 4), D(2027, 1, 18)).horizon_days == 11
    assert cal(D(2027, 1, 4), D(2027, 1, 4)).horizon_days == 1
    # 2027 has 261 weekdays; minus Fri Jan 1, Fri Apr 2, and Dec 24, 27-31 (6) = 253.
    c = cal(D(2027, 1, 4), D(2027, 12, 31), holidays=[D(2027, 4, 2), XMAS])
    assert c.horizon_days == 253
    assert c.done_date(c.horizon_days) == d64("2027-12-23")


def test_horizon_before_first_working_day() -> None:
    assert cal(D(2027, 1, 2), D(2027, 1, 3)).horizon_days == 0


def test_index_on_or_before_deadline_on_weekend() -> None:
    c = cal(D(2027, 1, 4))
    assert c.index_on_or_before(D(2027, 1, 16)) == 9  # Saturday -> Friday 15th (day 9)
    assert c.index_on_or_before(D(2027, 1, 17)) == 9
    assert c.index_on_or_before(D(2027, 1, 15)) == 9
    assert c.index_on_or_before(D(2027, 1, 18)) == 10
    assert c.index_on_or_before(D(2027, 1, 4)) == 0
    assert c.index_on_or_before(D(2027, 1, 3)) == -1
    assert c.index_on_or_before(D(2026, 6, 1)) == -1
    # 10 person-days from Jan 4 meet a Jan 16 deadline; 10.5 do not
    assert done_day(10.0) <= c.index_on_or_before(D(2027, 1, 16))
    assert done_day(10.5) > c.index_on_or_before(D(2027, 1, 16))


def test_index_on_or_after() -> None:
    c = cal(D(2027, 1, 4), holidays=[D(2027, 4, 2)])
    assert c.index_on_or_after(D(2027, 1, 4)) == 0
    assert c.index_on_or_after(D(2027, 1, 1)) == 0  # before day 0
    assert c.index_on_or_after(D(2027, 1, 8)) == 4
    assert c.index_on_or_after(D(2027, 1, 9)) == 5  # Saturday -> Monday 11th
    assert c.index_on_or_after(D(2027, 1, 11)) == 5
    # Apr 1 2027 (Thu) is day 63: Jan 4-29 (20) + Feb (20) + Mar (23) = 63 weekdays before it
    assert c.index_on_or_after(D(2027, 4, 1)) == 63
    assert c.index_on_or_after(D(2027, 4, 2)) == 64  # holiday -> Monday Apr 5
    assert c.date_of(64) == d64("2027-04-05")


def test_index_lookups_accept_datetime64_and_arrays() -> None:
    c = cal(D(2027, 1, 4))
    assert c.index_on_or_after(np.datetime64("2027-01-09")) == 5
    assert c.index_on_or_before("2027-01-16") == 9
    got = c.index_on_or_before(np.array(["2027-01-03", "2027-01-16"], dtype="datetime64[D]"))
    assert got.tolist() == [-1, 9]
    w = WorkCalendar(np.datetime64("2027-01-02"), np.datetime64("2027-02-01"))
    assert w.day0 == d64("2027-01-04")


def test_calendar_days_since_start() -> None:
    c = cal(D(2027, 1, 2))  # Saturday start: day 0 is Monday, 2 calendar days later
    assert c.calendar_days_since_start(0) == 2
    assert c.calendar_days_since_start(5) == 9  # Monday Jan 11
    assert c.calendar_days_since_start(np.array([0, 5])).tolist() == [2, 9]


# --- months ----------------------------------------------------------------------------


def test_month_index_across_year_boundary() -> None:
    # days 0-3: Dec 20-23 2027 (k=0); Jan 2028 has 21 working days (3-7, 10-14, 17-21,
    # 24-28, 31) -> days 4-24 (k=1); day 25 is Tue 2028-02-01 (k=2).
    c = cal(D(2027, 12, 20), holidays=[XMAS])
    assert c.days_in_month_index(26).tolist() == [0] * 4 + [1] * 21 + [2]
    assert c.days_in_month_index(26).dtype == np.int32
    assert c.date_of(25) == d64("2028-02-01")
    assert c.month_labels(3) == ["2027-12", "2028-01", "2028-02"]
    assert c.month_labels(14)[-1] == "2029-01"


def test_month_zero_is_the_start_month_even_if_day0_is_not_in_it() -> None:
    c = cal(D(2027, 1, 30))  # Saturday; day 0 is Monday 2027-02-01
    assert c.day0 == d64("2027-02-01")
    assert c.days_in_month_index(2).tolist() == [1, 1]
    assert c.month_labels(2) == ["2027-01", "2027-02"]


def test_month_index_of_and_n_months() -> None:
    c = cal(D(2027, 1, 4), D(2029, 12, 31))
    assert c.month_index_of(D(2027, 1, 31)) == 0
    assert c.month_index_of(D(2028, 1, 1)) == 12
    assert c.n_months == 36
    assert c.days_in_month_index(0).shape == (0,)


# --- holidays --------------------------------------------------------------------------


def test_expand_holidays_mixed_forms() -> None:
    hr = HolidayRange.model_validate({"from": "2027-05-03", "to": "2027-05-04"})
    out = expand_holidays(
        [
            D(2027, 12, 30),
            XMAS,
            hr,
            (D(2027, 8, 2), D(2027, 8, 3)),
            np.datetime64("2027-04-02"),
            "2027-04-02",  # duplicate
            dt.datetime(2027, 1, 1, 12, 30),
        ]
    )
    want = [
        "2027-01-01",
        "2027-04-02",
        "2027-05-03",
        "2027-05-04",
        "2027-08-02",
        "2027-08-03",
        "2027-12-24",
        "2027-12-25",
        "2027-12-26",
        "2027-12-27",
        "2027-12-28",
        "2027-12-29",
        "2027-12-30",
        "2027-12-31",
    ]
    assert out.dtype == np.dtype("datetime64[D]")
    assert out.tolist() == [D.fromisoformat(s) for s in want]


def test_expand_holidays_empty_and_bad_range() -> None:
    assert expand_holidays([]).dtype == np.dtype("datetime64[D]")
    assert expand_holidays([]).size == 0
    with pytest.raises(ValueError, match="before it starts"):
        expand_holidays([{"from": D(2027, 5, 4), "to": D(2027, 5, 3)}])


def test_holiday_forms_give_the_same_calendar() -> None:
    a = cal(D(2027, 12, 20), holidays=[XMAS])
    b = cal(
        D(2027, 12, 20), holidays=[HolidayRange(**{"from": D(2027, 12, 24), "to": D(2027, 12, 31)})]
    )
    c = cal(D(2027, 12, 20), holidays=[D(2027, 12, d) for d in range(24, 32)])
    for w in (a, b, c):
        assert w.done_date(5.0) == d64("2028-01-03")


def test_from_scenario() -> None:
    sc = Scenario.model_validate(
        {
            "name": "x",
            "start": "2027-01-02",
            "horizon": "2027-12-31",
            "calendar": {
                "workdays": ["mon", "tue", "wed", "thu", "fri"],
                "holidays": ["2027-04-02", {"from": "2027-12-24", "to": "2027-12-31"}],
            },
            "teams": [{"id": "web", "members": 1}],
            "features": [{"id": "f", "team": "web", "effort": {"fixed": 10}}],
        }
    )
    c = WorkCalendar.from_scenario(sc)
    assert c.start == d64("2027-01-02")
    assert c.day0 == d64("2027-01-04")
    assert c.horizon_days == 253
    assert c.holidays.size == 9
    assert c.done_date(10.0) == d64("2027-01-15")


def test_from_scenario_default_horizon() -> None:
    sc = Scenario.model_validate(
        {
            "name": "x",
            "start": "2027-01-04",
            "teams": [{"id": "web", "members": 1}],
            "features": [{"id": "f", "team": "web", "effort": {"fixed": 10}}],
        }
    )
    c = WorkCalendar.from_scenario(sc)
    assert c.horizon == d64("2032-01-04")
    assert c.weekmask == "1111100"
