"""Django admin for accounts: Django's UserAdmin without any trace of password hashes."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from users.models import PersonalAccessToken, User
from users.services import token_revoke


class PasswordStatusWidget(auth_forms.ReadOnlyPasswordHashWidget):
    """Says whether a password is set, with the link to the change-password form.

    Django's widget shows the hasher's summary (algorithm, iterations, salt and hash
    fragments); none of that helps an administrator, and none of it should leave the database.
    """

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        usable = bool(value) and not value.startswith(UNUSABLE_PASSWORD_PREFIX)
        label = _("Set.") if usable else _("Not set (unusable): this account cannot log in with a password.")
        context["summary"] = [{"label": label}]
        return context


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].widget = PasswordStatusWidget()

    def clean_email(self) -> str:
        # The Lower(email) constraint would reject it too, but with a message naming the constraint.
        email: str = self.cleaned_data["email"]
        if email and User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Another account has this email address (letter case does not matter)."))
        return email


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    """Accounts, with their rating statistics read-only (the ratings service maintains them)."""

    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ("username", "email", "is_staff", "is_active", "date_joined", "ratings_count")
    list_filter = ("is_staff", "is_active", "date_joined")
    search_fields = ("username", "email")
    readonly_fields = ("ratings_count", "ratings_sum", "average_score")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
        (_("Ratings"), {"fields": ("ratings_count", "ratings_sum", "average_score")}),
    )
    # Counting every matching row on each changelist page is slow with hundreds of
    # thousands of imported accounts.
    show_full_result_count = False


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(admin.ModelAdmin):
    """Personal access tokens, read-only: staff see and revoke them, never their secret.

    The secret exists only in the creation response; its keyed hash is not shown either.
    Tokens are created by their owners through the API, never here.
    """

    list_display = ("prefix", "name", "owner", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_select_related = ("owner",)
    list_filter = ("scopes", "created_at", "revoked_at")
    search_fields = ("prefix", "name", "owner__username")
    fields = ("prefix", "name", "owner", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: PersonalAccessToken | None = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"), permissions=["delete"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[PersonalAccessToken]) -> None:
        tokens = list(queryset.filter(revoked_at=None))
        for token in tokens:
            token_revoke(token=token)
        self.message_user(request, _("Revoked %(count)d token(s).") % {"count": len(tokens)}, messages.SUCCESS)
