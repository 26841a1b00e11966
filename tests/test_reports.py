"""Report figures against the hand-computed KPIs of tests/report_fixture.py, on both databases."""

import json
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from policy import load_policy
from reports.build import render
from reports.kpis import build_report, percentile
from starter.cli.main import run
from store.queries import TicketFacts, load_tickets
from store.records import RecordStore
from tests.report_fixture import SINCE, UNTIL, load_fixture


@pytest.fixture
def report(engine: Engine) -> dict:
    load_fixture(RecordStore(engine))
    return build_report(load_tickets(engine, SINCE, UNTIL), SINCE, UNTIL)


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([600, 1800, 3600, 11400], 0.5) == 2700
    assert percentile([600, 1800, 3600, 11400], 0.9) == pytest.approx(9060)
    assert percentile([7], 0.9) == 7 and percentile([], 0.5) is None


def test_headline_rates(report: dict) -> None:
    # F was opened before the window; E's rejected acknowledgment is no response.
    assert report["tickets"] == 5
    assert report["escalation_rate"] == 0.4  # B, C
    assert report["resolution_rate"] == 0.6  # A, B, D (D resolved again after reopening)
    assert report["sla_breach_rate"] == 0.2  # C
    assert report["escalations"] == {
        "tickets": 2,
        "handoffs": 3,
        "repeat_tickets": 1,
        "repeat_rate": 0.5,
    }


def test_time_metrics(report: dict) -> None:
    # first responses 600 (D), 1800 (B), 3600 (A), 11400 (C)
    assert report["first_response_time"] == {
        "count": 4,
        "p50_seconds": 2700.0,
        "p90_seconds": 9060.0,
    }
    # resolutions 14400 (D, to its last resolution), 18000 (A), 28800 (B)
    assert report["resolution_time"] == {"count": 3, "p50_seconds": 18000.0, "p90_seconds": 26640.0}
    # trigger to the receiving level's first acknowledgment: B's L3 acknowledged 30 min after
    # its trigger, C's L4 10 min after the missed L3 response was due (3 h), C's L3 never did;
    # F's is outside the window
    assert report["escalation_time"] == {"count": 2, "p50_seconds": 1200.0, "p90_seconds": 1680.0}
    assert report["escalation_time_by_level"] == {
        "2": {"count": 0, "p50_seconds": None, "p90_seconds": None},
        "3": {"count": 1, "p50_seconds": 1800.0, "p90_seconds": 1800.0},
        "4": {"count": 1, "p50_seconds": 600.0, "p90_seconds": 600.0},
    }


def test_satisfaction_and_knowledge_base(report: dict) -> None:
    assert report["satisfaction"] == {"average": 4.0, "responses": 2, "response_rate": 0.6667}
    assert report["knowledge_base"] == {
        "resolutions_citing_an_article": 2,
        "share_of_resolutions": 0.6667,
        "by_article": {"getting-started": 1, "reset-your-password": 1},
    }


def test_survey_comments_and_low_scores_are_listed(engine: Engine) -> None:
    store = RecordStore(engine)
    load_fixture(store)
    opened = SINCE + timedelta(days=3)
    rows = [("opened", None, None), ("resolved", None, None)]
    rows += [
        ("survey_answered", 1, "Nobody called back"),
        ("low_satisfaction", 1, "Nobody called back"),
    ]
    for seq, (event, score, details) in enumerate(rows, start=1):
        store.add_event(
            {
                "event_id": f"G:{seq}",
                "ticket_id": "G",
                "seq": seq,
                "event": event,
                "at": opened + seq * timedelta(hours=1),
                "actor": "system",
                "level": 2,
                "priority": "P3",
                "category": "performance_issues",
                "rejected": False,
                "score": score,
                "details": details,
            }
        )
    report = build_report(load_tickets(engine, SINCE, UNTIL), SINCE, UNTIL)
    assert report["survey_comments"] == [
        {"ticket_id": "G", "score": 1, "comment": "Nobody called back"},
        {"ticket_id": "B", "score": 3, "comment": "Slow, but it works"},
    ]
    assert report["low_satisfaction"] == [
        {"ticket_id": "G", "score": 1, "comment": "Nobody called back"}
    ]
    table = render(report, "table")
    assert "low satisfaction (manager told): 1\n  G 1/5: Nobody called back" in table


