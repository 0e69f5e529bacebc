"""The importer attaches ratings only to accounts it created (SPEC section 9): a signed-up
account that holds a `movielens-<id>` name (taken before the names were reserved in every
compatibility form) never receives, and can never edit, that MovieLens user's ratings."""

import pytest

from movielens.tests.test_import_support import both_loaders, run_import, write_release  # noqa: F401
from ratings.models import Rating
from users.models import User
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_loaders")]


def release(tmp_path):
    return write_release(
        tmp_path / "release",
        movies="1,Heat (1995),Action\n2,Casino (1995),Crime",
        ratings="777777,1,4.0,964982703\n777777,2,2.0,964982704\n8,1,3.0,964982931",
    )


def test_a_signed_up_account_with_an_imported_name_gets_no_ratings(tmp_path):
    squatter = UserFactory.create(username="movielens-777777")  # a usable password: a person's account

    out, _ = run_import(release(tmp_path))

    assert "  users:   1 created, 0 updated, 0 unchanged, 1 skipped (their name is held by an account" in out
    assert not Rating.objects.filter(user=squatter).exists()
    squatter.refresh_from_db()
    assert squatter.ratings_count == 0
    assert list(Rating.objects.values_list("user__username", flat=True)) == ["movielens-8"]


def test_the_importer_still_uses_the_accounts_it_created(tmp_path):
    run_import(release(tmp_path))
    first = dict(User.objects.filter(username__startswith="movielens-").values_list("username", "pk"))

    run_import(release(tmp_path))

    assert dict(User.objects.filter(username__startswith="movielens-").values_list("username", "pk")) == first
    assert Rating.objects.filter(user__username="movielens-777777").count() == 2
