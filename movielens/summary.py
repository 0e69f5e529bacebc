"""What an import did, counted per kind of row, and how the command words it."""

from collections import Counter
from dataclasses import dataclass, field

from movielens.parsing import BadRowKind
from ratings.services import StatisticsDrift


@dataclass
class Tally:
    """Rows of one kind the import created, updated and found already as the source has them."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Users only: MovieLens users whose movielens-<id> name an account the importer did not create holds.
    skipped: int = 0

    def __str__(self) -> str:
        text = f"{self.created:,} created, {self.updated:,} updated, {self.unchanged:,} unchanged"
        if self.skipped:
            text += f", {self.skipped:,} skipped (their name is held by an account the importer did not create)"
        return text


@dataclass
class ImportSummary:
    """The outcome of one import, for the command's closing report."""

    source: str
    movies: Tally = field(default_factory=Tally)
    genres: Tally = field(default_factory=Tally)
    users: Tally = field(default_factory=Tally)
    ratings: Tally = field(default_factory=Tally)
    superseded_ratings: int = 0  # earlier rows of a repeated (user, movie) pair, replaced by the later one
    bad_rows: Counter[BadRowKind] = field(default_factory=Counter)
    missing_files: list[str] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)
    statistics: StatisticsDrift = field(default_factory=lambda: StatisticsDrift(movies=0, users=0))
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        tallies = (self.movies, self.genres, self.users, self.ratings)
        drift = self.statistics.movies or self.statistics.users
        return bool(drift) or any(tally.created or tally.updated for tally in tallies)

    def lines(self) -> list[str]:
        lines = [f"Imported {self.source}"]
        for name in ("movies", "genres", "users", "ratings"):
            lines.append(f"  {name + ':':<9}{getattr(self, name)}")
        if self.statistics.movies or self.statistics.users:
            drift = self.statistics
            lines.append(f"  statistics recomputed: {drift.movies:,} movies and {drift.users:,} users changed")
        if self.superseded_ratings:
            lines.append(f"  {self.superseded_ratings:,} repeated ratings replaced by a later row of the same pair")
        if self.bad_rows:
            kinds = ", ".join(f"{kind}: {count:,}" for kind, count in sorted(self.bad_rows.items()))
            lines.append(f"  bad rows skipped: {self.bad_rows.total():,} ({kinds})")
        else:
            lines.append("  bad rows skipped: none")
        lines.extend(f"  {name}: not in the release, nothing imported from it" for name in self.missing_files)
        lines.extend(f"  {name}: ignored (this service has no tags)" for name in self.ignored_files)
        if not self.changed:
            lines.append("  Nothing changed: the database already holds this release.")
        lines.append(f"  Done in {self.seconds:.1f} s.")
        return lines
