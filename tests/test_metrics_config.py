"""The optional Prometheus of docker-compose.yml agrees with the worker it scrapes and the metrics
the code exports. Static checks, no Docker engine or promtool: each check returns the problems it
finds, and the last test feeds them broken copies to show they can fail."""

import copy
import re
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from metrics.deliveries import DEADLINE_TO_PROVIDER, DELIVERIES
from metrics.open_tickets import OPEN_TICKETS
from tests.test_compose import (
    ROOT,
    bind_mount_source,
    interpolate,
    load_compose,
    service_env,
)

PROMETHEUS = "prometheus"
CONFIG = "/etc/prometheus/prometheus.yml"
DOCS = ROOT / "docs" / "metrics.md"
# What the worker exports under our names, as Prometheus spells the series.
EXPORTED = {
    f"{DEADLINE_TO_PROVIDER}_bucket",
    f"{DEADLINE_TO_PROVIDER}_sum",
    f"{DEADLINE_TO_PROVIDER}_count",
    DELIVERIES,
    OPEN_TICKETS,
}


def prometheus_files(compose: Mapping) -> tuple[Path | None, dict]:
    """The host file mounted as the Prometheus config, and its contents."""
    path = bind_mount_source(compose["services"][PROMETHEUS], CONFIG)
    if path is None or not path.is_file():
        return None, {}
    return path, yaml.safe_load(path.read_text(encoding="utf-8"))


def scrape_problems(compose: Mapping, config: Mapping) -> list[str]:
    """Prometheus is optional, and scrapes every worker replica on METRICS_ADDRESS's port."""
    services = compose["services"]
    problems = []
    if not services[PROMETHEUS].get("profiles"):
        problems.append("prometheus has no profile: `docker compose up` would always start it")
    address = interpolate(service_env(services["worker"]).get("METRICS_ADDRESS") or "", {})
    port = address.rpartition(":")[2]
    if not port.isdigit():
        return [*problems, f"worker METRICS_ADDRESS default {address!r} has no port"]
    targets = [
        (name, sd.get("type"), str(sd.get("port")))
        for job in config.get("scrape_configs") or []
        for sd in job.get("dns_sd_configs") or []
        for name in sd.get("names") or []
    ]
    if ("worker", "A", port) not in targets:
        problems.append(f"no dns_sd_config scrapes every worker (A records) on port {port}")
    return problems


def rule_problems(config_path: Path, config: Mapping) -> list[str]:
    """Every rule file exists and every rule reads only series the worker exports."""
    problems = []
    for name in config.get("rule_files") or []:
        path = config_path.parent / name
        if not path.is_file():
            problems.append(f"rule file {name} is not next to {config_path.name}")
            continue
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                for series in set(re.findall(r"\bescalation_\w+", rule["expr"])) - EXPORTED:
                    problems.append(f"{rule.get('alert')}: {series} is not exported")
    return problems


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose()


def test_prometheus_is_optional_and_scrapes_every_worker(compose: dict) -> None:
    path, config = prometheus_files(compose)
    assert path is not None, f"prometheus mounts no {CONFIG} of this repository"
    assert scrape_problems(compose, config) == []


def test_alert_rules_read_only_what_the_worker_exports(compose: dict) -> None:
    path, config = prometheus_files(compose)
    assert path is not None and config.get("rule_files")
    assert rule_problems(path, config) == []


def test_the_documented_slo_query_is_the_alerts(compose: dict) -> None:
    """docs/metrics.md shows the p99 breach-to-page query the BreachPageSlow rule alerts on."""
    path, config = prometheus_files(compose)
    assert path is not None
    [rules] = [yaml.safe_load((path.parent / name).read_text()) for name in config["rule_files"]]
    [slow] = [r for g in rules["groups"] for r in g["rules"] if r["alert"] == "BreachPageSlow"]
    query = " ".join(slow["expr"].split()).removesuffix(" > 1")
    assert query.replace("( ", "(").replace(" )", ")") in " ".join(DOCS.read_text().split())


def test_checks_catch_broken_copies(compose: dict, tmp_path: Path) -> None:
    path, config = prometheus_files(compose)
    assert path is not None
    broken = copy.deepcopy(compose)
    del broken["services"][PROMETHEUS]["profiles"]
    broken["services"]["worker"]["environment"]["METRICS_ADDRESS"] = "${METRICS_ADDRESS:-:9000}"
    assert len(scrape_problems(broken, config)) == 2
    rules = tmp_path / "alerts.yml"
    rules.write_text(
        "groups: [{name: g, rules: [{alert: A, expr: 'escalation_page_seconds > 1'}]}]"
    )
    odd = {"rule_files": ["alerts.yml", "missing.yml"]}
    assert len(rule_problems(tmp_path / "prometheus.yml", odd)) == 2
