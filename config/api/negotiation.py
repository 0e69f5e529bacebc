"""Content negotiation: `application/problem+json` is JSON too (SPEC 3).

A client generated from the schema may accept only the media types the schema declares, error
types included: `Accept: application/problem+json; version=2` selects JSON (and version 2)
instead of a 406. Responses then say which of the declared types they are: see
`config.middleware.ResponseHeadersMiddleware`.
"""

from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation

# Defined here, not in config.api.errors (which imports it from here): DRF imports this module
# while config.api.errors is still importing DRF, so this module may import nothing of config.
PROBLEM_CONTENT_TYPE = "application/problem+json"


class ContentNegotiation(DefaultContentNegotiation):
    def get_accept_list(self, request: Any) -> list[str]:
        tokens: list[str] = super().get_accept_list(request)
        return [
            "application/json" + token.strip()[len(PROBLEM_CONTENT_TYPE) :]
            if token.strip().lower().startswith(PROBLEM_CONTENT_TYPE)
            else token
            for token in tokens
        ]
