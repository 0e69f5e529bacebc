"""A pytest plugin that holds every JSON response of a test run to DRF's own bytes.

    DJANGO_SETTINGS_MODULE=config.settings.test python -m pytest -p config.tests.renderer_check

renders everything the API's renderer renders a second time with DRF's JSONRenderer and fails
the test on any difference: the whole suite, every endpoint, error bodies included, becomes a
byte-identity check of `config.api.renderers`. (The settings module must be in the environment:
the plugin loads before pytest-django reads it from pyproject.toml.)
"""

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _every_response_rendered_as_drf_renders_it() -> Iterator[None]:
    # Imported here: DRF reads Django's settings on import, which pytest-django sets up after
    # loading the plugins named with -p.
    from rest_framework import renderers

    from config.api import renderers as fast

    ours = fast.JSONRenderer.render
    drf = renderers.JSONRenderer()

    def render(self: Any, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        content = ours(self, data, accepted_media_type, renderer_context)
        expected = drf.render(data, accepted_media_type, renderer_context)
        assert content == expected, f"renderer differs from DRF's:\n{content!r}\n{expected!r}"
        return content

    # Patched by hand, not with `monkeypatch`: an autouse fixture that took `monkeypatch` would
    # make it outlive the test's database fixture, and undo a test's patches (a dead database
    # cursor, say) only after the database's teardown.
    fast.JSONRenderer.render = render  # type: ignore[method-assign]
    try:
        yield
    finally:
        fast.JSONRenderer.render = ours  # type: ignore[method-assign]
