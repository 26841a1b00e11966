"""The documents stay true as files move: every relative link (and its #anchor) resolves, every
document is reachable from the README, and the README's layout names every top-level folder."""

import os
import re
import subprocess
from functools import cache
from itertools import pairwise
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from tests.documents import DOCS, DOCUMENTS, README
from tests.stack import ROOT

MARKDOWN = MarkdownIt("commonmark").enable("table")


def tokens(document: Path) -> list[Token]:
    """The document's tokens with inline children flattened (links live inside inline tokens)."""
    flat = []
    for token in MARKDOWN.parse(document.read_text(encoding="utf-8")):
        flat.append(token)
        flat.extend(token.children or [])
    return flat


def targets(document: Path) -> list[str]:
    """Where the document's links and images point, code blocks excluded."""
    found = []
    for token in tokens(document):
        if token.type == "link_open":
            found.append(str(token.attrs["href"]))
        elif token.type == "image":
            found.append(str(token.attrs["src"]))
    return found


def github_slug(heading: str) -> str:
    # GitHub's heading anchors: lower case, punctuation dropped (word characters, hyphens and
    # spaces kept), spaces turned into hyphens.
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


@cache
def anchors(document: Path) -> frozenset[str]:
    """The #anchors GitHub gives the document's headings (a repeated one gets -1, -2, ...)."""
    found: set[str] = set()
    repeats: dict[str, int] = {}
    for opening, inline in pairwise(MARKDOWN.parse(document.read_text(encoding="utf-8"))):
        if opening.type != "heading_open":
            continue
        slug = github_slug("".join(child.content for child in inline.children or []))
        found.add(f"{slug}-{repeats[slug]}" if slug in repeats else slug)
        repeats[slug] = repeats.get(slug, 0) + 1
    return frozenset(found)


def broken(document: Path, target: str) -> str | None:
    """Why a relative link does not resolve, or None when it does (or is not relative)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    path = (document.parent / unquote(parts.path)).resolve() if parts.path else document
    if not path.exists():
        return f"{target}: no {os.path.relpath(path, ROOT)}"
    if parts.fragment and path.suffix == ".md" and parts.fragment not in anchors(path):
        return f"{target}: no heading #{parts.fragment} in {path.relative_to(ROOT)}"
    return None


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_relative_links_resolve(document: Path) -> None:
    problems = [problem for target in targets(document) if (problem := broken(document, target))]
    assert not problems


def test_every_document_is_linked_from_the_readme() -> None:
    linked = {
        (ROOT / unquote(urlsplit(target).path)).resolve()
        for target in targets(README)
        if not urlsplit(target).scheme
    }
    unlinked = [str(doc.relative_to(ROOT)) for doc in DOCUMENTS[1:] if doc not in linked]
    assert not unlinked, "link them from the README's Reference list"
    assert DOCS / "openapi.json" in linked


def layout_section() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Layout\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    assert match, "the README has no Layout section"
    return match[1]


def test_layout_names_every_top_level_folder() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    folders = {path.split("/")[0] for path in tracked if "/" in path}
    assert "tests" in folders
    layout = layout_section()
    missing = sorted(folder for folder in folders if f"`{folder}/`" not in layout)
    assert not missing, "describe them in the README's Layout"
