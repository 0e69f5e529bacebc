"""Assertions shared by the users app's tests."""

from conftest import assert_problem

__all__ = ["PASSWORD", "assert_problem", "error_fields"]

PASSWORD = "correct-horse-battery-staple"  # UserFactory's password


def error_fields(response) -> list[str | None]:
    """The fields named by a validation problem's errors."""
    return [error["field"] for error in response.json()["errors"]]
