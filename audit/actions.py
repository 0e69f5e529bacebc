"""The fixed names of audited actions. Every producer uses these constants, so names never drift.

docs/audit.md lists what each one records.
"""

from django.db import models


class Action(models.TextChoices):
    AUTH_LOGIN = "auth.login", "Login"
    AUTH_LOGIN_FAILED = "auth.login_failed", "Failed login"
    AUTH_LOGOUT = "auth.logout", "Logout"
    TOKEN_CREATE = "token.create", "Token created"
    TOKEN_REVOKE = "token.revoke", "Token revoked"
    USER_REGISTER = "user.register", "Signed up"
    USER_CREATE = "user.create", "Account created by staff"
    USER_UPDATE = "user.update", "Account changed by staff"
    USER_PASSWORD_CHANGE = "user.password_change", "Password changed"
    USER_PASSWORD_RESET = "user.password_reset", "Password reset"
    USER_EMAIL_CHANGE = "user.email_change", "Email changed"
    USER_USERNAME_CHANGE = "user.username_change", "Username changed"
    USER_DELETE = "user.delete", "Account deleted"
    MOVIE_CREATE = "movie.create", "Movie created"
    MOVIE_UPDATE = "movie.update", "Movie changed"
    MOVIE_DELETE = "movie.delete", "Movie deleted"
    GENRE_CREATE = "genre.create", "Genre created"
    GENRE_UPDATE = "genre.update", "Genre changed"
    GENRE_DELETE = "genre.delete", "Genre deleted"
