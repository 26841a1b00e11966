"""The decision: which findings are asserted, what priority and level they call for, and the
evidence a person sees for it."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal

from policy.models import PRIORITY_ORDER, EscalationPolicy, PriorityName, TriageRules
from triage.context import CUES, FAULT, SECURITY, STATEMENT, Reading, SentenceContext
from triage.phrases import Match, PhraseBook
from triage.reading import Sentence, latest_reply, sentences

# Lists that are read like a signal (a fault can be negated, asked for, hypothetical, past).
_FAULT_LISTS = ("scope", "impact")
# Lists that are discounted only when negated ("no workaround", "no need to escalate").
_STATEMENT_LISTS = (
    "scope_statement",
    "narrow_scope",
    "mitigation",
    "escalation_request",
    "inquiry",
)
_LISTS = (*_FAULT_LISTS, *_STATEMENT_LISTS)
# Texts whose findings each compiled rule set keeps (Reader.findings).
_TEXTS_KEPT = 1024


@dataclass(frozen=True)
class Evidence:
    """A phrase that decided: the policy list it belongs to, the policy's phrase, the words as
    the customer wrote them, the priority it suggests, and how it was read."""

    signal: str
    phrase: str
    text: str
    suggests: PriorityName | None = None
    reading: Reading = "asserted"
    security: Literal["incident", "concern"] | None = None

    def __str__(self) -> str:
        shown = f'{self.signal} "{self.text}"'
        return shown if self.reading == "asserted" else f"{shown} ({self.reading})"


@dataclass(frozen=True)
class Triage:
    """What the ticket's text shows: a priority suggestion, the level it needs at once, and why."""

    priority: PriorityName
    min_level: int
    security_incident: bool
    security_concern: bool
    escalation_requested: bool
    evidence: tuple[Evidence, ...]
    # Phrases found but read as negated, asked for, hypothetical or past: shown, never counted.
    discounted: tuple[Evidence, ...] = field(default=())

    @property
    def critical(self) -> tuple[str, ...]:
        """The seed's "critical keywords", as the customer wrote them: the words of P1/P2 evidence
        other than security."""
        if self.priority not in ("P1", "P2"):
            return ()
        faults = (e for e in self.evidence if e.security is None)
        return _words(e for e in faults if e.signal != "escalation_request")

    @property
    def security(self) -> tuple[str, ...]:
        """The words of security evidence, as the customer wrote them."""
        return _words(e for e in self.evidence if e.security is not None)

    def describe(self) -> str:
        """One line for a page, a reason or the UI: `outage "is down"; scope "for everyone"`."""
        return "; ".join(str(e) for e in self.evidence) or "no evidence in the text"


@dataclass(frozen=True)
class _Finding:
    evidence: Evidence
    sentence: int


class Reader:
    """The policy's triage lists compiled once; reads any number of texts."""

    def __init__(self, rules: TriageRules) -> None:
        self.rules = rules
        cues = rules.cues
        # A "*" never skips a clause boundary: "not down but the sync" is no "not * sync".
        stops = frozenset(t for t in cues.terminators if " " not in t)
        self._book = PhraseBook(
            {
                **{("signal", name): s.phrases for name, s in rules.signals.items()},
                **{("list", name): getattr(rules, name) for name in _LISTS},
                ("pseudo", "pseudo"): cues.pseudo,
                **{("cue", name): getattr(cues, name) for name in CUES},
            },
            cues.gap,
            stops,
        )
        # What a text says, read once per rule set: `simulate` replays each ticket under two
        # policies that usually share their triage lists. lru_cache is safe across the worker's
        # workflow threads, which share this module.
        self.findings: Callable[[str], tuple[_Finding, ...]] = lru_cache(maxsize=_TEXTS_KEPT)(
            self._findings
        )

    def _findings(self, text: str) -> tuple[_Finding, ...]:
        found = []
        top = text[: self.rules.read_chars]
        for index, sentence in enumerate(sentences(latest_reply(top))):
            found_in = self._book.find(sentence)
            pseudo = found_in["pseudo", "pseudo"]
            signals = [
                (name, match)
                for name in self.rules.signals
                for match in found_in["signal", name]
                if not any(match.within(p) for p in pseudo)
            ]
            cues = {name: found_in["cue", name] for name in CUES}
            context = SentenceContext(
                sentence, cues, self.rules.cues.reach, [match for _, match in signals]
            )
            for name, match in signals:
                signal = self.rules.signals[name]
                reading = context.read(match, SECURITY if signal.security else FAULT)
                text = sentence.quote(match.start, match.end)
                evidence = Evidence(
                    name, match.phrase, text, signal.priority, reading, signal.security
                )
                found.append(_Finding(evidence, index))
            for name in _LISTS:
                discounts = FAULT if name in _FAULT_LISTS else STATEMENT
                for match in found_in["list", name]:
                    reading = context.read(match, discounts)
                    found.append(_finding(name, match, sentence, index, reading, None))
            for cue in context.requests:
                found.append(_finding("request", cue, sentence, index, "asserted", None))
            if sentence.question:
                question = Evidence("question", "?", sentence.text[:120])
                found.append(_Finding(question, index))
        return tuple(found)


