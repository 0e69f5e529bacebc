import factory
from django.utils.text import slugify

from movies.models import Genre, Movie


class GenreFactory(factory.django.DjangoModelFactory[Genre]):
    class Meta:
        model = Genre
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Genre {n}")
    slug = factory.LazyAttribute(lambda g: slugify(g.name))


class MovieFactory(factory.django.DjangoModelFactory[Movie]):
    """A movie; give `ratings_count` and `ratings_sum` to set its statistics directly."""

    class Meta:
        model = Movie
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Movie {n}")
    year = 1999

    @factory.post_generation
    def genres(self, create, extracted, **kwargs):
        if create and extracted:
            self.genres.set(extracted)
