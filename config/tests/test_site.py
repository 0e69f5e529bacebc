"""What a person notices around the API: a favicon, the admin's "View site" link, the docs' text."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_favicon_is_served(client, settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve static files without collectstatic, as runserver does
    response = client.get("/favicon.ico", follow=True)
    assert response.redirect_chain == [("/static/favicon.ico", 302)]
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content])[:4] == b"\0\0\1\0"


def test_the_admins_view_site_link_leads_to_a_page_that_exists(client, staff_user):
    client.force_login(staff_user)
    html = client.get(reverse("admin:index")).content.decode()
    assert 'href="/"' in html  # the website's catalogue
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("version", ["1", "2"])
def test_the_schema_documents_scores_on_the_half_star_scale_and_labels_without_double_spaces(client, version):
    text = client.get(reverse("schema"), {"version": version}).content.decode()
    assert "Movie  title" not in text
    assert "Movie title" in text
    assert "maximum: 10" not in text
    assert "minimum: -10" not in text
