"""End to end in a real Chromium (Debian's `/usr/bin/chromium`, driven by Playwright).

One visitor's whole journey (SPEC section 15): sign up, search, open a movie, rate it with the
keyboard alone, see the statistics change without a reload, find the movie under my ratings,
export them (and preview importing the file back), log out; the same rating without JavaScript;
every page at phone width. Any console error, a Content-Security-Policy violation included,
fails the test. A screenshot of each page is kept
under `artifacts/screenshots/` (CI keeps the folder as an artefact; git ignores it).
"""

import os
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from movies.tests.factories import GenreFactory, MovieFactory
from ratings.models import Rating
from ratings.services import rating_upsert
from users.tests.factories import UserFactory

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
TIMEOUT_MS = 10_000

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"needs Chromium at {CHROMIUM} (apt-get install chromium)"),
]

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # Playwright's sync API keeps an event loop in this thread for as long as it runs; the ORM
    # calls made meanwhile (test data, assertions, the database flush after each test) are
    # ordinary synchronous code all the same.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def catalogue(transactional_db):
    """A few rated movies; the Godfather has 4.0 and 3.0 (average 3.50)."""
    drama = GenreFactory.create(name="Drama")
    crime = GenreFactory.create(name="Crime")
    godfather = MovieFactory.create(title="The Godfather", year=1972, genres=[drama, crime], imdb_id="tt0068646")
    MovieFactory.create(title="The Godfather: Part II", year=1974, genres=[drama, crime])
    MovieFactory.create(title="Heat", year=1995, genres=[crime])
    for score in ("4.0", "3.0"):
        rating_upsert(user=UserFactory.create(), movie=godfather, score=Decimal(score), review="")
    return godfather


HTTP_ERROR = "Failed to load resource: the server responded with a status of "


class Console:
    """Every console error and uncaught exception of a page (CSP violations are console errors),
    with the error statuses the browser logs for 4xx answers kept apart in `http_errors`."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        self.http_errors: list[str] = []
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def on_console(self, message) -> None:
        if message.type != "error":
            return
        if message.text.startswith(HTTP_ERROR):
            self.http_errors.append(message.text.removeprefix(HTTP_ERROR))
        else:
            self.errors.append(message.text)


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def new_page(browser, **options):
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    return page, Console(page)


def tab_to(page, predicate: str, limit: int = 40) -> None:
    """Press Tab until `predicate` (JS, about `document.activeElement`) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {predicate}; }})()"):
            return
    raise AssertionError(f"Tab never reached an element where {predicate}")


