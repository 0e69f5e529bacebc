"""Bearer tokens that must never authenticate anyone."""

import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.urls import reverse
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture
def claims():
    token = AccessToken.for_user(UserFactory.create())
    return dict(token.payload)


def me(api_client, token: str):
    return api_client.get(reverse("user-me"), HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_genuine_token_works(api_client, claims):
    token = jwt.encode(claims, api_settings.SIGNING_KEY, algorithm="HS256")
    assert me(api_client, token).status_code == 200


def test_a_token_signed_with_another_key_is_a_401(api_client, claims):
    assert me(api_client, jwt.encode(claims, "not-the-servers-key-" * 3, algorithm="HS256")).status_code == 401


def test_an_unsigned_alg_none_token_is_a_401(api_client, claims):
    token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    assert me(api_client, token).status_code == 401


def test_a_tampered_payload_is_a_401(api_client, claims):
    genuine = jwt.encode(claims, api_settings.SIGNING_KEY, algorithm="HS256")
    header, _, signature = genuine.split(".")
    other = UserFactory.create()
    forged = f"{header}.{b64({**claims, 'user_id': str(other.pk)})}.{signature}"
    assert me(api_client, forged).status_code == 401


def test_an_expired_access_token_is_a_401(api_client, claims):
    token = AccessToken.for_user(UserFactory.create())
    token.set_exp(lifetime=-timedelta(seconds=1))
    response = me(api_client, str(token))
    assert response.status_code == 401
    assert response.has_header("WWW-Authenticate")
