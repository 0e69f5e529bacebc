"""Receivers of the ratings app.

Cache invalidation of single rating writes lives in `ratings.services`, in one place for saves
and deletes: every rating write goes through it (API, admin), and it already holds the rater,
so nothing is loaded inside the locked transaction. A `post_delete` receiver on Rating would
also make Django load and signal every rating one by one when a user or movie is deleted.

Statistics on cascades (the one exception, and why): deleting a user or a movie deletes its
ratings by cascade from any code path (the API, the admin, a shell, a bulk queryset delete),
so the statistics those ratings fed are corrected in `pre_delete`, inside the same transaction
as the delete. `users` and `movies` cannot call into `ratings` themselves (import contracts).
"""

from typing import Any

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from config.cache import ALL, invalidate_on_commit
from movies.models import Movie
from ratings.models import Rating
from ratings.services import ratings_subtract_from_statistics
from users.models import User


@receiver(pre_delete, sender=User, dispatch_uid="ratings.user_deleting")
def user_deleting(sender: type[User], instance: User, **kwargs: Any) -> None:
    ratings_subtract_from_statistics(Rating.objects.filter(user=instance))


@receiver(pre_delete, sender=Movie, dispatch_uid="ratings.movie_deleting")
def movie_deleting(sender: type[Movie], instance: Movie, **kwargs: Any) -> None:
    ratings = Rating.objects.filter(movie=instance)
    if ratings.exists():
        ratings_subtract_from_statistics(ratings)
        # Every rater's profile changes; deleting a rated movie is rare enough to drop everything.
        invalidate_on_commit(ALL)
