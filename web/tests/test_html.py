"""Every page is well-formed, labelled, has its landmarks, and loads nothing from elsewhere."""

from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from ratings.services import rating_upsert
from users.services import password_reset_link
from web.tests.html_checks import page_problems


@pytest.fixture
def pages(movie, member):
    rating_upsert(user=member, movie=movie, score=Decimal("4.5"), review="Fine <em>film</em>")
    return {
        "catalogue": reverse("web:catalogue"),
        "search": reverse("web:catalogue") + "?search=god&genre=drama&ordering=-weighted_rating",
        "movie": reverse("web:movie", args=[movie.pk]),
        "profile": reverse("web:profile", args=[member.username]),
        "my ratings": reverse("web:my-ratings"),
        "recommendations": reverse("web:recommendations"),
        "login": reverse("web:login"),
        "signup": reverse("web:signup"),
        "password change": reverse("web:password-change"),
        "forgotten password": reverse("web:password-forgot"),
        "reset link": "{path}?{query}".format(**urlsplit(password_reset_link(member))._asdict()),
        "bad reset link": reverse("web:password-reset") + "?uid=MQ&token=x",
        "bad request": reverse("web:catalogue") + "?page=abc",
        "not found": "/no/such/page/",
    }


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "member"])
def test_every_page_passes_the_html_and_accessibility_checks(pages, member, logged_in):
    client = Client()
    if logged_in:
        client.force_login(member)
    for name, url in pages.items():
        response = client.get(url, follow=True)
        assert response["Content-Type"] == "text/html; charset=utf-8", name
        assert page_problems(response.content.decode()) == [], name


def test_the_checker_catches_what_it_promises():
    html = (
        "<!DOCTYPE html><html><head><title>x</title><script>alert(1)</script>"
        '<link rel="stylesheet" href="https://cdn.example/x.css"></head><body><header></header>'
        '<main><h1>a</h1><time datetime="2026-11-30T20:28:12.852234+00:00">x</time>'
        '<div><span></div><input id="q" type="text"><p id="q" onclick="x()" style="color:red"></p>'
        "</main><footer></footer></body></html>"
    )

    problems = "\n".join(page_problems(html))

    for expected in (
        "inline <script>",
        "<time datetime=2026-11-30T20:28:12.852234+00:00> is not a valid date and time",
        "asset not served by the service: https://cdn.example/x.css",
        "</div> closes <span>",
        "duplicate ids: ['q']",
        "<input id=q> has no label",
        "inline event handler onclick",
        "inline style on <p>",
        "<html> has no lang",
        "no skip link",
    ):
        assert expected in problems


def test_pages_carry_the_same_content_security_policy_as_the_docs(client, settings, db):
    response = client.get(reverse("web:catalogue"))

    assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_server_error_page_stands_alone_and_passes_the_checks(client, db):
    html = render_to_string("500.html")

    assert page_problems(html) == []


@pytest.mark.parametrize(
    "url",
    [
        "/?search=%00",
        "/?genre=%00",
        "/?ordering=%00",
        "/?page=%C2%B2",
        "/?page=99999999999999999999999",
        "/people/a%00b/",
        "/people/alice/?min_score=%00",
        "/me/ratings/?ordering=%00",
        "/movies/99999999999999999999/",
    ],
)
def test_odd_input_in_a_path_or_parameter_is_a_4xx_page_never_a_500(member_client, movie, url):
    response = member_client.get(url)

    # (A NUL byte is refused before any view by config.middleware.RejectNulMiddleware.)
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("web:login", {"username": "a\x00b", "password": "x\x00"}),
        (
            "web:signup",
            {"username": "a\x00b", "email": "a\x00@example.com", "password": "p\x00", "password_again": "p"},
        ),
    ],
)
def test_nul_bytes_in_forms_are_a_400_never_a_500(client, db, name, data):
    assert client.post(reverse(name), data).status_code == 400


def test_a_nul_byte_in_a_review_is_a_400(member_client, movie):
    response = member_client.post(reverse("web:movie-rate", args=[movie.pk]), {"score": "4.0", "review": "a\x00b"})

    assert response.status_code == 400


@pytest.mark.parametrize("name", ["web:login", "web:signup", "web:password-forgot"])
@pytest.mark.parametrize(
    ("content_type", "body"),
    [("application/json", b'{"username": "alice"}'), ("text/plain", b"username=alice"), ("multipart/form-data", b"x")],
)
def test_any_kind_of_body_posted_to_a_form_is_a_4xx_never_a_500(client, db, name, content_type, body):
    response = client.post(reverse(name), body, content_type=content_type)

    assert 400 <= response.status_code < 500
