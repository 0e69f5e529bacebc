"""An email backend for harnesses and tests: each message is one `.eml` file in a folder.

`EMAIL_URL=filemail:///path/to/dir` selects it (config.settings.base). Django's own file backend
appends every message of a connection to one `.log` file with separator lines; a file per message
in the standard format opens in any mail client and is easy for a harness to read.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend


class EmlFileBackend(EmailBackend):
    """Writes each message to `<EMAIL_FILE_PATH>/<time>-<random>.eml`."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            name = f"{datetime.now(UTC):%Y%m%dT%H%M%S.%f}-{uuid.uuid4().hex}.eml"
            (Path(self.file_path) / name).write_bytes(message.message().as_bytes())
            sent += 1
        return sent
