"""A trigram index so that case-insensitive title search (`?search=`) stays fast on PostgreSQL.

Django's `icontains` compiles to `UPPER(title) LIKE UPPER(%s)`, which a GIN trigram index on
`UPPER(title)` serves. SQLite, the zero-setup fallback, has no such index and scans instead.
"""

from django.db import migrations

CREATE = 'CREATE INDEX IF NOT EXISTS movies_movie_title_trgm ON movies_movie USING gin (UPPER("title") gin_trgm_ops)'
DROP = "DROP INDEX IF EXISTS movies_movie_title_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(CREATE)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("movies", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