def test_a_visitor_signs_up_searches_rates_with_the_keyboard_and_finds_the_rating(browser, live_server, catalogue):
    expect = playwright_api.expect
    page, console = new_page(browser, viewport={"width": 1024, "height": 900})

    # Sign up (lands on the catalogue, logged in).
    page.goto(f"{live_server.url}/signup/")
    shoot(page, "signup")
    page.get_by_label("Username").fill("keyboarder")
    page.get_by_label("Email").fill("keyboarder@example.com")
    page.get_by_label("Password", exact=True).fill("a-long-and-unusual-passphrase")
    page.get_by_label("Password, again").fill("a-long-and-unusual-passphrase")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Welcome, keyboarder!")).to_be_visible()
    shoot(page, "catalogue")

    # Search, then open the movie.
    page.get_by_label("Title contains").fill("godfather")
    page.get_by_role("button", name="Show movies").click()
    expect(page.get_by_text("2 movies")).to_be_visible()
    shoot(page, "search")
    page.get_by_role("link", name="The Godfather", exact=True).click()
    expect(page.locator("#stat-average")).to_have_text("3.50 / 5")

    # Saving without a score is refused in place.
    page.get_by_role("button", name="Save rating").click()
    expect(page.locator("#rating-status")).to_have_text("Choose a score: from half a star to five stars.")
    page.reload()
    page.evaluate("window.notReloaded = true")

    # Rate 4.5 with the keyboard alone: Tab into the radio group, arrows to choose.
    tab_to(page, "el.name === 'score'")
    assert page.evaluate("document.activeElement.value") == "0.5"
    page.keyboard.press("Space")
    for _ in range(8):
        page.keyboard.press("ArrowRight")
    assert page.evaluate("document.querySelector('input[name=score]:checked').value") == "4.5"
    focused_label = "getComputedStyle(document.activeElement.nextElementSibling).outlineStyle"
    assert page.evaluate(focused_label) == "solid", "the focused star shows a focus ring"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "review"
    page.keyboard.type("Still the best.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Save rating"
    page.keyboard.press("Enter")

    # The statistics change in place: no reload, and the keyboard focus stays where it was.
    expect(page.locator("#rating-status")).to_have_text("Saved your rating: 4.5 out of 5.")
    expect(page.locator("#stat-average")).to_have_text("3.83 / 5")
    expect(page.locator("#stat-count")).to_have_text("3")
    assert page.evaluate("window.notReloaded") is True
    assert page.evaluate("document.activeElement.textContent") == "Save rating"
    shoot(page, "movie")
    rating = Rating.objects.get(user__username="keyboarder")
    assert (rating.score, rating.review) == (Decimal("4.5"), "Still the best.")

    # My ratings lists it.
    page.get_by_role("link", name="My ratings").click()
    expect(page.locator(".rated-list")).to_contain_text("The Godfather")
    expect(page.locator(".rated-list")).to_contain_text("4.5 / 5")
    shoot(page, "my-ratings")

    # Export: the download holds the rating.
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV file").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert exported.startswith("movie_id,title,year,imdb_id,tmdb_id,score,review,rated_at,updated_at")
    assert "The Godfather,1972,tt0068646,,4.5,Still the best." in exported

    # Import it back as a preview: nothing changes.
    page.get_by_label("Ratings file").set_input_files(
        files=[{"name": "ratings.csv", "mimeType": "text/csv", "buffer": exported.encode()}]
    )
    page.get_by_label("Preview only: show what would change, save nothing").check()
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Import preview: nothing was saved")).to_be_visible()
    shoot(page, "import-preview")

    page.get_by_role("link", name="For me").click()
    expect(page.get_by_role("heading", name="Recommended for you", level=1)).to_be_visible()
    shoot(page, "recommendations")
    page.get_by_role("link", name="Password").click()
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    shoot(page, "password-change")
    page.get_by_role("link", name="Profile (keyboarder)").click()
    expect(page.get_by_role("heading", name="keyboarder", level=1)).to_be_visible()
    shoot(page, "profile")

    # Log out.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.get_by_role("link", name="Log in").click()
    shoot(page, "login")
    page.get_by_role("link", name="Forgotten your password?").click()
    shoot(page, "password-forgot")

    assert console.errors == []
    assert console.http_errors == ["400 (Bad Request)"]  # the save without a score


def test_rating_works_without_javascript(browser, live_server, catalogue):
    expect = playwright_api.expect
    UserFactory.create(username="nojs", password="a-long-and-unusual-passphrase")
    page, console = new_page(browser, java_script_enabled=False)

    page.goto(f"{live_server.url}/movies/{catalogue.pk}/")
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("Username").fill("nojs")
    page.get_by_label("Password").fill("a-long-and-unusual-passphrase")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(rf"/movies/{catalogue.pk}/$"))

    page.get_by_text("1 star", exact=True).locator("..").click()  # the label of the 1-star radio
    page.get_by_role("button", name="Save rating").click()

    expect(page).to_have_url(re.compile(rf"/movies/{catalogue.pk}/#your-rating$"))
    expect(page.get_by_text("Saved your rating: 1 out of 5.")).to_be_visible()
    expect(page.locator("#stat-average")).to_have_text("2.67 / 5")
    assert console.errors == [] and console.http_errors == []


def test_every_page_fits_a_phone_screen(browser, live_server, catalogue):
    member = UserFactory.create(username="phone", password="a-long-and-unusual-passphrase")
    rating_upsert(user=member, movie=catalogue, score=Decimal("5.0"), review="x" * 300)
    page, console = new_page(browser, viewport={"width": 375, "height": 800}, is_mobile=True)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("phone")
    page.get_by_label("Password").fill("a-long-and-unusual-passphrase")
    page.get_by_role("button", name="Log in").click()

    for name, path in [
        ("catalogue", "/"),
        ("movie", f"/movies/{catalogue.pk}/"),
        ("my-ratings", "/me/ratings/"),
        ("recommendations", "/me/recommendations/"),
        ("password-change", "/account/password/"),
        ("profile", "/people/phone/"),
        ("not-found", "/no-such-page/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at 375px"
        shoot(page, f"phone-{name}")
    assert console.errors == []
    assert console.http_errors == ["404 (Not Found)"]


def test_the_console_check_sees_a_content_security_policy_violation(browser, live_server, catalogue):
    """The other tests' `console.errors == []` can fail: an inline script is refused and reported."""
    page, console = new_page(browser)
    page.goto(f"{live_server.url}/")

    page.evaluate(
        "document.head.append(Object.assign(document.createElement('script'), {textContent: 'window.ran = 1'}))"
    )

    assert page.evaluate("window.ran") is None
    assert any("Content Security Policy" in error for error in console.errors), console.errors
