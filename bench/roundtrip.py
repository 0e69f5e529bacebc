#!/usr/bin/env python3
"""CPU of one bare Redis round trip, the least a cache hit can add to the floor.

SPEC 7 lets no read return data older than a write that has returned, whichever process or
machine serves it, and SPEC 2 refuses a revoked token at once: so every cache hit asks the
shared Redis at least once (users/hits.py asks once, for the entry and the token's user
together). This measures that one question at its cheapest, below any client library: a GET of
a 1 KB value, the RESP command prebuilt, sent and read on a plain TCP socket, N times in a row.

    bench/roundtrip.py [-n 20000] [--rounds 3] [--json FILE]

It prints this process's CPU per round trip and, when the Redis server runs on this machine
(its `process_id` is one of ours in /proc), the Redis server's CPU per round trip too: both are
paid from the same cores the web workers use. Needs REDIS_URL.
"""

import argparse
import json
import os
import socket
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

TICKS = os.sysconf("SC_CLK_TCK")
KEY = b"bench:roundtrip"


def command(*parts: bytes) -> bytes:
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(part), part) for part in parts)


def read_reply(connection: socket.socket, length: int, data: bytes = b"") -> bytes:
    """At least `length` bytes of reply, `data` already among them (the caller knows how long
    its reply is)."""
    while len(data) < length:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError("Redis closed the connection")
        data += chunk
    return data


def process_cpu(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    connection = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379))
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if parts.password:
        auth = (unquote(parts.username or "default").encode(), unquote(parts.password).encode())
        connection.sendall(command(b"AUTH", *auth))
        if not read_reply(connection, 5).startswith(b"+OK"):
            sys.exit("Redis refused the credentials in REDIS_URL")
    database = (parts.path or "/0").lstrip("/") or "0"
    connection.sendall(command(b"SELECT", database.encode()))
    read_reply(connection, 5)
    return connection


def redis_pid(connection: socket.socket) -> int | None:
    connection.sendall(command(b"INFO", b"server"))
    data = read_reply(connection, 1)
    while b"\r\n" not in data:
        data = read_reply(connection, len(data) + 1, data)
    end = data.index(b"\r\n")
    body = read_reply(connection, end + 2 + int(data[1:end]) + 2, data)
    for line in body.decode(errors="replace").splitlines():
        if line.startswith("process_id:"):
            pid = int(line.split(":", 1)[1])
            return pid if Path(f"/proc/{pid}/comm").exists() else None
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--count", type=int, default=20000, help="round trips per round (default 20000)")
    parser.add_argument("-r", "--rounds", type=int, default=3, help="rounds; the best is reported (default 3)")
    parser.add_argument("--json", help="append one JSON object to this file")
    args = parser.parse_args()
    url = os.environ.get("REDIS_URL")
    if not url:
        sys.exit("set REDIS_URL")
    connection = connect(url)
    value = os.urandom(512).hex().encode()  # 1 KB, about a movie detail's cached entry
    connection.sendall(command(b"SET", KEY, value, b"EX", b"60"))  # every key expires (SPEC 7)
    read_reply(connection, 5)
    get = command(b"GET", KEY)
    reply_length = len(b"$%d\r\n" % len(value)) + len(value) + 2
    pid = redis_pid(connection)
    best_client = best_server = float("inf")
    for _ in range(args.rounds):
        server_before = process_cpu(pid) if pid else None
        cpu = time.process_time()
        for _ in range(args.count):
            connection.sendall(get)
            read_reply(connection, reply_length)
        best_client = min(best_client, (time.process_time() - cpu) / args.count)
        server_after = process_cpu(pid) if pid else None
        if server_before is not None and server_after is not None:
            best_server = min(best_server, (server_after - server_before) / args.count)
    connection.close()
    client_us = best_client * 1e6
    server_us = best_server * 1e6 if best_server != float("inf") else None
    server_text = f"{server_us:.1f} µs Redis CPU" if server_us is not None else "Redis CPU not visible from here"
    print(f"Redis GET round trip (1 KB, bare socket): {client_us:.1f} µs client CPU, {server_text}")
    if args.json:
        row = {"target": "redis", "path": "GET round trip", "bust": False, "status": "", "cpu_us": client_us}
        with open(args.json, "a") as out:
            out.write(json.dumps({**row, "redis_cpu_us": server_us}) + "\n")


if __name__ == "__main__":
    main()
