"""Assertions shared by the users app's tests."""

PASSWORD = "correct-horse-battery-staple"  # UserFactory's password

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "request_id"}


def assert_problem(response, status: int) -> dict:
    """The response is an RFC 9457 problem with this status; returns its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["request_id"] == response["X-Request-ID"]
    return body


def error_fields(response) -> list[str | None]:
    """The fields named by a validation problem's errors."""
    return [error["field"] for error in response.json()["errors"]]
