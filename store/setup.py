"""Everything a process needs before it uses the store: schema and indexed articles."""

from sqlalchemy import Engine

from store.kb import KnowledgeBase, articles_dir, articles_url, load_articles
from store.migrate import migrate


def prepare_store(engine: Engine) -> int:
    """Migrate to the latest schema and index the knowledge base; returns the article count."""
    migrate(engine)
    articles = load_articles(articles_dir())
    KnowledgeBase(engine, articles_url()).sync(articles)
    return len(articles)
