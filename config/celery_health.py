"""Health checks of the background processes, for compose and orchestrators.

`python -m config.celery_health beat`: exits 0 when celery beat's scheduler touched its
heartbeat file (`CELERY_BEAT_HEARTBEAT_FILE`) within three of its loop intervals, else 1.
(The worker's check is Celery's own `celery -A config inspect ping`.)
"""

import os
import sys
import time
from pathlib import Path


def beat_is_alive(heartbeat_file: Path, max_loop_interval: float, now: float | None = None) -> bool:
    try:
        age = (now if now is not None else time.time()) - heartbeat_file.stat().st_mtime
    except OSError:
        return False
    return age <= 3 * max_loop_interval


def main(argv: list[str]) -> int:
    if argv[1:] != ["beat"]:
        print("usage: python -m config.celery_health beat", file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    from django.conf import settings

    heartbeat = Path(settings.CELERY_BEAT_HEARTBEAT_FILE)
    if beat_is_alive(heartbeat, settings.CELERY_BEAT_MAX_LOOP_INTERVAL):
        return 0
    print(f"celery beat has not ticked recently ({heartbeat})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
