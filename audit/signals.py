"""Django's own login signals, recorded in the audit trail.

`user_logged_in` fires for session logins (the admin); `user_login_failed` fires for every
failed `authenticate()`, the admin's and the API token endpoint's alike. Django has already
replaced the password in `credentials`; only the username tried is kept. Successful API logins
issue tokens without `login()`, so the token view records those itself.
"""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from audit.actions import Action
from audit.services import audit_record


@receiver(user_logged_in, dispatch_uid="audit_session_login")
def record_session_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action=Action.AUTH_LOGIN, request=request, actor=user, details={"via": "session"})


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def record_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    tried = credentials.get("username")
    username = tried[:150] if isinstance(tried, str) else ""
    via = "session" if request is not None and request.path.startswith("/admin/") else "api"
    audit_record(action=Action.AUTH_LOGIN_FAILED, request=request, details={"username": username, "via": via})