def _finding(
    name: str,
    match: Match,
    sentence: Sentence,
    index: int,
    reading: Reading,
    suggests: PriorityName | None,
) -> _Finding:
    text = sentence.quote(match.start, match.end)
    return _Finding(Evidence(name, match.phrase, text, suggests, reading), index)


_RULE_SETS_KEPT = 8
_READERS: dict[int, tuple[TriageRules, Reader]] = {}


@lru_cache(maxsize=_RULE_SETS_KEPT)
def _reader(rules_json: str) -> Reader:
    return Reader(TriageRules.model_validate_json(rules_json))


def reader_for(rules: TriageRules) -> Reader:
    """Compiled once per distinct rule set: each workflow run gets its own copy of the policy.
    The same copy asks again for every text it reads, so it is known by identity first (the
    entry keeps it alive: its id cannot be reused meanwhile)."""
    known = _READERS.get(id(rules))
    if known is None or known[0] is not rules:
        if len(_READERS) >= _RULE_SETS_KEPT:
            _READERS.clear()  # one step, safe across the worker's workflow threads
        known = (rules, _reader(rules.model_dump_json()))
        _READERS[id(rules)] = known
    return known[1]


def assess(policy: EscalationPolicy, text: str) -> Triage:
    """Read a ticket or a customer message the way a support lead would."""
    rules = policy.triage
    found = reader_for(rules).findings(text)
    asserted = [f for f in found if f.evidence.reading == "asserted"]
    listed = {
        name: [f.evidence for f in asserted if f.evidence.signal == name]
        for name in (*_FAULT_LISTS, *_STATEMENT_LISTS, "request", "question")
    }
    priority, evidence = _fault_priority(rules, asserted)
    if priority is None:
        asks = listed["inquiry"] + listed["request"] + listed["question"]
        priority = rules.question_priority if asks else rules.default_priority
        evidence = asks
    else:
        if listed["impact"] and _rank(rules.impact_priority) < _rank(priority):
            priority, evidence = rules.impact_priority, evidence + listed["impact"]
        mitigable = priority != PRIORITY_ORDER[0]
        if mitigable and listed["mitigation"] and _rank(priority) < _rank(rules.mitigated_priority):
            priority, evidence = rules.mitigated_priority, evidence + listed["mitigation"]
    security = [f.evidence for f in asserted if f.evidence.security]
    incident = any(e.security == "incident" for e in security)
    evidence = _unique(evidence + security + listed["escalation_request"])
    min_level = policy.immediate_level(priority)
    if security:
        min_level = max(min_level, policy.security_min_level)
    return Triage(
        priority=priority,
        min_level=min_level,
        security_incident=incident,
        security_concern=bool(security),
        escalation_requested=bool(listed["escalation_request"]),
        evidence=tuple(evidence),
        discounted=tuple(_unique([f.evidence for f in found if f.evidence.reading != "asserted"])),
    )


def with_caller(
    rules: TriageRules, found: Triage, caller: PriorityName | None
) -> tuple[PriorityName, bool]:
    """The ticket's priority and whether the content raised the caller's: content at
    raises_caller_from or more urgent raises a lower caller priority, and never lowers one."""
    if caller is None:
        return found.priority, False
    raises = _rank(found.priority) <= _rank(rules.raises_caller_from)
    if raises and _rank(found.priority) < _rank(caller):
        return found.priority, True
    return caller, False


def _fault_priority(
    rules: TriageRules, asserted: list[_Finding]
) -> tuple[PriorityName | None, list[Evidence]]:
    """The most urgent fault, a signal raised to its `scoped` priority by a wide scope in its
    sentence or in a sentence saying who is affected, with the evidence of every fault at that
    priority."""
    stated = {f.sentence for f in asserted if f.evidence.signal == "scope_statement"}
    ticket_scope = [
        f.evidence for f in asserted if f.sentence in stated and f.evidence.signal == "scope"
    ]
    faults: list[tuple[PriorityName, list[Evidence]]] = []
    for finding in asserted:
        signal = rules.signals.get(finding.evidence.signal)
        if signal is None:
            continue
        in_sentence = [f.evidence for f in asserted if f.sentence == finding.sentence]
        narrow = any(e.signal == "narrow_scope" for e in in_sentence)
        scope = [e for e in in_sentence if e.signal == "scope" and not narrow] or ticket_scope
        priority = signal.priority
        if signal.scoped and scope and _rank(signal.scoped) < _rank(priority):
            priority = signal.scoped
        else:
            scope = []
        faults.append((priority, [replace(finding.evidence, suggests=priority), *scope]))
    if not faults:
        return None, []
    best = min((priority for priority, _ in faults), key=_rank)
    return best, [e for priority, shown in faults if priority == best for e in shown]


def _rank(priority: PriorityName) -> int:
    return PRIORITY_ORDER.index(priority)


def _words(evidence: Iterable[Evidence]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(e.text.lower() for e in evidence))


def _unique(evidence: list[Evidence]) -> list[Evidence]:
    """Once per list and words: "fails" and "failing" may both have matched "failing"."""
    return list({(e.signal, e.text): e for e in reversed(evidence)}.values())[::-1]
