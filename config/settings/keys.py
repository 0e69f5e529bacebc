"""Which signing keys production refuses (SPEC section 8).

`SECRET_KEY` also signs the JWTs, so a key anyone can read (one that appears in this repository,
in a compose file's default or a settings module) lets anyone mint an access token for any user.
Production therefore refuses:

- every literal key the repository contains (`KNOWN_KEYS`); `config/tests/test_keys.py` reads
  every tracked file for key-like literals and fails if one is missing here, so the list cannot
  drift;
- any key shorter than 50 characters or with fewer than 10 distinct characters (a guessable or
  placeholder key: `x` * 60, `changeme` ...), and Django's own `django-insecure-` keys.

Generate a key with `python -c 'import secrets; print(secrets.token_urlsafe(50))'`.
"""

MIN_LENGTH = 50
MIN_DISTINCT_CHARACTERS = 10

KNOWN_KEYS = frozenset(
    {
        # docker-compose.yml's former default
        "change-me-in-a-real-deployment-this-is-for-local-compose-only",
        # config/settings/local.py and config/settings/test.py
        "django-insecure-local-development-key-not-for-production",
        "test-secret-key-used-only-by-the-test-suite-0123456789",
        # the Dockerfile's former build-time key and the benchmark's former one
        "collectstatic-only",
        "bench-only-" + "x" * 50,
    }
)


def key_problem(key: str) -> str | None:
    """Why `key` must not sign anything in production, or None if it may."""
    if key in KNOWN_KEYS:
        return "it appears in the project's repository, so anyone can read it"
    if key.startswith("django-insecure-"):
        return "it is a development key (django-insecure-)"
    if len(key) < MIN_LENGTH or len(set(key)) < MIN_DISTINCT_CHARACTERS:
        return f"it is too short or too simple (at least {MIN_LENGTH} characters, {MIN_DISTINCT_CHARACTERS} distinct)"
    return None
