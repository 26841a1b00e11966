"""The solution library: Markdown articles in a folder, indexed for full-text search
(SQLite FTS5 with the Porter stemmer, PostgreSQL's English text search)."""

import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, delete, text

from contract.kb import KbMatch
from store.database import dialect_insert
from store.schema import kb_articles

SHIPPED_ARTICLES = Path(__file__).resolve().parent.parent / "knowledge_base"
DEFAULT_URL = "https://support.example.com/kb"
# Words that match every article; dropped so they do not drown the ones that matter.
STOPWORD_TEXT = (
    "a an and are as at be but by can do does for from have how i if in into is it its me my "
    "no not of on or our please so that the their this to was we what when where which why "
    "will with you your"
)
STOPWORDS = frozenset(STOPWORD_TEXT.split())
MAX_TERMS = 32

SQLITE_SEARCH = text(
    "SELECT a.slug, a.title, a.category, -bm25(kb_search, 0.0, 4.0, 1.0) AS score "
    "FROM kb_search JOIN kb_articles a ON a.slug = kb_search.slug "
    "WHERE kb_search MATCH :query ORDER BY score DESC, a.slug LIMIT :limit"
)
POSTGRESQL_SEARCH = text(
    "SELECT slug, title, category, ts_rank_cd(search, query) AS score "
    "FROM kb_articles, to_tsquery('english', :query) AS query "
    "WHERE search @@ query ORDER BY score DESC, slug LIMIT :limit"
)


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    category: str | None
    body: str


def articles_dir() -> Path:
    return Path(os.environ.get("KNOWLEDGE_BASE_DIR") or SHIPPED_ARTICLES)


def articles_url() -> str:
    return os.environ.get("KNOWLEDGE_BASE_URL") or DEFAULT_URL


def load_articles(directory: Path) -> list[Article]:
    return [
        parse_article(path.stem, path.read_text("utf-8")) for path in sorted(directory.glob("*.md"))
    ]


def parse_article(slug: str, source: str) -> Article:
    """`---` front matter with `title:` and `category:` lines, then the Markdown body."""
    fields: dict[str, str] = {}
    body = source
    if source.startswith("---\n"):
        header, _, body = source[4:].partition("\n---\n")
        for line in header.splitlines():
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    title = fields.get("title") or slug.replace("-", " ").capitalize()
    return Article(slug, title, fields.get("category") or None, body.strip())


def search_terms(query: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+", query.lower())
    unique = dict.fromkeys(w for w in words if len(w) > 1 and w not in STOPWORDS)
    return list(unique)[:MAX_TERMS]


class KnowledgeBase:
    def __init__(self, engine: Engine, base_url: str = DEFAULT_URL) -> None:
        self._engine = engine
        self._base_url = base_url.rstrip("/")

    def sync(self, articles: list[Article]) -> None:
        """Make the indexed library equal to articles (upserts, so workers may start together)."""
        with self._engine.begin() as connection:
            for article in articles:
                insert = dialect_insert(connection, kb_articles).values(**vars(article))
                connection.execute(
                    insert.on_conflict_do_update(
                        index_elements=["slug"],
                        set_={k: insert.excluded[k] for k in ("title", "category", "body")},
                    )
                )
            slugs = [article.slug for article in articles]
            connection.execute(delete(kb_articles).where(kb_articles.c.slug.not_in(slugs)))

    def search(self, query: str, category: str | None = None, limit: int = 3) -> list[KbMatch]:
        """Articles sharing any word with query, best first; any word may match (OR)."""
        terms = search_terms(query)
        if not terms:
            return []
        with self._engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                statement, expression = POSTGRESQL_SEARCH, " | ".join(terms)
            else:
                statement, expression = SQLITE_SEARCH, " OR ".join(f'"{t}"' for t in terms)
            rows = connection.execute(statement, {"query": expression, "limit": limit}).all()
        return [
            KbMatch(
                slug=row.slug,
                title=row.title,
                category=row.category,
                url=f"{self._base_url}/{row.slug}",
                score=round(float(row.score), 4),
                fits=category is not None and row.category == category,
            )
            for row in rows
        ]
