import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from config.metrics import metrics_view, route_label

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client, token: str = TOKEN) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def requests_to(samples, route: str, method: str = "GET", status: str = "200") -> float:
    return samples.get(("http_requests_total", (("method", method), ("route", route), ("status", status))), 0.0)


def test_metrics_are_a_404_when_no_token_is_configured(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN]
)
def test_metrics_without_the_right_bearer_token_are_a_404(client, metrics_token, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    response = client.get("/metrics", **headers)
    assert response.status_code == 404
    assert b"http_requests_total" not in response.content


def test_request_counts_grow_with_requests_to_a_route(client, metrics_token):
    before = requests_to(scrape(client), "health/live")
    for _ in range(3):
        client.get("/health/live")
    assert requests_to(scrape(client), "health/live") == before + 3


@pytest.mark.django_db
def test_requests_are_labelled_by_route_pattern_not_raw_path(client, metrics_token):
    client.get("/api/movies/123456/")
    client.get("/api/movies/654321/")
    client.get("/no/such/page/123")
    samples = scrape(client)
    assert requests_to(samples, "api/movies/<pk>/", status="404") >= 2
    assert requests_to(samples, "<unmatched>", status="404") >= 1
    assert not any("123456" in str(labels) or "no/such" in str(labels) for _, labels in samples)


def test_latency_histograms_are_exposed_per_route(client, metrics_token):
    client.get("/health/live")
    samples = scrape(client)
    key = ("http_request_duration_seconds_count", (("method", "GET"), ("route", "health/live")))
    assert samples[key] >= 1
    buckets = [
        k for k in samples if k[0] == "http_request_duration_seconds_bucket" and ("route", "health/live") in k[1]
    ]
    assert len(buckets) >= 10


@pytest.mark.django_db
def test_database_queries_are_counted_per_route(client, metrics_token, django_user_model):
    def counted() -> float:
        return REGISTRY.get_sample_value("http_db_queries_total", {"route": "api/users/<username>/"}) or 0.0

    django_user_model.objects.create(username="counted")
    before = counted()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/users/counted/").status_code == 200
    assert counted() == before + len(queries) > before


def test_unknown_methods_share_one_label(client, metrics_token):
    client.generic("BREW", "/health/live")
    client.generic("BREW2", "/health/live")
    samples = scrape(client)
    assert not any(("method", "BREW") in labels for _, labels in samples)
    assert requests_to(samples, "health/live", method="other", status="405") >= 2


def test_route_labels_are_the_patterns_with_their_converters():
    request = RequestFactory().get("/api/users/alice/ratings/")
    from django.urls import resolve

    request.resolver_match = resolve("/api/users/alice/ratings/")
    assert route_label(request) == "api/users/<username>/ratings/"


def test_the_view_reads_every_workers_files_in_multiprocess_mode(tmp_path, monkeypatch, settings):
    """Files written by two other processes are summed into one series."""
    from prometheus_client import CollectorRegistry, values
    from prometheus_client import Counter as PromCounter

    settings.METRICS_TOKEN = TOKEN
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for pid in (101, 102):
        value_class = values.MultiProcessValue(process_identifier=lambda pid=pid: pid)
        monkeypatch.setattr(values, "ValueClass", value_class)
        PromCounter("worker_probe", "probe", registry=CollectorRegistry()).inc(pid)
    request = RequestFactory().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    body = metrics_view(request).content.decode()
    assert "worker_probe_total 203.0" in body


def test_with_metrics_disabled_nothing_is_recorded(client, metrics_token, settings):
    labels = {"route": "health/live", "method": "GET", "status": "200"}
    before = REGISTRY.get_sample_value("http_requests_total", labels) or 0.0
    settings.METRICS_ENABLED = False
    from django.test import Client

    Client().get("/health/live")  # a new client loads the middleware anew
    assert (REGISTRY.get_sample_value("http_requests_total", labels) or 0.0) == before
