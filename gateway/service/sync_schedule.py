"""When ``verzuim sync`` (without ``--once``) runs next: every ``interval_seconds``, or at the
moments of a cron expression (``[sync] cron``, read in Europe/Amsterdam time, the schools' clock;
daylight saving is cronsim's). Pure: the moment to start from is an argument."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

from gateway.errors import ConfigError
from gateway.settings import SyncSettings

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DEFAULT_INTERVAL_SECONDS = 3600.0
"""Without ``interval_seconds`` and ``cron`` the sync repeats every hour."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """An interval or a cron expression; ``next_run`` gives the next start after a moment."""

    interval: dt.timedelta | None = None
    cron: str | None = None

    @classmethod
    def from_settings(cls, settings: SyncSettings) -> Schedule:
        if settings.cron is not None:
            return cls.parse_cron(settings.cron)
        seconds = settings.interval_seconds or DEFAULT_INTERVAL_SECONDS
        return cls(interval=dt.timedelta(seconds=seconds))

    @classmethod
    def parse_cron(cls, expression: str) -> Schedule:
        """A cron schedule; ``ConfigError`` naming ``sync.cron`` when the expression is wrong."""
        try:
            CronSim(expression, dt.datetime(2024, 1, 1, tzinfo=AMSTERDAM))
        except CronSimError as exc:
            raise ConfigError(f"sync.cron: {expression!r} is geen cron-expressie ({exc})") from None
        return cls(cron=expression)

    def next_run(self, after: dt.datetime) -> dt.datetime:
        """The first start strictly after ``after`` (timezone-aware; returned in UTC).

        Interval: ``after`` + the interval (the loop passes the start of the previous run, so a
        run that takes long does not push the schedule). Cron: the next matching minute in
        Amsterdam time.
        """
        if after.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware datetime")
        if self.interval is not None:
            return (after + self.interval).astimezone(dt.UTC)
        assert self.cron is not None
        local = after.astimezone(AMSTERDAM)
        moment: dt.datetime = next(iter(CronSim(self.cron, local)))
        return moment.astimezone(dt.UTC)

    def describe(self) -> str:
        """For the console: ``elke 900 s`` or ``cron '15 6 * * 1-5'``."""
        if self.interval is not None:
            return f"elke {self.interval.total_seconds():g} s"
        return f"cron {self.cron!r} (Europe/Amsterdam)"
