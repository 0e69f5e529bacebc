import pytest

pytestmark = [pytest.mark.urls("config.tests.urls"), pytest.mark.django_db]


def test_lists_are_paginated_twenty_at_a_time(api_client):
    body = api_client.get("/api/numbers/").json()
    assert body["count"] == 45
    assert body["results"] == list(range(1, 21))
    assert body["previous"] is None
    assert body["next"].endswith("/api/numbers/?page=2")


def test_page_size_chooses_the_page_length(api_client):
    body = api_client.get("/api/numbers/?page=2&page_size=10").json()
    assert body["results"] == list(range(11, 21))


def test_a_page_size_above_100_is_clamped(api_client):
    response = api_client.get("/api/numbers/?page_size=1000")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 45


@pytest.mark.parametrize(
    "query, field",
    [
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page_size=0", "page_size"),
        ("page_size=x", "page_size"),
        ("page=last", "page"),
    ],
)
def test_an_invalid_page_parameter_is_a_400_naming_it(api_client, query, field):
    response = api_client.get(f"/api/numbers/?{query}")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_page_past_the_last_is_a_404(api_client):
    assert api_client.get("/api/numbers/?page=4").status_code == 404


def test_a_blank_page_means_the_first(api_client):
    assert api_client.get("/api/numbers/?page=&page_size=").json()["results"][0] == 1
