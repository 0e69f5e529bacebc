import pytest

from conftest import client_for
from movies.services import curators_group_ensure
from movies.tests.factories import GenreFactory
from users.tests.factories import UserFactory


@pytest.fixture
def curator(db):
    """Staff in the Curators group (as the migration made it), with no permission of their own."""
    user = UserFactory.create(is_staff=True)
    user.groups.add(curators_group_ensure())
    return user


@pytest.fixture
def curator_client(curator):
    return client_for(curator)


@pytest.fixture
def staff_without_permissions_client(db):
    return client_for(UserFactory.create(is_staff=True))


@pytest.fixture
def drama(db):
    return GenreFactory.create(name="Drama", slug="drama")


@pytest.fixture
def crime(db):
    return GenreFactory.create(name="Crime", slug="crime")
