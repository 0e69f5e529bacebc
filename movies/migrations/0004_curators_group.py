"""The `Curators` group: exactly the permissions curating the catalogue needs (SPEC 2, "Movies").

Viewing genres is among them: the admin's genre autocomplete on the movie form answers 403 to
an account that may not view genres. Permissions are created here (Django otherwise creates them
only after all migrations ran), so the group is complete on a fresh database too.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Curators"
PERMISSIONS = [f"{action}_{model}" for model in ("movie", "genre") for action in ("view", "add", "change", "delete")]


def create_curators_group(apps, schema_editor):
    app_config = apps.get_app_config("movies")
    app_config.models_module = True  # create_permissions skips apps without models
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label="movies", codename__in=PERMISSIONS))


def remove_curators_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("movies", "0003_movie_field_rules"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_curators_group, remove_curators_group)]
