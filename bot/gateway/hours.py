"""Opening hours of the kontaktcenter, from a setting like "mon-fri 08:00-16:30; sat 10:00-14:00"."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(r"^\s*(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+"
                   r"(?P<open>\d{1,2}:\d{2})\s*-\s*(?P<close>\d{1,2}:\d{2})\s*$")


@dataclass(frozen=True)
class OpeningHours:
    """Intervals per weekday (0 = Monday); no intervals at all means always open."""
    intervals: dict[int, list[tuple[dt.time, dt.time]]]
    timezone: ZoneInfo

    @classmethod
    def parse(cls, spec: str, timezone: str) -> OpeningHours:
        intervals: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for part in filter(None, (p.strip().lower() for p in spec.split(";"))):
            match = _PART.match(part)
            if not match or match["first"] not in DAYS or (match["last"] and match["last"] not in DAYS):
                raise ValueError(f"IHS_HANDOFF_HOURS: cannot read {part!r}; expected e.g. 'mon-fri 08:00-16:30'")
            first = DAYS.index(match["first"])
            last = DAYS.index(match["last"]) if match["last"] else first
            opens, closes = (dt.time.fromisoformat(match[k].zfill(5)) for k in ("open", "close"))
            if closes <= opens:
                raise ValueError(f"IHS_HANDOFF_HOURS: {part!r} closes before it opens")
            for day in range(first, last + 1):
                intervals.setdefault(day, []).append((opens, closes))
        return cls(intervals, ZoneInfo(timezone))

    def is_open(self, now: dt.datetime | None = None) -> bool:
        if not self.intervals:
            return True
        local = (now or dt.datetime.now(dt.UTC)).astimezone(self.timezone)
        return any(opens <= local.time() < closes for opens, closes in self.intervals.get(local.weekday(), []))
