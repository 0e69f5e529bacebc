#!/usr/bin/env python3
"""Print CI's last line, `tests: N passed, M failed[, K skipped][, E errors]`, from pytest's own summary.

Reads the output of `make test` (argument 1) and finds pytest's final summary line, such as
`512 passed, 3 skipped, 2 warnings in 80.12s` (with or without the `===` frame). When there is
none (a gate before pytest failed, or pytest crashed), says so: `tests: not run (...)`, and exits 1.
"""

import re
import sys
from pathlib import Path

KINDS = r"passed|failed|skipped|errors?|xfailed|xpassed|warnings?|deselected"
SUMMARY = re.compile(rf"^=*\s*((?:\d+ (?:{KINDS})(?:, )?)+) in [\d.]+s")
COUNT = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)")


def verdict(output: str) -> str | None:
    summaries = [match.group(1) for line in output.splitlines() if (match := SUMMARY.match(line.strip()))]
    summaries = [summary for summary in summaries if COUNT.search(summary)]  # `2 warnings in 9s` ran no test
    if not summaries:
        return None
    counts = {"passed": 0, "failed": 0, "skipped": 0, "error": 0}
    for number, kind in COUNT.findall(summaries[-1]):
        key = "error" if kind.startswith("error") else kind
        counts[key] = counts.get(key, 0) + int(number)
    line = f"tests: {counts['passed']} passed, {counts['failed']} failed"
    if counts["skipped"]:
        line += f", {counts['skipped']} skipped"
    if counts["error"]:
        line += f", {counts['error']} errors"
    return line


def main(path: str) -> int:
    line = verdict(Path(path).read_text(errors="replace"))
    if line is None:
        print("tests: not run (make test stopped before pytest reported; see its output above)")
        return 1
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
