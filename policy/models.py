"""Validated shape of the escalation policy: levels, priorities, triggers and templates."""

import contextlib
import re
import tomllib
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from calendars import AROUND_THE_CLOCK, BusinessClock, Calendar
from policy.durations import Duration, RepeatingDuration

PriorityName = Literal["P1", "P2", "P3", "P4"]
Channel = Literal["email", "sms", "phone", "dashboard"]
# The seed's four support levels: a policy names its levels within these bounds, and filters
# that take a level (the HTTP API, the CLI) accept the same.
LOWEST_LEVEL, HIGHEST_LEVEL = 1, 4
LevelNumber = Annotated[int, Field(ge=LOWEST_LEVEL, le=HIGHEST_LEVEL)]
HandoffLevel = Annotated[int, Field(ge=LOWEST_LEVEL + 1, le=HIGHEST_LEVEL)]
PRIORITY_ORDER: tuple[PriorityName, ...] = ("P1", "P2", "P3", "P4")
SHIPPED_POLICY_FILE = Path(__file__).with_name("escalation_policy.toml")
# Keyword lists of policies recorded before triage (docs/triage.md), replaced by `triage`.
_PRE_TRIAGE_FIELDS = ("critical_keywords", "security_keywords", "assessment")

# Placeholders of the procedure's handoff templates that the renderer knows how to fill.
TEMPLATE_PLACEHOLDERS = frozenset(
    {
        "ID",
        "Name",
        "Email",
        "Issue Type",
        "Technical Issue",
        "Critical Issue",
        "Brief Description",
        "P1/P2/P3/P4",
        "List of actions taken",
        "Description of impact",
        "Recommended actions",
        "Detailed description",
        "Findings so far",
        "Technical actions taken",
        "Scope of issue",
        "Suggested next steps",
        "High-level description",
        "Detailed findings",
        "Business and technical impact",
        "Recommended approach",
        "Expected resolution time",
    }
)
_PLACEHOLDER = re.compile(r"\[([^\[\]]+)\]")
_E164 = r"^\+[1-9]\d{6,14}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contact(_Strict):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, pattern=_E164)


class Level(_Strict):
    name: str
    team: str
    acknowledge_within: Duration | None = None
    respond_within: RepeatingDuration
    default_priority: PriorityName
    categories: list[str]
    contacts: Contact
    manager: Contact | None = None

    @property
    def pages_at_once(self) -> bool:
        """An immediate or unstated acknowledgment window: page now, run only the response SLA."""
        return self.acknowledge_within is None or self.acknowledge_within <= timedelta(0)

    @field_validator("categories")
    @classmethod
    def _snake_case(cls, categories: list[str]) -> list[str]:
        for category in categories:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", category):
                raise ValueError(f"category {category!r} must be snake_case")
        return categories


class Priority(_Strict):
    name: str
    definition: str
    respond_within: RepeatingDuration
    escalate_to_level: LevelNumber
    escalate_within: Duration
    channels: list[Channel] = Field(min_length=1)
    # Expected resolution from opening, quoted in handoffs; the seed states none.
    resolve_within: Duration | None = None


# A phrase: words matched by their dictionary form (outage matches outages), "a|b" for one word
# among several, "*" for a few words in between ("data * lost" matches "data was lost"), "=was"
# for a word exactly as written.
_PHRASE_WORD = r"=?[^\W_]+(?:[-'][^\W_]+)*"
_PHRASE_PART = re.compile(rf"\*|{_PHRASE_WORD}(?:\|{_PHRASE_WORD})*")


def _phrase(text: str) -> str:
    parts = text.split()
    if not parts:
        raise ValueError("a phrase must have at least one word")
    bad = [part for part in parts if not _PHRASE_PART.fullmatch(part)]
    if bad:
        raise ValueError(f"phrase {text!r}: {bad[0]!r} is not a word, =word, a|b or *")
    if "*" in (parts[0], parts[-1]) or "* *" in " ".join(parts):
        raise ValueError(f"phrase {text!r}: a * must stand between two words")
    return text


