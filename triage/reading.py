"""A customer's text as a support lead reads it: only the latest reply, in sentences of words,
each word in its dictionary form so that "outages" and "crashed" meet "outage" and "crash"."""

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

import quotequail
import simplemma

# A reply's subject ("Re: Platform down") repeats the subject of the earlier message.
_REPLY_SUBJECT = re.compile(r"^[ \t]*(?:re|fwd?|aw|wg|sv|vs|tr)[ \t]*:.*$", re.I | re.M)
# Quoted lines the stripper leaves when no "On ... wrote:" header introduces them.
_QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.M)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\s*\n\s*")
# Words (hyphenated compounds stay one word: "drop-down", "cool-down") and clause marks.
_TOKEN = re.compile(r"[^\W_]+(?:[-'\u2019][^\W_]+)*|[,;:()]|(?<=\s)[-\u2013\u2014](?=\s)")

# Negations fused into one word, with or without the apostrophe customers often leave out.
_FUSED = {
    "cannot": ("can", "not"),
    "can't": ("can", "not"),
    "cant": ("can", "not"),
    "won't": ("will", "not"),
    "wont": ("will", "not"),
}
_NT_WITHOUT_APOSTROPHE = frozenset(
    {"dont", "doesnt", "didnt", "isnt", "wasnt", "arent", "werent", "couldnt", "wouldnt"}
    | {"shouldnt", "havent", "hasnt", "hadnt"}
)
# After these words "'s" is "is" ("it's down"); elsewhere it marks a possessive ("week's").
_IS_AFTER = frozenset(
    {"it", "that", "there", "here", "what", "who", "where", "how", "he", "she", "everything"}
    | {"nothing", "something"}
)
_CLITICS = {"re": "are", "ve": "have", "ll": "will", "d": "would", "m": "am"}


@dataclass(frozen=True)
class Word:
    lemma: str
    form: str  # as written, lower case: what "=word" in a phrase matches
    start: int  # offsets in the sentence, to quote the evidence as the customer wrote it
    end: int


# A word as the phrase lists look it up: its dictionary form, and "=" with the form as written.
Key = tuple[str, str]


@dataclass(frozen=True)
class Sentence:
    text: str
    words: tuple[Word, ...]
    question: bool

    @cached_property
    def keys(self) -> tuple[Key, ...]:
        return tuple((word.lemma, f"={word.form}") for word in self.words)

    def quote(self, start: int, end: int) -> str:
        return self.text[self.words[start].start : self.words[end - 1].end]


def latest_reply(text: str) -> str:
    """The customer's own words: quoted earlier messages, reply subjects and quote marks dropped."""
    text = text.replace("\r\n", "\n")
    reply = (quotequail.unwrap(text) or {}).get("text_top", text)
    return _QUOTED_LINE.sub("", _REPLY_SUBJECT.sub("", reply))


def sentences(text: str) -> list[Sentence]:
    found = []
    for part in _SENTENCE_BREAK.split(text):
        part = part.strip()
        sentence_words = words(part)
        if sentence_words:
            found.append(Sentence(part, sentence_words, part.endswith("?")))
    return found


def words(text: str) -> tuple[Word, ...]:
    found: list[Word] = []
    for match in _TOKEN.finditer(text):
        for form in _split(match.group().lower().replace("\u2019", "'")):
            found.append(Word(lemma(form), form, match.start(), match.end()))
    return tuple(found)


def _split(token: str) -> tuple[str, ...]:
    """A token's words as written: "isn't" is "is" and "not", "week's" is "week" and "'s"."""
    if token in _FUSED:
        return _FUSED[token]
    if token in _NT_WITHOUT_APOSTROPHE:
        return (token[:-2], "not")
    if token.endswith("n't"):
        return (token[:-3], "not")
    base, apostrophe, clitic = token.partition("'")
    if not apostrophe:
        return (token,)
    if clitic == "s":
        return (base, "is" if base in _IS_AFTER else "'s")
    return (base, _CLITICS.get(clitic, clitic))


def is_mark(lemma: str) -> bool:
    """A clause mark (comma, colon, dash...), not a word."""
    return not any(character.isalnum() for character in lemma)


_PLURAL_NUMBER = re.compile(r"(\d+)s")


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    if _PLURAL_NUMBER.fullmatch(word):
        return word[:-1]  # "502s" are 502 errors
    if not word.isalpha():
        return word  # numbers, codes and hyphenated compounds are matched as written
    return simplemma.lemmatize(word, lang="en").lower()


# simplemma reads its English dictionary on first use: do it now, at import, because workflow
# code (where intake and customer messages are read) cannot open files.
lemma("outages")
