"""Representations of similar movies and recommendations, per API version.

Each item is the movie list shape of the version asked for (`movies.serializers`) plus a
`similarity` (similar movies) or a `because` list (recommendations). Class names differ per
version so each version's schema has its own components.
"""

from rest_framework import serializers

from movies.serializers import MovieV1Serializer, MovieV2Serializer

STRATEGIES = ("personal", "popular")


class SimilarMovieV1Serializer(MovieV1Serializer):
    """A movie similar to another (version 1), with how similar, in (0, 1]."""

    similarity = serializers.FloatField(read_only=True, min_value=0, max_value=1)

    class Meta(MovieV1Serializer.Meta):
        fields = [*MovieV1Serializer.Meta.fields, "similarity"]


class SimilarMovieV2Serializer(MovieV2Serializer):
    """A movie similar to another (version 2), with how similar, in (0, 1]."""

    similarity = serializers.FloatField(read_only=True, min_value=0, max_value=1)

    class Meta(MovieV2Serializer.Meta):
        fields = [*MovieV2Serializer.Meta.fields, "similarity"]


class BecauseSerializer(serializers.Serializer):
    """One of the caller's rated movies that led to a recommendation."""

    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)


class RecommendedMovieV1Serializer(MovieV1Serializer):
    """A recommended movie (version 1) and up to three of the caller's rated movies that led to it."""

    because = BecauseSerializer(many=True, read_only=True)

    class Meta(MovieV1Serializer.Meta):
        fields = [*MovieV1Serializer.Meta.fields, "because"]


class RecommendedMovieV2Serializer(MovieV2Serializer):
    """A recommended movie (version 2) and up to three of the caller's rated movies that led to it."""

    because = BecauseSerializer(many=True, read_only=True)

    class Meta(MovieV2Serializer.Meta):
        fields = [*MovieV2Serializer.Meta.fields, "because"]


class RecommendationsV1Serializer(serializers.Serializer):
    """`{strategy, results}` (version 1): `personal` from the similarity model, or `popular`
    (the top list minus what the caller rated) for callers with too few usable ratings."""

    strategy = serializers.ChoiceField(choices=STRATEGIES, read_only=True)
    results = RecommendedMovieV1Serializer(many=True, read_only=True)


class RecommendationsV2Serializer(serializers.Serializer):
    """`{strategy, results}` (version 2): `personal` from the similarity model, or `popular`
    (the top list minus what the caller rated) for callers with too few usable ratings."""

    strategy = serializers.ChoiceField(choices=STRATEGIES, read_only=True)
    results = RecommendedMovieV2Serializer(many=True, read_only=True)
