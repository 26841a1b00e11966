"""Policy phrases compiled to word patterns, and where they occur in a sentence."""

from collections.abc import Iterable
from dataclasses import dataclass

from triage.reading import Key, Sentence, is_mark, words

# One slot: the word sequences it accepts ("cannot|unable" gives (("can", "not"), ("unable",))),
# each word a dictionary form, or "=" and the form as written ("=were").
Slot = tuple[tuple[str, ...], ...]
GAP: Slot = ()


@dataclass(frozen=True)
class Pattern:
    text: str  # as written in the policy: the evidence names it
    slots: tuple[Slot, ...]


@dataclass(frozen=True)
class Match:
    phrase: str
    start: int
    end: int
    gap: frozenset[int]  # words the pattern's "*" skipped: a "not" there negates the phrase

    def within(self, other: "Match") -> bool:
        """Inside other and shorter: "down" within "slow down", "not" within "not only"."""
        inside = other.start <= self.start and self.end <= other.end
        return inside and self.end - self.start < other.end - other.start


def compile_pattern(text: str) -> Pattern:
    slots: list[Slot] = []
    for part in text.split():
        if part == "*":
            slots.append(GAP)
        elif "|" in part:
            slots.append(tuple(_lemmas(alternative) for alternative in part.split("|")))
        else:
            slots.extend(((lemma,),) for lemma in _lemmas(part))
    return Pattern(text, tuple(slots))


def _lemmas(text: str) -> tuple[str, ...]:
    if text.startswith("="):
        return tuple(f"={word.form}" for word in words(text[1:]))
    return tuple(word.lemma for word in words(text))


# A list's name in a PhraseBook: its group ("signal", "list", "cue") and its name there.
ListName = tuple[str, str]


class PhraseBook:
    """Policy lists compiled together, indexed by the first word of each phrase: a sentence is
    scanned once for all of them (a reader asks some twenty lists about every sentence, and
    scanning per list was most of `simulate`'s triage)."""

    def __init__(
        self, lists: dict[ListName, Iterable[str]], gap: int, stops: frozenset[str]
    ) -> None:
        """gap: how many words a "*" skips at most; never a clause mark nor one of stops."""
        self._gap = gap
        self._stops = stops
        self._names = tuple(lists)
        self._by_first: dict[str, list[tuple[ListName, Pattern]]] = {}
        for name, phrases in lists.items():
            # "fails" and "failed" compile alike: the first written is the one the evidence names.
            patterns: dict[tuple[Slot, ...], Pattern] = {}
            for phrase in phrases:
                pattern = compile_pattern(phrase)
                patterns.setdefault(pattern.slots, pattern)
            for pattern in patterns.values():
                for first in {alternative[0] for alternative in pattern.slots[0]}:
                    self._by_first.setdefault(first, []).append((name, pattern))

    def find(self, sentence: Sentence) -> dict[ListName, list[Match]]:
        """Each list's matches in the sentence, in the order of the words they start at."""
        said = sentence.keys
        found: dict[ListName, list[Match]] = {name: [] for name in self._names}
        for start, keys in enumerate(said):
            for key in keys:  # the word's dictionary form, then "=" and its form as written
                for name, pattern in self._by_first.get(key, ()):
                    end = self._match(pattern.slots, said, start, frozenset())
                    if end is not None:
                        found[name].append(Match(pattern.text, start, end[0], end[1]))
        return found

    def _match(
        self, slots: tuple[Slot, ...], said: tuple[Key, ...], at: int, gap: frozenset[int]
    ) -> tuple[int, frozenset[int]] | None:
        """The shortest match of slots from `at`: its end and the words its gaps skipped."""
        if not slots:
            return at, gap
        slot, rest = slots[0], slots[1:]
        if slot == GAP:
            for skip in range(self._gap + 1):
                skipped = range(at, at + skip)
                if at + skip > len(said) or any(self._stop(said[i][0]) for i in skipped):
                    return None
                found = self._match(rest, said, at + skip, gap | frozenset(skipped))
                if found is not None:
                    return found
            return None
        for alternative in slot:
            if _says(said, at, alternative):
                found = self._match(rest, said, at + len(alternative), gap)
                if found is not None:
                    return found
        return None

    def _stop(self, lemma: str) -> bool:
        return is_mark(lemma) or lemma in self._stops


def _says(said: tuple[Key, ...], at: int, alternative: tuple[str, ...]) -> bool:
    """Whether the words from `at` are the alternative's: each its dictionary form, or "="
    and the form as written."""
    if at + len(alternative) > len(said):
        return False
    for offset, expected in enumerate(alternative):
        lemma, form = said[at + offset]
        if expected != (form if expected[0] == "=" else lemma):
            return False
    return True