Phrase = Annotated[str, AfterValidator(_phrase)]
Phrases = Annotated[tuple[Phrase, ...], Field(min_length=1)]


class Signal(_Strict):
    """Phrases a support lead reads as one kind of evidence, and the priority they suggest."""

    priority: PriorityName
    # The priority when a wide-scope phrase (triage.scope) is in the same sentence.
    scoped: PriorityName | None = None
    # incident: breach-like, the security level at once; concern: needs senior eyes too.
    security: Literal["incident", "concern"] | None = None
    phrases: Phrases


class Cues(_Strict):
    """NegEx/ConText cues: what turns a phrase into something that is not happening now."""

    # Forward cues: reach up to `reach` words, to the end of the clause.
    negation: Phrases
    request: Phrases
    hypothetical: Phrases
    # Clause cues: the whole clause they stand in.
    own_action: Phrases
    historical: Phrases
    resolved: Phrases
    ongoing: Phrases
    # Look like a cue or a signal but are not one: "not only", "slow down".
    pseudo_negation: Phrases
    pseudo: Phrases
    # End a clause (punctuation always does); request_terminators end a request only.
    terminators: Phrases
    request_terminators: Phrases
    reach: int = Field(default=6, ge=1)
    gap: int = Field(default=3, ge=1)


class TriageRules(_Strict):
    """How intake and customer messages are read: signals, scope, cues, and their priorities."""

    default_priority: PriorityName
    question_priority: PriorityName
    # Content at this priority or more urgent raises a caller's priority (never lowers it).
    raises_caller_from: PriorityName
    # A lead reads the top of a message: the rest (pasted logs, long threads) is not read, which
    # also bounds the time a workflow task spends reading.
    read_chars: int = Field(default=4000, ge=200)
    signals: dict[str, Signal] = Field(min_length=1)
    scope: Phrases
    scope_statement: Phrases
    narrow_scope: Phrases
    impact: Phrases
    impact_priority: PriorityName
    mitigation: Phrases
    mitigated_priority: PriorityName
    escalation_request: Phrases
    inquiry: Phrases
    cues: Cues

    @field_validator("signals")
    @classmethod
    def _signal_names(cls, signals: dict[str, Signal]) -> dict[str, Signal]:
        reserved = {
            "scope",
            "narrow_scope",
            "scope_statement",
            "impact",
            "mitigation",
            "escalation_request",
            "inquiry",
            "request",
            "question",
        }
        for name in signals:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or name in reserved:
                raise ValueError(
                    f"signal name {name!r} must be snake_case and not one of {sorted(reserved)}"
                )
        return signals


class Template(_Strict):
    subject: str
    body: str

    @model_validator(mode="after")
    def _known_placeholders(self) -> "Template":
        for text in (self.subject, self.body):
            unknown = set(_PLACEHOLDER.findall(text)) - TEMPLATE_PLACEHOLDERS
            if unknown:
                raise ValueError(f"unknown placeholders {sorted(unknown)}")
        return self


# Twilio's final statuses of a call that did not reach its person.
CallOutcome = Literal["no-answer", "busy", "failed"]


class Delivery(_Strict):
    """How notifications reach people: storm protection and provider timing.

    The timing numbers are plain seconds, not durations: ESCALATION_TIME_SCALE speeds up the
    procedure for demos, never the HTTP timeout a real provider needs."""

    throttle_window: Duration = timedelta(minutes=15)
    sms_per_window: int = Field(default=5, ge=1)
    calls_per_window: int = Field(default=3, ge=1)
    http_timeout_seconds: float = Field(default=10, gt=0)
    # One delivery attempt (activity start-to-close); a crashed worker's attempt is retried after.
    attempt_timeout_seconds: float = Field(default=30, gt=0)
    retry_initial_seconds: float = Field(default=1, gt=0)
    retry_maximum_seconds: float = Field(default=60, gt=0)
    # A page nobody answered (Twilio: no-answer, busy, failed) is called again `call_retries`
    # times, `call_retry_after` apart, before SMS and email take over. A policy recorded before
    # retries existed has none: its tickets replay as they ran.
    call_retries: int = Field(default=0, ge=0, le=5)
    call_retry_after: RepeatingDuration = timedelta(minutes=1)
    call_retry_on: list[CallOutcome] = Field(
        default_factory=lambda: ["no-answer", "busy", "failed"], min_length=1
    )

    @model_validator(mode="after")
    def _attempt_outlasts_http(self) -> "Delivery":
        # Above the HTTP timeout, or Temporal would abandon an attempt whose request is still out.
        if self.attempt_timeout_seconds <= self.http_timeout_seconds:
            raise ValueError(
                "attempt_timeout_seconds must be longer than http_timeout_seconds "
                f"({self.attempt_timeout_seconds:g} <= {self.http_timeout_seconds:g})"
            )
        return self

    def limit(self, channel: str) -> int | None:
        """How many messages of this channel one recipient may get per window; None: no limit."""
        return {"sms": self.sms_per_window, "phone": self.calls_per_window}.get(channel)


