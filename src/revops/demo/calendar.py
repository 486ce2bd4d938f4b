"""The simulation clock: ~3 years of history ending at ``today``.

Inside the simulator every instant is a float number of days since ``SimCalendar.epoch``
(midnight UTC of the first day of history); conversion to dates and timestamps happens
only when a table is written. ``cutoff`` is today at 00:00: nothing at or after it has
happened yet, so later events are dropped and open records stay open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

HISTORY_MONTHS = 36


@dataclass(frozen=True)
class SimCalendar:
    today: date

    @property
    def epoch(self) -> np.datetime64:
        month = np.datetime64(self.today, "M") - HISTORY_MONTHS
        return month.astype("datetime64[D]")

    @property
    def cutoff(self) -> float:
        """Days from the epoch to today 00:00 UTC."""
        return float((np.datetime64(self.today, "D") - self.epoch).astype(int))

    # -- conversions ----------------------------------------------------------------------
    def day_dates(self, days: np.ndarray) -> np.ndarray:
        """datetime64[D] of the day each instant falls on."""
        return self.epoch + np.floor(days).astype("int64").astype("timedelta64[D]")

    def timestamps(self, days: np.ndarray) -> np.ndarray:
        """datetime64[s] of each instant (NaN stays NaT)."""
        secs = np.where(np.isnan(days), 0, np.round(days * 86400.0)).astype("int64")
        out = self.epoch.astype("datetime64[s]") + secs.astype("timedelta64[s]")
        out[np.isnan(days)] = np.datetime64("NaT")
        return out

    # -- months and quarters --------------------------------------------------------------
    def month_starts(self) -> np.ndarray:
        """Day offsets of the first day of each month of history (HISTORY_MONTHS+1 edges)."""
        first = np.datetime64(self.epoch, "M")
        months = first + np.arange(HISTORY_MONTHS + 1)
        return (months.astype("datetime64[D]") - self.epoch).astype(float)

    def quarter_end(self, days: np.ndarray) -> np.ndarray:
        """Day offset (start of the day) of the last day of the quarter containing each instant."""
        d = self.day_dates(np.nan_to_num(days))
        m = d.astype("datetime64[M]")
        month_of_year = m.astype("int64") % 12
        qstart = m - (month_of_year % 3).astype("timedelta64[M]")
        qend = (qstart + np.timedelta64(3, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
        return (qend - self.epoch).astype("int64").astype(float)

    def next_business_start(self, local_days: np.ndarray, open_hour: float = 8.0,
                            close_hour: float = 18.0) -> np.ndarray:
        """Move local instants outside business hours (or on weekends) to the next opening.

        ``local_days`` are day offsets already shifted into the rep's time zone.
        """
        day = np.floor(local_days)
        hour = (local_days - day) * 24.0
        # weekday of the epoch-relative day: numpy's day 0 (1970-01-01) was a Thursday (3)
        epoch_dow = (int(self.epoch.astype("int64")) + 3) % 7
        out = local_days.copy()
        before = hour < open_hour
        after = hour >= close_hour
        out[before] = day[before] + open_hour / 24.0
        out[after] = day[after] + 1 + open_hour / 24.0
        # roll Saturday/Sunday (after the move) to Monday morning
        d2 = np.floor(out)
        dow2 = (d2.astype("int64") + epoch_dow) % 7
        shift = np.where(dow2 == 5, 2, np.where(dow2 == 6, 1, 0))
        moved = shift > 0
        out[moved] = d2[moved] + shift[moved] + open_hour / 24.0
        return out

    def weekday(self, days: np.ndarray) -> np.ndarray:
        epoch_dow = (int(self.epoch.astype("int64")) + 3) % 7
        return (np.floor(days).astype("int64") + epoch_dow) % 7
