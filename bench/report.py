#!/usr/bin/env python3
"""Turn bench-results/results.json into BENCHMARKS.md and docs/bench-latency.png."""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parents[1]
FLOOR = "floor (bare Django JSON view)"

TARGETS = """\
| target | measured | met |
|---|---|---|
| cache hit on movie detail at >= 0.7x the floor's requests per second | {hit_ratio:.2f}x | {hit_ok} |
| uncached detail p50 at 1M ratings <= 1.5x its p50 at 10k | {detail_growth:.2f}x | {detail_ok} |
| uncached list p50 at 1M ratings <= 1.5x its p50 at 10k | {list_growth:.2f}x | {list_ok} |
| uncached top p50 at 1M ratings <= 1.5x its p50 at 10k | {top_growth:.2f}x | {top_ok} |
| rating writes: p99 < 50 ms at 16 clients, zero errors, statistics exact afterwards \
| p99 {write_p99:.1f} ms, {write_errors} errors; {recompute} | {write_ok} |
| ml-latest-small import < 15 s | {small_import} | {small_ok} |
| one million ratings imported < 60 s | {million_import} | {million_ok} |
"""


def yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def main(path: str) -> None:
    results = json.loads(Path(path).read_text())
    scenarios, scaling, imports = results["scenarios"], results["scaling"], results["imports"]
    floor_rps = scenarios[FLOOR]["rps"]

    rows = ["| scenario | requests/s | p50 (ms) | p99 (ms) | errors | x floor req/s |", "|---|---|---|---|---|---|"]
    for name, r in scenarios.items():
        errors = r["errors"] + r["non_2xx"]
        ratio = r["rps"] / floor_rps
        rows.append(f"| {name} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {errors} | {ratio:.2f} |")

    scale_rows = [
        "| ratings | list p50 / p99 (ms) | detail p50 / p99 (ms) | top p50 / p99 (ms) | similar p50 / p99 (ms) "
        "| dataset generated in |",
        "|---|---|---|---|---|---|",
    ]
    for ratings, row in scaling.items():
        kinds = ("list", "detail", "top", "similar")
        cells = [f"{row[k]['p50_ms']:.1f} / {row[k]['p99_ms']:.1f}" if k in row else "-" for k in kinds]
        scale_rows.append(f"| {int(ratings):,} | {' | '.join(cells)} | {row['generate_seconds']:.1f} s |")

    smallest, largest = min(scaling, key=int), results["full_suite_ratings"]

    def growth(kind: str) -> float:
        return scaling[str(largest)][kind]["p50_ms"] / scaling[smallest][kind]["p50_ms"]

    hit = scenarios["movie detail, cache hit"]["rps"] / floor_rps
    writes = next(r for n, r in scenarios.items() if n.startswith("rating writes"))
    write_errors = writes["errors"] + writes["non_2xx"]
    recompute = results.get("recompute_after_writes", "")
    small = imports.get("MovieLens ml-latest-small (100,836 ratings), first run")
    million = imports.get("1,000,000 synthetic ratings (MovieLens layout)")  # absent in trial runs
    targets = TARGETS.format(
        hit_ratio=hit,
        hit_ok=yes(hit >= 0.7),
        detail_growth=growth("detail"),
        detail_ok=yes(growth("detail") <= 1.5),
        list_growth=growth("list"),
        list_ok=yes(growth("list") <= 1.5),
        top_growth=growth("top"),
        top_ok=yes(growth("top") <= 1.5),
        write_p99=writes["p99_ms"],
        write_errors=write_errors,
        recompute=recompute,
        write_ok=yes(writes["p99_ms"] < 50 and write_errors == 0 and "No drift" in recompute),
        small_import=f"{small:.1f} s" if small else "not run (no sample)",
        small_ok=yes(bool(small) and small < 15),
        million_import=f"{million:.1f} s" if million else "not run",
        million_ok=yes(bool(million) and million < 60),
    )
    import_rows = ["| import | seconds |", "|---|---|"] + [f"| {n} | {s:.1f} |" for n, s in imports.items()]
    similarity = results.get("similarity", {})
    similarity_rows = ["| ratings | build seconds | peak memory (MiB) |", "|---|---|---|"] + [
        f"| {n} | {r['seconds']:.1f} | {r['peak_rss_mib']:.0f} |" for n, r in similarity.items()
    ]

    plot(scaling)
    full = int(largest)
    text = f"""# Benchmarks

Measured by `make bench` (bench/run.py) on {results["machine"]}. Everything runs on that one
machine over loopback: PostgreSQL 15, Redis, gunicorn with production settings (sync workers,
(2 x cores) + 1 of them) and the load generator, wrk, with {results["connections"]} connections
from 2 threads. The whole run took {results["total_seconds"] / 60:.1f} minutes.
Raw figures: `bench-results/results.json`.

## Targets

{targets}
## Requests at {full:,} ratings

The floor is a bare Django JSON view behind the same server and middleware (request ids, request
log, version headers, security, WhiteNoise, sessions, conditional GET): the stack's own limit.
"Cache miss" requests add a parameter that no other request uses, so each one runs the view,
queries PostgreSQL and stores a new entry.

{chr(10).join(rows)}

## How uncached latency grows with the data

10,000 movies throughout; the number of ratings grows (users = ratings / 100). Measured with 4
connections, every request a cache miss. ![latency against dataset size](docs/bench-latency.png)

{chr(10).join(scale_rows)}

## Imports

{chr(10).join(import_rows)}

## Similar-movie model

`manage.py build_similarities` after each import (read every rating, NumPy/SciPy build, write the
neighbours, swap in); peak memory is the resident set of that process. Targets: ml-latest-small
< 15 s, 1M ratings < 3 min and < 2 GiB.

{chr(10).join(similarity_rows)}

## Where the time goes (the targets not met)

Profiles taken in-process with cProfile on the same 1M-rating dataset, one request at a time
(no queueing), on the same machine:

- **Cache hit against the floor.** A hit runs everything the floor runs plus DRF's dispatch
  (request wrapping, content negotiation, version negotiation, authentication, permissions)
  and one Redis round trip (a Lua script reads the tag generations, derives the key and returns
  the entry). In-process that is about 0.4 ms more than the floor's 0.7 ms. The first version
  made two round trips (generations, then entry) and measured 0.39x; one round trip and raw
  bytes instead of pickles brought it to about 0.7x (0.67x for detail, 0.72x for list in this
  run; the two differ only by run-to-run noise, they take the same path). What is left is DRF's
  own dispatch, which the specification requires on every hit.
- **Rating writes at 16 clients.** One write is about 11 ms of work when the machine is idle:
  ten SQL statements (the token's user, the movie, the user-row lock, the existing rating, the
  insert or update, the movie and user counters, the commit, the movie re-read for the body)
  take about 5 ms, DRF and the serializers about 6 ms. The first write by a user after a bulk
  load also reads cold index pages (about 50 ms). wrk's 16 connections are a closed loop, so by
  Little's law latency = 16 / throughput: with wrk, PostgreSQL (fsync on), Redis and five
  gunicorn workers sharing 2 cores, throughput settles near 150 writes/s and p99 near 150 ms.
  Meeting 50 ms at 16 clients needs about 3x less work per write: folding the lock, the read,
  the upsert and the counter updates into one `INSERT ... ON CONFLICT ... RETURNING` statement,
  and returning the movie's counters from that statement instead of re-reading them.
- **Top list growth.** Top ranks by the exact weighted rating, which depends on the catalogue
  mean C, so no index can hold the order: PostgreSQL computes the expression for every movie
  with at least `min_ratings` ratings and keeps the best 20 in a bounded heap. The cost follows
  the number of rated movies, not the number of ratings: with 10,000 movies it grows from the
  movies rated at 10k ratings to all 10,000 at 1M and then stays flat. A column holding the
  weighted rating, rewritten when C is recomputed (once a minute) and on each write to that
  movie, with an index, would make top read only `limit` rows.
- **Uncached list and detail** stay flat from 10k to 1M ratings (statistics are stored on the
  movie; only the detail's distribution reads the ratings table, through the (movie, score)
  index). An uncached list costs about 12 ms in-process: SQL about 4 ms (count, page, genres),
  the rest is the ORM's prefetch machinery and DRF serializing 20 movies.
"""
    (ROOT / "BENCHMARKS.md").write_text(text)


def plot(scaling: dict) -> None:
    sizes = [int(k) for k in scaling]
    fig, ax = plt.subplots(figsize=(7, 4))
    for kind in ("list", "detail", "top"):
        ax.plot(sizes, [scaling[str(s)][kind]["p50_ms"] for s in sizes], marker="o", label=f"{kind} p50")
        ax.plot(
            sizes, [scaling[str(s)][kind]["p99_ms"] for s in sizes], marker=".", linestyle="--", label=f"{kind} p99"
        )
    ax.set_xscale("log")
    ax.set_xlabel("ratings in the database")
    ax.set_ylabel("uncached latency (ms)")
    ax.set_title("Uncached read latency against dataset size")
    ax.grid(True, alpha=0.3)
    ax.legend(ncol=3, fontsize=8)
    fig.tight_layout()
    (ROOT / "docs").mkdir(exist_ok=True)
    fig.savefig(ROOT / "docs" / "bench-latency.png", dpi=110)


if __name__ == "__main__":
    main(sys.argv[1])
