"""Production refuses every signing key that appears in the repository, and weak ones (SPEC 8)."""

import re
import secrets
import subprocess

import pytest

from config.settings.keys import KNOWN_KEYS, key_problem
from config.tests.test_settings import ROOT, _import_settings

# Made at run time: any key literal in the repository is refused, this one included.
STRONG = secrets.token_urlsafe(50)

# A line that mentions a key setting, and the literals on it: quoted strings, and compose's
# `${VAR:-default}` / `${VAR-default}` fallbacks.
_KEY_LINE = re.compile(r"SECRET_KEY|SIGNING_KEY")
_QUOTED = re.compile(r"""(["'])([^"'\s$(){}]{8,})\1""")
_FALLBACK = re.compile(r"\$\{\w+:?-([^}]+)\}")
# Quoted words on such lines that are not keys: setting and variable names, module paths.
_NOT_A_KEY = re.compile(r"^[A-Z_]+$|^config\.|^[\w.]+\.py$|^HS256$")


def repository_key_literals() -> set[str]:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True)
    literals: set[str] = set()
    for name in tracked.stdout.split("\0"):
        path = ROOT / name
        if not name or not path.is_file() or path.suffix in {".png", ".csv"}:
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for line in text.splitlines():
            if not _KEY_LINE.search(line):
                continue
            literals.update(value for _, value in _QUOTED.findall(line) if not _NOT_A_KEY.match(value))
            literals.update(_FALLBACK.findall(line))
    return literals


def test_the_scan_finds_the_keys_the_settings_modules_carry():
    assert {"django-insecure-local-development-key-not-for-production"} <= repository_key_literals()


def test_every_key_literal_in_the_repository_is_refused_by_production():
    accepted = {literal for literal in repository_key_literals() if key_problem(literal) is None}
    assert not accepted, f"add these to config.settings.keys.KNOWN_KEYS: {accepted}"


def test_compose_carries_no_usable_default_key():
    compose = (ROOT / "docker-compose.yml").read_text()
    assert re.search(r"SECRET_KEY: \$\{SECRET_KEY:\?", compose)


@pytest.mark.parametrize(
    "key", [*sorted(KNOWN_KEYS), "x" * 60, "ab" * 40, "short-but-random-9f8e7d", "django-insecure-" + STRONG]
)
def test_production_refuses_known_and_weak_keys(key):
    result = _import_settings("config.settings.production", SECRET_KEY=key)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "refusing this SECRET_KEY" in result.stderr


def test_production_refuses_a_weak_jwt_signing_key():
    result = _import_settings("config.settings.production", SECRET_KEY=STRONG, JWT_SIGNING_KEY="x" * 60)
    assert result.returncode != 0
    assert "refusing this JWT_SIGNING_KEY" in result.stderr


def test_production_starts_with_a_strong_key():
    assert key_problem(STRONG) is None
    assert _import_settings("config.settings.production", SECRET_KEY=STRONG).returncode == 0
