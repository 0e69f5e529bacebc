"""Progress of long data commands: one self-overwriting line on a terminal, nothing elsewhere (CI, logs)."""

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from django.core.management.base import BaseCommand

T = TypeVar("T")

CLEAR_LINE = "\r\033[K"


class Progress:
    """Shows the latest progress text at most every `interval` seconds; silent when `write` is None."""

    def __init__(self, write: Callable[[str], object] | None = None, interval: float = 0.2) -> None:
        self._write = write
        self._interval = interval
        self._last = 0.0
        self._showing = False

    def show(self, text: str, *, now: bool = False) -> None:
        if self._write is None:
            return
        moment = time.monotonic()
        if now or moment - self._last >= self._interval:
            self._last = moment
            self._write(CLEAR_LINE + text)
            self._showing = True

    def clear(self) -> None:
        """Remove the progress line, so the next message starts on a clean line."""
        if self._showing and self._write is not None:
            self._write(CLEAR_LINE)
            self._showing = False

    def counting(self, items: Iterable[T], label: str, every: int = 10_000) -> Iterator[T]:
        """Pass the lines of a file through, showing how many went by."""
        if self._write is None:
            yield from items
            return
        count = 0
        for item in items:
            count += 1
            if count % every == 0:
                self.show(f"{label}: {count:,} lines")
            yield item
        self.show(f"{label}: {count:,} lines", now=True)


def terminal_progress(command: BaseCommand) -> Progress:
    """Progress on stderr when it is a terminal; silent otherwise (CI, logs, pipes)."""
    if not command.stderr.isatty():
        return Progress()

    def write(text: str) -> None:
        # Unstyled: Django paints everything on stderr red, and this is no error.
        command.stderr.write(text, style_func=str, ending="")
        command.stderr.flush()

    return Progress(write)
