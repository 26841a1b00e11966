"""A calendar as validated, serializable data: zone, weekly hours and holidays.

Holidays from the `holidays` package or an iCal file are expanded into dates when the policy is
loaded (`resolution_context`); afterwards the calendar is pure data and travels with the policy
in workflow payloads, where validation never looks a holiday up again."""

from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.functional_validators import ModelWrapValidatorHandler

from calendars.clock import BusinessClock
from calendars.hours import WEEKDAYS, Weekday, parse_interval, weekly_segments
from calendars.zones import load_zone

# validation context key: the folder that relative iCal paths start from
_RESOLVE_FROM = "calendars.resolve_holidays_from"


def resolution_context(folder: Path) -> dict[str, Any]:
    """Validation context that expands holiday sources (iCal paths are relative to folder)."""
    return {_RESOLVE_FROM: folder}


def _interval(text: str) -> str:
    parse_interval(text)
    return text


Interval = Annotated[str, AfterValidator(_interval)]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Holiday(_Data):
    date: date
    name: str


class Holidays(_Data):
    """Where the closed dates come from. The clocks use `resolved`, which the policy loader fills
    in; a calendar built without the loader may list dates only."""

    dates: list[date] = Field(default_factory=list, description="Dates listed by hand.")
    country: str | None = Field(default=None, description="`holidays` package country code.")
    subdivision: str | None = Field(default=None, description="Its subdivision (state) code.")
    ical: str | None = Field(default=None, description="iCal file, relative to the policy file.")
    years: tuple[int, int] | None = Field(
        default=None, description="First and last year (inclusive) to expand country and ical for."
    )
    ignore: list[str] = Field(
        default_factory=list, description="Names from country or ical that stay working days."
    )
    resolved: list[Holiday] | None = Field(
        default=None, description="Every closed date, filled in when the policy is loaded."
    )

    @model_validator(mode="after")
    def _bounded(self) -> "Holidays":
        if self.subdivision and not self.country:
            raise ValueError("subdivision needs a country")
        if (self.country or self.ical) and self.years is None:
            raise ValueError("years: required with country or ical, e.g. [2026, 2030]")
        if self.years is not None:
            first, last = self.years
            if not 1900 <= first <= last <= first + 50 <= 2200:
                raise ValueError(f"years: {first}..{last} must be at most 50 years, in order")
        return self

    @model_validator(mode="wrap")
    @classmethod
    def _resolve(
        cls, data: Any, handler: ModelWrapValidatorHandler["Holidays"], info: ValidationInfo
    ) -> "Holidays":
        holidays = handler(data)
        folder = (info.context or {}).get(_RESOLVE_FROM)
        if folder is not None:
            if holidays.resolved is not None:
                raise ValueError("resolved: filled in when the policy is loaded; use dates")
            # Imported here: the holiday libraries are needed at load, never in a workflow.
            from calendars.sources import resolve

            return holidays.model_copy(update={"resolved": resolve(holidays, folder)})
        if holidays.resolved is None and (holidays.country or holidays.ical):
            raise ValueError("country and ical are expanded only by load_policy")
        return holidays

    @property
    def closed(self) -> list[date]:
        """The dates the clocks stop: as resolved at load, else the listed ones."""
        if self.resolved is None:
            return self.dates
        return [holiday.date for holiday in self.resolved]


class Calendar(_Data):
    """A team's business hours: when its business-hours clocks run."""

    name: str
    timezone: str = Field(description="IANA time zone, read from the pinned tzdata package.")
    hours: dict[Weekday, list[Interval]] = Field(
        default_factory=dict,
        description='Weekday ("mon".."sun") to intervals like "09:00-17:00"; an end before '
        'the start runs overnight into the next day; "00:00-24:00" is the whole day.',
    )
    holidays: Holidays = Field(default_factory=Holidays)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, key: str) -> str:
        load_zone(key)
        return key

    @field_validator("hours")
    @classmethod
    def _no_overlaps(cls, hours: dict[Weekday, list[str]]) -> dict[Weekday, list[str]]:
        weekly_segments(hours)
        return hours

    @property
    def open_weekly(self) -> bool:
        """Whether the week has any business hours at all."""
        return any(self.hours.get(day) for day in WEEKDAYS)

    @cached_property
    def clock(self) -> BusinessClock:
        zone = load_zone(self.timezone)
        return BusinessClock(zone, weekly_segments(self.hours), self.holidays.closed)

    def __getstate__(self) -> dict[Any, Any]:
        """Without the compiled clock: its zone, read from tzdata's file, cannot be pickled (a
        policy sent to `simulate`'s processes); the receiving process compiles its own."""
        state = super().__getstate__()
        state["__dict__"] = {k: v for k, v in state["__dict__"].items() if k != "clock"}
        return state
