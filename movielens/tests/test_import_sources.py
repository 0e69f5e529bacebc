"""Where a release comes from: a folder, a .zip, an http(s) URL; and how the command talks while it works."""

import functools
import http.server
import socket
import threading
import zipfile
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from movielens.progress import CLEAR_LINE, Progress
from movielens.tests.test_import_support import run_import, write_release
from movies.models import Movie
from ratings.models import Rating

pytestmark = pytest.mark.django_db


def small_release(folder: Path) -> Path:
    return write_release(
        folder,
        movies='1,"Usual Suspects, The (1995)",Crime\n2,Heat (1995),Action',
        links="1,0114814,629",
        ratings="1,1,4.0,964982703\n2,2,3.5,964982931",
    )


def zipped(release: Path, archive: Path, top_folder: str | None) -> Path:
    with zipfile.ZipFile(archive, "w") as zip_file:
        for file in release.iterdir():
            zip_file.write(file, f"{top_folder}/{file.name}" if top_folder else file.name)
    return archive


def assert_small_release_imported() -> None:
    assert sorted(Movie.objects.values_list("title", flat=True)) == ["Heat", "The Usual Suspects"]
    assert Rating.objects.count() == 2


def test_a_zip_with_a_top_folder_as_movielens_ships_them(tmp_path):
    archive = zipped(small_release(tmp_path / "release"), tmp_path / "ml-latest-small.zip", "ml-latest-small")

    out, _ = run_import(archive)

    assert_small_release_imported()
    assert out.startswith(f"Imported {archive} (ml-latest-small)")


def test_a_zip_with_the_files_at_its_root(tmp_path):
    run_import(zipped(small_release(tmp_path / "release"), tmp_path / "release.zip", None))

    assert_small_release_imported()


def test_a_folder_holding_the_extracted_release_folder(tmp_path):
    small_release(tmp_path / "ml-latest-small")

    run_import(tmp_path)

    assert_small_release_imported()


def test_a_folder_holding_several_releases_is_an_error(tmp_path):
    small_release(tmp_path / "ml-latest-small")
    small_release(tmp_path / "ml-latest")

    with pytest.raises(CommandError, match=r"holds several releases \(ml-latest, ml-latest-small\): give one of them"):
        run_import(tmp_path)


def test_a_zip_holding_several_releases_is_an_error(tmp_path):
    release = small_release(tmp_path / "release")
    archive = zipped(release, tmp_path / "two.zip", "one")
    with zipfile.ZipFile(archive, "a") as zip_file:
        zip_file.write(release / "movies.csv", "two/movies.csv")

    with pytest.raises(CommandError, match=r"holds several releases \(one, two\)"):
        run_import(archive)


def test_a_zip_without_movies_is_an_error(tmp_path):
    archive = tmp_path / "empty.zip"
    with zipfile.ZipFile(archive, "w") as zip_file:
        zip_file.writestr("README.txt", "nothing here")

    with pytest.raises(CommandError, match=r"no movies\.csv in .*empty\.zip: is it a MovieLens release\?"):
        run_import(archive)


def test_a_file_that_is_not_a_zip_is_an_error(tmp_path):
    (tmp_path / "movies.txt").write_text("hello", encoding="utf-8")

    with pytest.raises(CommandError, match="is not a zip archive"):
        run_import(tmp_path / "movies.txt")


def test_a_missing_source_is_an_error(tmp_path):
    with pytest.raises(CommandError, match=r"does not exist: give a folder, a \.zip file or an http"):
        run_import(tmp_path / "nowhere")


def test_a_file_that_is_not_utf8_is_an_error_and_nothing_is_written(tmp_path):
    release = small_release(tmp_path)
    (release / "ratings.csv").write_bytes(b"userId,movieId,rating,timestamp\n1,1,4.0,964982703\n\xff\xfe,1,4.0,1\n")

    with pytest.raises(CommandError, match=r"ratings\.csv is not UTF-8 text .*save it as UTF-8"):
        run_import(release)

    assert not Movie.objects.exists()


def test_a_byte_order_mark_does_not_hide_the_first_column(tmp_path):
    release = small_release(tmp_path)
    (release / "movies.csv").write_text("\ufeffmovieId,title,genres\n1,Heat (1995),Action\n", encoding="utf-8")

    run_import(release)

    assert Movie.objects.get().title == "Heat"


