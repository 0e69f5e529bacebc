"""OpenAPI extensions for the users app: the two bearer formats, and the login serializer.

Registered on import (`UsersConfig.ready`).
"""

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import TokenObtainPairSerializerExtension
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from users.authentication import PasswordSessionRequired

JWT_SCHEME = "jwtAuth"
PERSONAL_TOKEN_SCHEME = "personalTokenAuth"


class BearerAuthenticationScheme(OpenApiAuthenticationExtension):
    """`users.authentication.BearerAuthentication` accepts either of two bearer formats.

    Operations list them as alternatives; those a personal token may never call (token
    management, password change, account deletion) list the JWT only.
    """

    target_class = "users.authentication.BearerAuthentication"
    name = [JWT_SCHEME, PERSONAL_TOKEN_SCHEME]
    priority = 1

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        permissions = auto_schema.view.get_permissions()
        if any(isinstance(p, PasswordSessionRequired) for p in permissions):
            return [{JWT_SCHEME: []}]
        return [{JWT_SCHEME: []}, {PERSONAL_TOKEN_SCHEME: []}]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
            },
            {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "mr_pat_<secret>",
                "description": "A personal access token from POST /api/users/me/tokens/. Scope `read` allows GET, "
                "HEAD and OPTIONS only; `write` allows writes too.",
            },
        ]


class LoginSerializerExtension(TokenObtainPairSerializerExtension):
    """simplejwt's login body and answer, for the login serializer that mints session tokens."""

    target_class = "users.serializers.LoginSerializer"
