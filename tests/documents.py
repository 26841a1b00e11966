"""The project's documentation: the README (the front door), the reference in docs/ and the
benchmark's README. Tests that keep the documents true read this list."""

from tests.stack import ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"
DOCUMENTS = [README, *sorted(DOCS.glob("*.md")), ROOT / "bench" / "README.md"]
