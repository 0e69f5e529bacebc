from decimal import Decimal

import factory

from movies.tests.factories import MovieFactory
from ratings.models import Rating
from users.tests.factories import UserFactory


class RatingFactory(factory.django.DjangoModelFactory[Rating]):
    """A rating row written directly, bypassing the service: statistics are NOT updated.

    Use `ratings.services.rating_upsert` in tests that need exact statistics.
    """

    class Meta:
        model = Rating

    user = factory.SubFactory(UserFactory)
    movie = factory.SubFactory(MovieFactory)
    score = Decimal("4.0")
    review = ""