def test_the_html_report_lists_the_surveys_with_the_comments_escaped(engine: Engine) -> None:
    load_fixture(RecordStore(engine))
    report = build_report(load_tickets(engine, SINCE, UNTIL), SINCE, UNTIL)
    report["survey_comments"].append(
        {"ticket_id": "H", "score": 1, "comment": "<script>alert(1)</script> & more"}
    )
    page = render(report, "html")
    assert "<h2>Low satisfaction (manager told): 0</h2>" in page
    assert "<h2>Survey comments: 2</h2>" in page
    assert "<tr><td>B</td><td>3/5</td><td>Slow, but it works</td></tr>" in page
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</td>" in page
    assert "<script>" not in page


def test_resolution_rate_per_level(report: dict) -> None:
    # handled: L1 A,E; L2 B,C; L3 B,C; L4 C,D. Resolved at: A L1, B L3, D L4.
    assert {level: v["rate"] for level, v in report["resolution_rate_by_level"].items()} == {
        "1": 0.5,
        "2": 0.0,
        "3": 0.5,
        "4": 0.5,
    }


def test_sla_breach_rates(report: dict) -> None:
    breaches = report["sla_breaches"]
    assert breaches["overall"] == {"tickets": 1, "of": 5, "rate": 0.2}
    assert {m: v["rate"] for m, v in breaches["by_metric"].items()} == {
        "acknowledgment": 0.2,
        "response": 0.2,
    }
    # C breached at L2 and L3, never at L4; E counts as P2 (its priority was raised).
    assert {lv: v["rate"] for lv, v in breaches["by_level"].items()} == {
        "1": 0.0,
        "2": 0.5,
        "3": 0.5,
        "4": 0.0,
    }
    assert {p: (v["tickets"], v["of"]) for p, v in breaches["by_priority"].items()} == {
        "P1": (0, 1),
        "P2": (1, 2),
        "P3": (0, 1),
        "P4": (0, 1),
    }


def test_breakdowns(report: dict) -> None:
    assert report["by_priority"]["P2"] == {
        "tickets": 2,
        "escalation_rate": 0.5,
        "resolution_rate": 0.0,
        "sla_breach_rate": 0.5,
        "first_response_p50_seconds": 11400.0,
        "resolution_p50_seconds": None,
        "satisfaction_average": None,
    }
    assert list(report["by_category"]) == [
        "api_integration_problems",
        "password_resets",
        "system_outages",
        "technical_bugs_and_errors",
        "uncategorized",
    ]
    assert report["by_level"]["L2"]["first_response_p50_seconds"] == 6600.0  # B 1800, C 11400
    assert report["by_level"]["L1"]["satisfaction_average"] == 5.0


def test_weekly_trends(report: dict) -> None:
    assert report["trends"] == {
        "2026-W10": {
            "tickets": 3,
            "escalation_rate": 0.6667,
            "resolution_rate": 0.6667,
            "sla_breach_rate": 0.3333,
            "first_response_p50_seconds": 3600.0,
            "resolution_p50_seconds": 23400.0,
            "satisfaction_average": 4.0,
        },
        "2026-W11": {
            "tickets": 2,
            "escalation_rate": 0.0,
            "resolution_rate": 0.5,
            "sla_breach_rate": 0.0,
            "first_response_p50_seconds": 600.0,
            "resolution_p50_seconds": 14400.0,
            "satisfaction_average": None,
        },
    }


