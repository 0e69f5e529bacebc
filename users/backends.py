"""Login by username in any letter case and any compatibility form (SPEC sections 2 and 8)."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from users.models import User, user_named


class UsernameAnyCaseBackend(ModelBackend):
    """Django's ModelBackend, but `NEWBIE` and its full-width form log in as `newbie`.

    The name is matched as uniqueness sees it (NFKC, then PostgreSQL's lower()), so at most one
    account can match. The API, the admin and every other login go through this backend.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = user_named(username).first()
        if user is None:
            # Hash anyway, so the response time does not tell whether the account exists.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
