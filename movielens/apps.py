from django.apps import AppConfig


class MovielensConfig(AppConfig):
    """Bulk data in MovieLens format: the importer, the demo catalogue, the synthetic generator.

    It owns no model: it writes the catalogue, users and ratings through their apps' models and
    services, and nothing imports it.
    """

    name = "movielens"
    verbose_name = "MovieLens data"