@pytest.fixture
def http_folder(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1, and the base URL it is served at."""
    folder = tmp_path / "served"
    folder.mkdir()

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            # /redirect?to=URL answers 302 to URL, like a mirror or a link shortener would.
            if self.path.startswith("/redirect?to="):
                self.send_response(302)
                self.send_header("Location", self.path.removeprefix("/redirect?to="))
                self.end_headers()
                return
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_zip_downloaded_over_http(tmp_path, http_folder):
    folder, base_url = http_folder
    zipped(small_release(tmp_path / "release"), folder / "ml-latest-small.zip", "ml-latest-small")

    out, _ = run_import(f"{base_url}/ml-latest-small.zip", "--allow-http")

    assert_small_release_imported()
    assert out.startswith(f"Imported {base_url}/ml-latest-small.zip (ml-latest-small)")


def test_a_url_nobody_answers_is_an_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(CommandError, match=rf"could not download http://127.0.0.1:{port}/ml.zip: .*refused"):
        run_import(f"http://127.0.0.1:{port}/ml.zip", "--allow-http")


def test_a_url_that_cannot_be_downloaded_is_an_error(http_folder):
    _, base_url = http_folder

    with pytest.raises(CommandError, match=r"could not download .*/missing\.zip: HTTP 404"):
        run_import(f"{base_url}/missing.zip", "--allow-http")


def test_a_plain_http_url_is_refused_without_the_explicit_flag(tmp_path, http_folder):
    folder, base_url = http_folder
    zipped(small_release(tmp_path / "release"), folder / "ml.zip", "ml")

    with pytest.raises(CommandError, match=r"plain http.*use https \(or --allow-http"):
        run_import(f"{base_url}/ml.zip")
    assert not Movie.objects.exists()


@pytest.mark.parametrize("target", ["http://127.0.0.1:9/ml.zip", "ftp://127.0.0.1/ml.zip", "file:///etc/passwd"])
def test_redirects_are_followed_only_to_https(http_folder, target):
    _, base_url = http_folder

    refused = r"redirects to .*: only redirects to https are followed|Redirection to url .* is not allowed"
    with pytest.raises(CommandError, match=refused):
        run_import(f"{base_url}/redirect?to={target}", "--allow-http")
    assert not Movie.objects.exists()


def test_a_download_over_the_size_limit_is_refused(tmp_path, http_folder, monkeypatch):
    folder, base_url = http_folder
    zipped(small_release(tmp_path / "release"), folder / "ml.zip", "ml")

    with pytest.raises(CommandError, match=r"larger than the download limit of 0 MB \(--max-download-mb\)"):
        run_import(f"{base_url}/ml.zip", "--allow-http", "--max-download-mb", "0")
    assert not Movie.objects.exists()


def test_a_download_without_a_length_is_cut_at_the_limit(tmp_path, http_folder, monkeypatch):
    from movielens import release

    folder, base_url = http_folder
    zipped(small_release(tmp_path / "release"), folder / "ml.zip", "ml")
    monkeypatch.setattr(release, "DOWNLOAD_CHUNK_BYTES", 64)
    size = (folder / "ml.zip").stat().st_size
    monkeypatch.setattr(release, "_too_large", lambda url, limit: release.ImportFailed(f"cut at {limit}"))
    original_open = release.urllib.request.OpenerDirector.open

    def without_length(self, *args, **kwargs):
        response = original_open(self, *args, **kwargs)
        del response.headers["Content-Length"]
        return response

    monkeypatch.setattr(release.urllib.request.OpenerDirector, "open", without_length)
    opening = release.open_release(f"{base_url}/ml.zip", Progress(), allow_http=True, max_download_bytes=size - 1)
    with pytest.raises(release.ImportFailed, match=f"cut at {size - 1}"), opening:
        pass


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_on_a_terminal(tmp_path):
    err = Terminal()

    call_command("import_movielens", str(small_release(tmp_path)), stdout=StringIO(), stderr=err)

    assert "\r\033[Kratings.csv: 3 lines" in err.getvalue()
    assert err.getvalue().endswith("\r\033[K")


def test_progress_is_silent_when_stderr_is_not_a_terminal(tmp_path):
    _, err = run_import(small_release(tmp_path))

    assert err == ""


def test_progress_counts_lines_every_so_often_and_clears_its_line():
    shown: list[str] = []
    progress = Progress(shown.append, interval=0)

    assert list(progress.counting(iter(["a", "b", "c"]), "ratings.csv", every=2)) == ["a", "b", "c"]
    progress.clear()
    progress.clear()

    assert shown == [f"{CLEAR_LINE}ratings.csv: 2 lines", f"{CLEAR_LINE}ratings.csv: 3 lines", CLEAR_LINE]