async def cli_report(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    capsys.readouterr()
    code = await run(["report", *argv])
    out, err = capsys.readouterr()
    return code, out, err


async def test_report_command_prints_the_same_figures_in_each_format(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    load_fixture(RecordStore(engine))
    window = ("--since", "2026-03-01", "--until", "2026-03-16")
    code, out, _ = await cli_report(engine, monkeypatch, capsys, *window, "--format", "json")
    assert code == 0
    figures = json.loads(out)
    assert (figures["tickets"], figures["escalation_rate"]) == (5, 0.4)
    assert figures["first_response_time"]["p90_seconds"] == 9060.0
    code, out, _ = await cli_report(engine, monkeypatch, capsys, *window)
    assert "escalation rate     40.0%: 2 tickets, 3 handoffs, 1 escalated more than once" in out
    assert "first response                        4         45m      2h 31m" in out
    code, out, _ = await cli_report(engine, monkeypatch, capsys, *window, "--format", "html")
    # one chart per trend, one bar per week; week 11 has no satisfaction figure, so no bar
    assert out.count("<svg") == 7 and out.count("<title>2026-W10:") == 7
    assert "<title>2026-W11: -</title></rect>" in out


async def test_report_command_names_a_bad_period(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = await cli_report(engine, monkeypatch, capsys, "--since", "last week")
    assert code == 2 and "'last week' is neither a duration" in err


def test_first_response_and_resolution_count_business_time_on_the_tickets_calendar() -> None:
    new_york = ZoneInfo("America/New_York")
    friday_evening = datetime(2026, 11, 20, 18, tzinfo=new_york)
    p4 = TicketFacts(
        ticket_id="T-4",
        opened_at=friday_evening,
        opened_level=1,
        priority="P4",
        category="password_resets",
        first_response_at=datetime(2026, 11, 23, 10, tzinfo=new_york),
        resolved_at=datetime(2026, 11, 24, 10, tzinfo=new_york),
        breaches=[("acknowledgment", 1)],
    )
    p1 = replace(p4, ticket_id="T-1", priority="P1", opened_level=4, breaches=[])
    figures = build_report([p4, p1], SINCE, UNTIL, load_policy(time_scale=1))
    wall_response, wall_resolution = 64 * 3600.0, 88 * 3600.0
    # P4 on New York hours: Monday 09:00-10:00, then 8 more to Tuesday 10:00; P1 runs 24x7.
    assert figures["first_response_business_time"]["p50_seconds"] == (3600 + wall_response) / 2
    assert figures["resolution_business_time"]["p50_seconds"] == (9 * 3600 + wall_resolution) / 2
    assert figures["first_response_time"]["p50_seconds"] == wall_response
    assert figures["time_labels"]["first_response_time"] == "wall clock"
    assert figures["sla_breaches_by_clock"] == {
        "24x7": {"tickets": 0, "of": 1, "rate": 0.0},
        "support": {"tickets": 1, "of": 1, "rate": 1.0},
    }


def test_the_levels_reported_on_are_the_policys_even_where_no_ticket_reached_them() -> None:
    ticket = TicketFacts(
        ticket_id="T-7",
        opened_at=SINCE + timedelta(hours=1),
        opened_level=2,
        priority="P3",
        category=None,
        first_response_at=None,
        resolved_at=None,
        breaches=[],
    )
    policy = load_policy(time_scale=1)
    with_policy = build_report([ticket], SINCE, UNTIL, policy)
    levels = [str(level) for level in sorted(policy.levels)]
    assert list(with_policy["resolution_rate_by_level"]) == levels
    assert list(with_policy["sla_breaches"]["by_level"]) == levels
    assert list(with_policy["escalation_time_by_level"]) == levels[1:]
    # Without a policy (its file unreadable) the report keeps to the levels the tickets had.
    alone = build_report([ticket], SINCE, UNTIL)
    assert list(alone["resolution_rate_by_level"]) == ["2"]
    assert alone["escalation_time_by_level"] == {}
