"""The dashboard and the alert rules in deploy/ only name series this service exports."""

import json
import re
from pathlib import Path

import yaml

from config import metrics

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SERIES = re.compile(r"\b([a-z_]+)\s*\{")
PROMETHEUS_OWN = {"up"}
SUFFIXES = ("_bucket", "_sum", "_count", "_total")


def exported() -> set[str]:
    names = set()
    for metric in (
        metrics.REQUESTS,
        metrics.LATENCY,
        metrics.DB_QUERIES,
        metrics.CACHE_LOOKUPS,
        metrics.CACHE_ERRORS,
        metrics.RATING_WRITES,
        metrics.THROTTLED,
        metrics.TASKS,
        metrics.TASK_LATENCY,
    ):
        for family in metric.collect():
            names.add(family.name)
    return names


def base(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


def test_every_dashboard_query_names_an_exported_series():
    dashboard = json.loads((DEPLOY / "grafana/dashboards/movies.json").read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(expressions) >= 10
    used = {base(name) for expr in expressions for name in SERIES.findall(expr)}
    assert used and used <= exported(), used - exported()


def test_every_alert_names_an_exported_series():
    groups = yaml.safe_load((DEPLOY / "prometheus/alerts.yml").read_text())["groups"]
    exprs = [rule["expr"] for group in groups for rule in group["rules"]]
    used = {base(name) for expr in exprs for name in SERIES.findall(expr)} - PROMETHEUS_OWN
    assert {"http_requests", "http_request_duration_seconds", "cache_errors", "tasks"} <= used
    assert used <= exported(), used - exported()
