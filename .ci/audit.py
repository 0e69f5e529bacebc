#!/usr/bin/env python3
"""`make audit`: known vulnerabilities in every pinned requirement, or a loud failure.

pip-audit reports a package it could not look up as "skipped" and still prints "No known
vulnerabilities found" for the rest, which can be none at all: where PyPI's JSON API or OSV
does not answer, it audits nothing and says all is well. This wrapper runs it once per
vulnerability service (PyPI, then OSV) and passes only when one service answered for every
pinned package and found no vulnerability; otherwise it names what could not be checked and
exits 1 (2 when vulnerabilities were found).
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIP_AUDIT = ROOT / ".venv" / "bin" / "pip-audit"
REQUIREMENTS = ["requirements.txt", "requirements-dev.txt"]
SERVICES = ["pypi", "osv"]


def audit(service: str) -> tuple[list[dict], str]:
    """pip-audit's dependency list from `service`, and what it said on stderr."""
    command = [str(PIP_AUDIT), "--vulnerability-service", service, "--format", "json", "--no-deps", "--disable-pip"]
    for requirements in REQUIREMENTS:
        command += ["-r", requirements]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    try:
        return json.loads(result.stdout)["dependencies"], result.stderr
    except (ValueError, KeyError):
        return [], result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "no output"


def main() -> int:
    for service in SERVICES:
        dependencies, errors = audit(service)
        skipped = [d for d in dependencies if d.get("skip_reason")]
        audited = [d for d in dependencies if not d.get("skip_reason")]
        if not dependencies:
            print(f"audit: {service}: could not check anything ({errors})", file=sys.stderr)
            continue
        if skipped:
            names = ", ".join(f"{d['name']} {d.get('version', '')}".strip() for d in skipped[:8])
            print(
                f"audit: {service}: {len(skipped)} of {len(dependencies)} pinned packages could not be audited "
                f"({names}{', ...' if len(skipped) > 8 else ''})",
                file=sys.stderr,
            )
            continue
        vulnerable = [d for d in audited if d.get("vulns")]
        for dependency in vulnerable:
            for vuln in dependency["vulns"]:
                fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
                print(f"{dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixes})")
        print(
            f"audit: {service}: {len(audited)} pinned packages audited, "
            f"{sum(len(d['vulns']) for d in vulnerable)} known vulnerabilities"
        )
        return 2 if vulnerable else 0
    print(
        "audit: FAILED: no vulnerability service answered for every pinned package, so nothing is proven. "
        "Run `make audit` where https://pypi.org/pypi/<name>/<version>/json or https://api.osv.dev answers.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