class WaitingOnCustomer(_Strict):
    """A ticket waiting on the customer: remind them, then resolve as "no reply"."""

    remind_after: Duration = timedelta(days=2)
    resolve_after_reminder: Duration = timedelta(days=7)


AROUND_THE_CLOCK_NAME = "24x7"


class Clocks(_Strict):
    """Which calendar a ticket's clocks (response, acknowledgment, escalation, customer-update
    cadence) run on: a calendar name, or "24x7" for plain elapsed time.

    A priority on "24x7" runs around the clock at every level; otherwise the level holding the
    ticket decides when it names a calendar, else the priority's calendar does."""

    priorities: dict[PriorityName, str] = Field(
        default_factory=lambda: dict.fromkeys(PRIORITY_ORDER, AROUND_THE_CLOCK_NAME)
    )
    levels: dict[LevelNumber, str] = Field(default_factory=dict)

    def calendar_for(self, level: int, priority: PriorityName) -> str:
        chosen = self.priorities.get(priority, AROUND_THE_CLOCK_NAME)
        if chosen == AROUND_THE_CLOCK_NAME:
            return chosen
        return self.levels.get(level, chosen)

    def named(self) -> dict[str, str]:
        """Field path to calendar name, for every entry."""
        entries = {f"clocks.priorities.{p}": name for p, name in self.priorities.items()}
        return entries | {f"clocks.levels.{n}": name for n, name in self.levels.items()}


@lru_cache(maxsize=1)
def shipped_triage() -> TriageRules:
    """The shipped triage rules, for a policy that has none of its own."""
    shipped = tomllib.loads(SHIPPED_POLICY_FILE.read_text(encoding="utf-8"))
    return TriageRules.model_validate(shipped["triage"])


# Read now: a workflow may need them while replaying, and workflow code cannot open files. A
# broken shipped file is reported by load_policy, naming the file and the field.
with contextlib.suppress(OSError, ValueError):
    shipped_triage()


