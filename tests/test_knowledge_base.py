"""The solution library on SQLite FTS5 and PostgreSQL full-text search, and its use at intake."""

from pathlib import Path

import pytest
from sqlalchemy import Engine

from store.kb import KnowledgeBase, articles_dir, load_articles, parse_article
from store.schema import events
from tests.conftest import Service
from tests.helpers import delivered, eventually, start, status, stored
from tests.test_cli import cli, cli_service  # noqa: F401 - cli_service is a fixture

PASSWORD_ARTICLES = {"reset-your-password", "password-reset-link-expired"}


def test_the_shipped_articles_cover_the_level_one_issues() -> None:
    articles = load_articles(articles_dir())
    assert {a.category for a in articles} >= {
        "password_resets",
        "account_access_problems",
        "basic_billing_questions",
        "general_product_inquiries",
    }
    assert all(a.title and a.body and not a.body.startswith("---") for a in articles)


def test_search_ranks_articles_and_marks_those_for_the_ticket_category(engine: Engine) -> None:
    kb = KnowledgeBase(engine, "https://help.example.com/kb/")
    matches = kb.search("Resetting my password does not work", "password_resets")
    assert {m.slug for m in matches[:2]} == PASSWORD_ARTICLES  # stemming: resetting ~ reset
    assert [m.fits for m in matches[:2]] == [True, True]
    assert matches[0].url == f"https://help.example.com/kb/{matches[0].slug}"
    assert matches[0].score >= matches[1].score
    [invoice, *_] = kb.search("Where do I download last month's invoices?")
    assert (invoice.slug, invoice.fits) == ("download-invoices", False)  # no category: no fit
    assert kb.search("how do I do it?") == []  # nothing but common words


def test_sync_follows_the_folder(engine: Engine, tmp_path: Path) -> None:
    kb = KnowledgeBase(engine)
    articles = [a for a in load_articles(articles_dir()) if a.slug != "download-invoices"]
    changed = parse_article(
        "export-your-data", "---\ntitle: Export spreadsheets\ncategory: x\n---\nZebra quilt."
    )
    kb.sync([a for a in articles if a.slug != "export-your-data"] + [changed])
    assert "download-invoices" not in {m.slug for m in kb.search("download invoices receipts")}
    [found] = kb.search("zebra")
    assert (found.slug, found.title, found.category) == (
        "export-your-data",
        "Export spreadsheets",
        "x",
    )


async def test_intake_offers_fitting_articles_to_the_customer(recorded_service: Service):
    handle = await start(
        recorded_service,
        subject="Password reset link expired",
        description="I asked to reset my password but the link does not work.",
        category="password_resets",
    )
    record = await eventually(handle, lambda r: delivered(r, "acknowledgment"))
    assert {m.slug for m in record.kb_matches[:2]} == PASSWORD_ARTICLES
    [ack] = [
        row
        for row in recorded_service.outbox.read("notifications")
        if row["ticket_id"] == record.ticket_id and row["kind"] == "acknowledgment"
    ]
    for match in record.kb_matches[:2]:
        assert f"- {match.title}: {match.url}" in str(ack["body"])


async def test_agents_see_matches_the_customer_is_not_sent(recorded_service: Service):
    handle = await start(
        recorded_service,
        subject="Export",
        description="How can I export my data as CSV files?",
        category=None,
        priority="P4",
    )
    record = await eventually(handle, lambda r: delivered(r, "acknowledgment"))
    assert record.kb_matches[0].slug == "export-your-data" and not record.kb_matches[0].fits
    [ack] = [
        row
        for row in recorded_service.outbox.read("notifications")
        if row["ticket_id"] == record.ticket_id and row["kind"] == "acknowledgment"
    ]
    assert "articles may already answer" not in str(ack["body"])


async def test_resolve_from_the_cli_names_the_article(
    cli_service: Service,  # noqa: F811 - the fixture imported above
    capsys: pytest.CaptureFixture[str],
) -> None:
    handle = await start(cli_service, priority="P4", category="password_resets")
    ticket_id = (await status(handle)).ticket_id
    result = await cli(
        capsys, "resolve", ticket_id, "--by", "sam", "--resolution", "Reset", "--article", "x-y"
    )
    assert result.code == 0, result.err
    rows = await stored(
        cli_service.engine, events, ticket_id, lambda r: any(e.event == "resolved" for e in r)
    )
    assert [r.article for r in rows if r.event == "resolved"] == ["x-y"]
