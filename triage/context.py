"""NegEx/ConText, sentence-scoped: is a phrase asserted, or negated, asked for, hypothetical or
in the past? Forward cues reach a few words, to the end of their clause; clause cues (past,
resolved, ongoing) cover the clause they stand in."""

from typing import Literal

from triage.phrases import Match
from triage.reading import Sentence, is_mark

Reading = Literal[
    "asserted", "negated", "requested", "hypothetical", "historical", "resolved", "own_action"
]
# What each kind of finding can be discounted by: a fault asked for ("please shut down our
# workspace") is no fault, but a request to escalate is still a request; a leak the customer
# caused ("our intern accidentally posted the password") is still a security incident.
FAULT: tuple[Reading, ...] = (
    "negated",
    "requested",
    "hypothetical",
    "historical",
    "resolved",
    "own_action",
)
SECURITY: tuple[Reading, ...] = ("negated", "requested", "hypothetical", "historical", "resolved")
STATEMENT: tuple[Reading, ...] = ("negated",)


# The cue lists a sentence is searched for (policy `triage.cues`).
CUES = (
    "negation",
    "pseudo_negation",
    "request",
    "hypothetical",
    "own_action",
    "historical",
    "resolved",
    "ongoing",
    "terminators",
    "request_terminators",
)


class SentenceContext:
    """The cues of one sentence, and what they do to a phrase found in it."""

    def __init__(
        self, sentence: Sentence, cues: dict[str, list[Match]], reach: int, phrases: list[Match]
    ) -> None:
        """cues: each of CUES found in the sentence; reach: how many words a forward cue covers;
        phrases: the signals found in the sentence; a "not" that is part of one ("not
        working") is no negation of what follows it ("not working for everyone")."""
        pseudo = cues["pseudo_negation"]
        self._negations = [
            cue
            for cue in cues["negation"]
            if not any(cue.within(p) for p in pseudo)
            and not any(_part_of(cue, phrase) for phrase in phrases)
        ]
        self.requests = cues["request"]
        self._hypotheticals = cues["hypothetical"]
        self._own_actions = cues["own_action"]
        self._past = cues["historical"]
        self._resolved = cues["resolved"]
        self._ongoing = cues["ongoing"]
        marks = [i for i, word in enumerate(sentence.words) if is_mark(word.lemma)]
        self._ends = sorted(marks + [m.start for m in cues["terminators"]])
        self._request_ends = sorted(self._ends + [m.start for m in cues["request_terminators"]])
        self._reach = reach
        self._length = len(sentence.words)

    def read(self, found: Match, discounts: tuple[Reading, ...]) -> Reading:
        checks: list[tuple[Reading, bool]] = [
            ("negated", self._after(self._negations, found, self._ends)),
            ("requested", self._after(self.requests, found, self._request_ends)),
            ("own_action", self._in_clause_of(self._own_actions, found)),
            ("hypothetical", self._after(self._hypotheticals, found, self._ends)),
            ("historical", self._over(self._past, found)),
            ("resolved", self._over(self._resolved, found)),
        ]
        hits = (reading for reading, hit in checks if hit and reading in discounts)
        return next(hits, "asserted")

    def _after(self, cues: list[Match], found: Match, ends: list[int]) -> bool:
        for cue in cues:
            if found.start <= cue.start < found.end:
                if cue.start in found.gap:  # "data was not lost"
                    return True
                continue  # the cue is part of the phrase itself: "not working"
            if cue.end <= found.start < self._reach_end(cue, ends):
                return True
        return False

    def _reach_end(self, cue: Match, ends: list[int]) -> int:
        boundary = next((end for end in ends if end >= cue.end), self._length)
        return min(cue.end + self._reach, boundary)

    def _over(self, cues: list[Match], found: Match) -> bool:
        """A past or resolved cue in the phrase's clause, and nothing saying it goes on."""
        return self._in_clause_of(cues, found) and not self._in_clause_of(self._ongoing, found)

    def _in_clause_of(self, cues: list[Match], found: Match) -> bool:
        clause = self._clause(found.start)
        return any(self._clause(cue.start) == clause for cue in cues)

    def _clause(self, position: int) -> int:
        return sum(1 for end in self._ends if end <= position)


def _part_of(cue: Match, phrase: Match) -> bool:
    return phrase.start <= cue.start < phrase.end and cue.start not in phrase.gap
