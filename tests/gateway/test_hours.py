"""Opening hours of the kontaktcenter."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.gateway.hours import OpeningHours

STOCKHOLM_FRIDAY_9 = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)  # 09:00 in Stockholm (CET)


def test_open_within_an_interval_and_closed_outside_it_in_local_time() -> None:
    hours = OpeningHours.parse("mon-fri 08:00-16:30; sat 10:00-14:00", "Europe/Stockholm")
    assert hours.is_open(STOCKHOLM_FRIDAY_9)
    assert not hours.is_open(STOCKHOLM_FRIDAY_9.replace(hour=16))  # 17:00 local
    assert not hours.is_open(STOCKHOLM_FRIDAY_9 + dt.timedelta(days=2))  # Sunday
    assert hours.is_open(STOCKHOLM_FRIDAY_9 + dt.timedelta(days=1, hours=2))  # Saturday 11:00


def test_no_hours_means_always_open() -> None:
    assert OpeningHours.parse("", "Europe/Stockholm").is_open(STOCKHOLM_FRIDAY_9 + dt.timedelta(hours=15))


@pytest.mark.parametrize("spec", ["mon-fri 8-16", "someday 08:00-09:00", "mon 10:00-09:00", "mon-fri"])
def test_unreadable_hours_are_refused_with_the_setting_named(spec: str) -> None:
    with pytest.raises(ValueError, match="IHS_HANDOFF_HOURS"):
        OpeningHours.parse(spec, "Europe/Stockholm")
