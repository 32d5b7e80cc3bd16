#!/usr/bin/env python3
"""Opens many idle keep-alive TLS connections to a server on the loopback interface.

Each connection completes the TLS handshake and one `GET PATH` (HTTP/1.1, keep-alive), checks
for a 200, and then stays open and idle. Once all are open the script prints a line starting
with `READY` and holds them until --hold seconds have passed or it gets SIGTERM/SIGINT. With
--probe it then sends one more GET on every connection still open and counts the answers, which
tells whether the server kept them all. Standard library only (asyncio + ssl).

Prints `key=value` lines on stdout (for bench/memory.sh) and progress on stderr. Exits 0 when
the run itself worked, whatever the counts; 2 on bad arguments.

Only loopback addresses are accepted as targets.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import resource
import signal
import ssl
import sys
import time


def raise_nofile(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, needed)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def read_response(reader: asyncio.StreamReader) -> int:
    """Reads one HTTP/1.1 response with a Content-Length body; returns its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return status


class Pool:
    def __init__(self, args: argparse.Namespace, ctx: ssl.SSLContext) -> None:
        self.args = args
        self.ctx = ctx
        self.conns: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.failures: dict[str, int] = {}
        self.non200 = 0
        self.request = (
            f"GET {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
            "Connection: keep-alive\r\n\r\n"
        ).encode()

    def fail(self, what: str) -> None:
        self.failures[what] = self.failures.get(what, 0) + 1

    async def open_one(self, sem: asyncio.Semaphore) -> None:
        async with sem:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(
                        self.args.host, self.args.port, ssl=self.ctx,
                        server_hostname="localhost"),
                    timeout=self.args.connect_timeout)
            except Exception as e:  # refused, reset, timeout, TLS error
                self.fail(f"connect: {type(e).__name__}: {e}"[:120])
                return
            try:
                writer.write(self.request)
                await writer.drain()
                status = await asyncio.wait_for(read_response(reader),
                                                timeout=self.args.connect_timeout)
            except Exception as e:
                self.fail(f"first request: {type(e).__name__}: {e}"[:120])
                writer.transport.abort()
                return
            if status != 200:
                self.non200 += 1
            self.conns.append((reader, writer))

    async def probe(self) -> tuple[int, int]:
        """One more GET on every open connection: (answered with 200, failed)."""
        ok = bad = 0
        sem = asyncio.Semaphore(self.args.concurrency)

        async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal ok, bad
            async with sem:
                try:
                    writer.write(self.request)
                    await writer.drain()
                    status = await asyncio.wait_for(read_response(reader), timeout=10)
                    if status == 200:
                        ok += 1
                    else:
                        bad += 1
                except Exception:
                    bad += 1

        await asyncio.gather(*(one(r, w) for r, w in self.conns))
        return ok, bad

    def close_all(self) -> None:
        for _, writer in self.conns:
            writer.transport.abort()


async def main_async(args: argparse.Namespace) -> int:
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if args.cafile:
        ctx.load_verify_locations(args.cafile)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    pool = Pool(args, ctx)
    nofile = raise_nofile(args.count + 100)
    print(f"nofile={nofile}", flush=True)
    if nofile < args.count + 50:
        print(f"warning: RLIMIT_NOFILE {nofile} is below {args.count} connections",
              file=sys.stderr)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    started = time.monotonic()
    sem = asyncio.Semaphore(args.concurrency)
    tasks = [asyncio.create_task(pool.open_one(sem)) for _ in range(args.count)]

    async def progress() -> None:
        while True:
            await asyncio.sleep(5)
            print(f"  {len(pool.conns)} open, {sum(pool.failures.values())} failed, "
                  f"{time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)

    reporter = asyncio.create_task(progress())
    opening = asyncio.gather(*tasks)
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({opening, stopper}, timeout=args.open_timeout,
                                 return_when=asyncio.FIRST_COMPLETED)
    if opening not in done:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        pool.fail("not opened within --open-timeout" if stopper not in done else "interrupted")
        print("warning: opening did not finish", file=sys.stderr)
    reporter.cancel()
    open_seconds = time.monotonic() - started

    print(f"opened={len(pool.conns)}", flush=True)
    print(f"failed={sum(pool.failures.values())}", flush=True)
    print(f"non200={pool.non200}", flush=True)
    print(f"open_seconds={open_seconds:.1f}", flush=True)
    for what, n in sorted(pool.failures.items(), key=lambda kv: -kv[1]):
        print(f"failure={n} x {what}", flush=True)
    print("READY", flush=True)

    try:
        await asyncio.wait_for(stop.wait(), timeout=args.hold)
    except asyncio.TimeoutError:
        pass
    stopper.cancel()

    if args.probe:
        # Connections the server closed meanwhile are seen as EOF here.
        closed = sum(1 for r, _ in pool.conns if r.at_eof())
        ok, bad = await pool.probe()
        print(f"closed_by_server_before_probe={closed}", flush=True)
        print(f"probe_ok={ok}", flush=True)
        print(f"probe_failed={bad}", flush=True)
    pool.close_all()
    print("DONE", flush=True)
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", default="/healthz")
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--concurrency", type=int, default=100,
                   help="handshakes in flight at once")
    p.add_argument("--cafile", help="verify the server against this CA (default: no verification)")
    p.add_argument("--connect-timeout", type=float, default=30)
    p.add_argument("--open-timeout", type=float, default=300,
                   help="give up opening after this many seconds")
    p.add_argument("--hold", type=float, default=60,
                   help="seconds to hold the connections open after READY (SIGTERM ends it early)")
    p.add_argument("--probe", action="store_true",
                   help="after holding, send one more GET on every connection")
    args = p.parse_args()
    try:
        if not ipaddress.ip_address(args.host).is_loopback:
            raise ValueError
    except ValueError:
        print("error: --host must be a loopback address (127.0.0.0/8 or ::1)", file=sys.stderr)
        return 2
    if args.count < 1 or args.concurrency < 1 or args.hold < 0:
        print("error: --count, --concurrency must be positive and --hold >= 0", file=sys.stderr)
        return 2
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
