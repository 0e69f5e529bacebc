import pytest
from django.urls import reverse

from recommendations.models import SimilarityModel

pytestmark = pytest.mark.django_db


def test_staff_see_the_build_history_but_cannot_edit_it(client, staff_user):
    model = SimilarityModel.objects.create(is_active=True, pairs_count=12)
    client.force_login(staff_user)
    listing = client.get(reverse("admin:recommendations_similaritymodel_changelist"), HTTP_HOST="localhost")
    assert listing.status_code == 200
    assert b"12" in listing.content
    assert client.get(reverse("admin:recommendations_similaritymodel_add"), HTTP_HOST="localhost").status_code == 403
    change = client.post(
        reverse("admin:recommendations_similaritymodel_change", args=[model.pk]), {"is_active": ""},
        HTTP_HOST="localhost",
    )  # fmt: skip
    assert change.status_code == 403
    model.refresh_from_db()
    assert model.is_active
