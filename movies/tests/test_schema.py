import pytest

pytestmark = pytest.mark.django_db


def components(api_client, version: str) -> set[str]:
    response = api_client.get("/api/schema/", {"version": version}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return set(response.json()["components"]["schemas"])


def test_the_version_1_schema_documents_the_version_1_movie_shapes(api_client):
    names = components(api_client, "1")
    assert {"MovieV1", "MovieDetailV1", "PaginatedMovieV1List", "MovieWriteRequest", "Genre"} <= names
    assert not {"MovieV2", "MovieDetailV2", "RatingStatisticsV2"} & names


def test_the_version_2_schema_documents_the_version_2_movie_shapes(api_client):
    names = components(api_client, "2")
    assert {"MovieV2", "MovieDetailV2", "RatingStatisticsV2", "RatingStatisticsDetailV2", "GenreRef"} <= names
    assert not {"MovieV1", "MovieDetailV1"} & names


def test_top_is_documented_as_a_plain_list(api_client):
    response = api_client.get("/api/schema/", {"version": "2"}, HTTP_ACCEPT="application/json")
    top = response.json()["paths"]["/api/movies/top/"]["get"]
    schema = next(iter(top["responses"]["200"]["content"].values()))["schema"]
    assert schema == {"type": "array", "items": {"$ref": "#/components/schemas/MovieV2"}}
    assert {parameter["name"] for parameter in top["parameters"]} == {"genre", "min_ratings", "limit"}