class EscalationPolicy(_Strict):
    """The whole procedure; every SLA number the workflow uses comes from here."""

    name: str
    failed_attempt_limit: int = Field(ge=1)
    customer_update_every: RepeatingDuration
    follow_up_window: Duration
    check_in_fraction: float = Field(gt=0, lt=1)
    security_min_level: LevelNumber
    low_satisfaction_score: int = Field(default=2, ge=1, le=5)
    triage: TriageRules = Field(default_factory=shipped_triage)
    levels: dict[LevelNumber, Level]
    priorities: dict[PriorityName, Priority]
    templates: dict[HandoffLevel, Template]
    delivery: Delivery = Field(default_factory=Delivery)
    waiting_on_customer: WaitingOnCustomer = Field(default_factory=WaitingOnCustomer)
    calendars: dict[str, Calendar] = Field(default_factory=dict)
    clocks: Clocks = Field(default_factory=Clocks)

    @model_validator(mode="after")
    def _clocks_on_usable_calendars(self) -> "EscalationPolicy":
        if AROUND_THE_CLOCK_NAME in self.calendars:
            raise ValueError(f"calendars.{AROUND_THE_CLOCK_NAME}: reserved for plain elapsed time")
        for field, name in self.clocks.named().items():
            if name == AROUND_THE_CLOCK_NAME:
                continue
            if name not in self.calendars:
                known = ", ".join([AROUND_THE_CLOCK_NAME, *self.calendars])
                raise ValueError(f"{field}: unknown calendar {name!r} (known: {known})")
            if not self.calendars[name].open_weekly:
                raise ValueError(f"calendars.{name}.hours: no business hours, but {field} uses it")
        return self

    @model_validator(mode="before")
    @classmethod
    def _recorded_before_triage(cls, data: Any) -> Any:
        """A ticket opened before triage carries a policy with keyword lists in its history;
        replaying it must not fail on lists that are no longer read."""
        if isinstance(data, dict) and "triage" not in data:
            return {key: value for key, value in data.items() if key not in _PRE_TRIAGE_FIELDS}
        return data

    @model_validator(mode="after")
    def _complete(self) -> "EscalationPolicy":
        missing_levels = {1, 2, 3, 4} - set(self.levels)
        if missing_levels:
            raise ValueError(f"levels: missing level(s) {sorted(missing_levels)}")
        missing_priorities = set(PRIORITY_ORDER) - set(self.priorities)
        if missing_priorities:
            raise ValueError(f"priorities: missing {sorted(missing_priorities)}")
        missing_templates = {2, 3, 4} - set(self.templates)
        if missing_templates:
            raise ValueError(
                f"templates: missing template(s) for level(s) {sorted(missing_templates)}"
            )
        owners: dict[str, int] = {}
        for number, level in self.levels.items():
            for category in level.categories:
                if category in owners:
                    raise ValueError(
                        f"levels.{number}.categories: {category!r} already belongs to level "
                        f"{owners[category]}"
                    )
                owners[category] = number
        return self

    def category_level(self, category: str) -> int:
        for number, level in self.levels.items():
            if category in level.categories:
                return number
        raise KeyError(category)

    @property
    def top_level(self) -> int:
        """The highest level (Engineering): escalations stop there and its breaches re-alert it."""
        return max(self.levels)

    @property
    def categories(self) -> list[str]:
        return [category for level in self.levels.values() for category in level.categories]

    def immediate_level(self, priority: PriorityName) -> int:
        """The level a priority demands at once (P1: L4); later targets run on a deadline."""
        rule = self.priorities[priority]
        return rule.escalate_to_level if rule.escalate_within.total_seconds() <= 0 else 1

    def response_window(self, level: int, priority: PriorityName) -> timedelta:
        """The stricter of the level's and the priority's response windows."""
        return min(self.levels[level].respond_within, self.priorities[priority].respond_within)

    def clock(self, level: int, priority: PriorityName) -> BusinessClock:
        """The clock a ticket at this level and priority runs its deadlines on."""
        name = self.clocks.calendar_for(level, priority)
        return AROUND_THE_CLOCK if name == AROUND_THE_CLOCK_NAME else self.calendars[name].clock

    @property
    def team_zone(self) -> str:
        """The team's time zone, for times shown to people: that of the first calendar a clock
        runs on, else of the first calendar, else UTC."""
        named = [name for name in self.clocks.named().values() if name in self.calendars]
        chosen = next(iter(named or self.calendars), None)
        return "UTC" if chosen is None else self.calendars[chosen].timezone

    def around_the_clock(self) -> "EscalationPolicy":
        """A copy whose clocks all run 24x7 (the calendars stay, unused)."""
        return self.model_copy(update={"clocks": Clocks()})

    def scaled(self, factor: float) -> "EscalationPolicy":
        """A copy with every duration divided by factor (ESCALATION_TIME_SCALE) and every clock
        on 24x7: calendars keep real hours, so a window of seconds would wait for Monday."""
        return EscalationPolicy.model_validate(_scale(self.model_dump(), factor)).around_the_clock()


def _scale(value: object, factor: float) -> object:
    if isinstance(value, timedelta):
        return value / factor
    if isinstance(value, dict):
        return {key: _scale(item, factor) for key, item in value.items()}
    if isinstance(value, list):
        return [_scale(item, factor) for item in value]
    return value
