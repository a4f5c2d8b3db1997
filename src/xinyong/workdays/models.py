"""Tables of the working-day calendar: overrides of the Mon–Fri rule and covered years."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base

# ``source`` of rows entered by the credit office; the seed never overwrites them.
SOURCE_OFFICE = "office"
# ``source`` of seeded rows starts with this, followed by the package version.
SOURCE_CHINESECALENDAR = "chinesecalendar"


class WorkingDayOverride(Base):
    """One day that differs from the Mon–Fri rule: a holiday on a weekday (is_workday
    false) or a make-up working day on a weekend (调休上班, is_workday true)."""

    __tablename__ = "working_day_override"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool]
    name: Mapped[str | None] = mapped_column(String(100))  # e.g. 春节, 国庆节调休上班
    source: Mapped[str] = mapped_column(String(60), index=True)  # "chinesecalendar 1.11.0"|"office"
    notice_ref: Mapped[str | None] = mapped_column(String(120))  # e.g. 国办发明电〔2025〕7号
    updated_at: Mapped[dt.datetime]


class CalendarYear(Base):
    """A year whose State Council holiday notice has been entered (a covered year).

    Deadlines that touch a year without a row here are provisional.
    """

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(60))
    notice_ref: Mapped[str | None] = mapped_column(String(120))
    declared_at: Mapped[dt.datetime]
