"""Where a MovieLens release comes from: a folder, a .zip, or an https URL of a .zip.

Downloads (SPEC section 9): `https` only (plain `http` with an explicit `allow_http`), redirects
followed only to `https`, and at most `max_download_bytes` read, whatever Content-Length says:
an operator pasting a URL must not be walked to another host in the clear or fill the disk.

MovieLens zips hold one top folder (`ml-latest-small/movies.csv`); a folder may be that
extracted top folder or the folder around it. Files are read as UTF-8 text straight from the
folder or the archive, never extracted.
"""

import functools
import io
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, TextIO

from movielens.parsing import MOVIES_CSV
from movielens.progress import Progress

DOWNLOAD_TIMEOUT_SECONDS = 60
DOWNLOAD_CHUNK_BYTES = 1 << 20
# ml-latest.zip (33M ratings) is about 350 MB; the cap leaves room for growth, not for abuse.
MAX_DOWNLOAD_BYTES = 1 << 30


class ImportFailed(Exception):
    """Nothing usable was found; the message says what to give instead."""


class Release:
    """The files of one release, opened by name (`movies.csv`) as UTF-8 text."""

    def __init__(self, name: str, files: dict[str, Callable[[], IO[bytes]]]) -> None:
        self.name = name
        self._files = files

    def __contains__(self, filename: str) -> bool:
        return filename in self._files

    @contextmanager
    def open(self, filename: str) -> Iterator[TextIO]:
        # utf-8-sig: a byte-order mark some editors add must not become part of the first column name.
        with io.TextIOWrapper(self._files[filename](), encoding="utf-8-sig", newline="") as text:
            try:
                yield text
            except UnicodeDecodeError as error:
                raise ImportFailed(f"{filename} is not UTF-8 text ({error.reason}); save it as UTF-8") from error


@contextmanager
def open_release(
    source: str, progress: Progress, *, allow_http: bool = False, max_download_bytes: int | None = None
) -> Iterator[Release]:
    """The release at `source`: a folder, a .zip file, or an https URL of a .zip (http with `allow_http`)."""
    if source.startswith("http://") and not allow_http:
        raise ImportFailed(
            f"{source} is plain http, which anyone on the way can alter: use https (or --allow-http if you must)"
        )
    if source.startswith(("http://", "https://")):
        limit = MAX_DOWNLOAD_BYTES if max_download_bytes is None else max_download_bytes
        with _download(source, progress, limit) as archive:
            yield _zip_release(archive, source)
        return
    path = Path(source).expanduser()
    if path.is_dir():
        yield _folder_release(path)
    elif path.is_file():
        with _open_zip(path, source) as archive:
            yield _zip_release(archive, source)
    else:
        raise ImportFailed(
            f"{source} does not exist: give a folder, a .zip file or an http(s) URL of a MovieLens release"
        )


def _folder_release(path: Path) -> Release:
    folders = (
        [path] if (path / MOVIES_CSV).is_file() else sorted(p for p in path.iterdir() if (p / MOVIES_CSV).is_file())
    )
    if not folders:
        raise ImportFailed(f"no {MOVIES_CSV} in {path} or its subfolders: give the folder of a MovieLens release")
    if len(folders) > 1:
        names = ", ".join(folder.name for folder in folders)
        raise ImportFailed(f"{path} holds several releases ({names}): give one of them")
    folder = folders[0]
    return Release(
        str(folder),
        {file.name: _opener(file) for file in folder.iterdir() if file.suffix == ".csv"},
    )


def _opener(file: Path) -> Callable[[], IO[bytes]]:
    return lambda: file.open("rb")


@contextmanager
def _open_zip(file: Path | IO[bytes], source: str) -> Iterator[zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(file)
    except zipfile.BadZipFile:
        raise ImportFailed(f"{source} is not a zip archive: give a folder, a .zip file or a URL of a .zip") from None
    with archive:
        yield archive


def _zip_release(archive: zipfile.ZipFile, source: str) -> Release:
    candidates = [PurePosixPath(name) for name in archive.namelist() if PurePosixPath(name).name == MOVIES_CSV]
    if not candidates:
        raise ImportFailed(f"no {MOVIES_CSV} in {source}: is it a MovieLens release?")
    depth = min(len(candidate.parts) for candidate in candidates)
    shallowest = [candidate for candidate in candidates if len(candidate.parts) == depth]
    if len(shallowest) > 1:
        names = ", ".join(str(candidate.parent) for candidate in shallowest)
        raise ImportFailed(f"{source} holds several releases ({names}): give an archive with one")
    folder = shallowest[0].parent
    members = {
        PurePosixPath(name).name: name
        for name in archive.namelist()
        if PurePosixPath(name).parent == folder and name.endswith(".csv")
    }
    return Release(
        f"{source} ({folder})" if str(folder) != "." else source,
        {filename: functools.partial(archive.open, name) for filename, name in members.items()},
    )


class _HttpsRedirectsOnly(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to an https URL."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not newurl.startswith("https://"):
            raise ImportFailed(f"{req.full_url} redirects to {newurl}: only redirects to https are followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _too_large(url: str, limit: int) -> ImportFailed:
    return ImportFailed(f"{url} is larger than the download limit of {limit / 1e6:.0f} MB (--max-download-mb)")


@contextmanager
def _download(url: str, progress: Progress, limit: int) -> Iterator[zipfile.ZipFile]:
    """Download `url` (at most `limit` bytes) into a temporary file, deleted afterwards, and open it as a zip."""
    request = urllib.request.Request(url, headers={"User-Agent": "movie-ratings-importer"})
    opener = urllib.request.build_opener(_HttpsRedirectsOnly)
    with tempfile.TemporaryFile(suffix=".zip") as file:
        try:
            with opener.open(request, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:
                total = int(response.headers.get("Content-Length") or 0)
                if total > limit:
                    raise _too_large(url, limit)
                received = 0
                while chunk := response.read(DOWNLOAD_CHUNK_BYTES):
                    received += len(chunk)
                    if received > limit:
                        raise _too_large(url, limit)
                    file.write(chunk)
                    of_total = f" of {total / 1e6:.1f}" if total else ""
                    progress.show(f"downloading {url}: {received / 1e6:.1f}{of_total} MB")
        except urllib.error.HTTPError as error:
            raise ImportFailed(f"could not download {url}: HTTP {error.code} {error.reason}") from error
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            raise ImportFailed(f"could not download {url}: {reason}") from error
        progress.clear()
        file.seek(0)
        with _open_zip(file, url) as archive:
            yield archive
