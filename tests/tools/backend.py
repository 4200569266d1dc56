#!/usr/bin/env python3
"""backend.py: real TCP servers for relayd's tests.

    backend.py MODE [--host H] [--port P] [--bytes N] [--seed S]
               [--rate BYTES_PER_S] [--results FILE] [--port-file FILE]
               [--log FILE]

Modes:
  echo     send back everything received; after the client's EOF, finish
           and close
  bulk     per connection: send --bytes pseudo-random bytes (then FIN)
           while reading everything until EOF; then append one JSON line
           to --results: {"conn", "sent", "sent_sha256", "received",
           "received_sha256"}
  reset    read a little, then reset the connection (SO_LINGER 0)
  silent   accept and never answer (a server that hangs)

Port 0 picks a free port; --port-file receives the port once listening.
--rate paces what bulk sends (bytes per second; 0: as fast as it can).
--log appends one JSON line per connection event: {"event": "open",
"conn", "peer"} when accepted and {"event": "close", "conn", "how"} when it
is over, "how" being "closed" (the handler finished: the peer's EOF was
read), "reset" (the peer reset it), "error: ..." (another socket error)
or "cancelled" (the backend was stopped with the connection open).
Raises its own RLIMIT_NOFILE soft limit to the hard one.  Runs until SIGTERM.
"""
import argparse
import asyncio
import hashlib
import json
import os
import random
import resource
import signal
import socket
import struct
import time

CHUNK = 256 * 1024


async def echo(reader, writer, args, conn):
    while True:
        data = await reader.read(CHUNK)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    if writer.can_write_eof():
        writer.write_eof()
    await writer.drain()
    writer.close()


async def bulk(reader, writer, args, conn):
    rng = random.Random(args.seed * 1000003 + conn)
    sent_hash = hashlib.sha256()
    recv_hash = hashlib.sha256()
    received = 0

    async def send():
        left = args.bytes
        start = time.monotonic()
        chunk = min(CHUNK, max(4096, args.rate // 20)) if args.rate else CHUNK
        while left > 0:
            n = min(chunk, left)
            block = rng.randbytes(n)
            sent_hash.update(block)
            writer.write(block)
            await writer.drain()
            left -= n
            if args.rate:
                ahead = (args.bytes - left) / args.rate - \
                    (time.monotonic() - start)
                if ahead > 0:
                    await asyncio.sleep(ahead)
        if writer.can_write_eof():
            writer.write_eof()

    async def recv():
        nonlocal received
        while True:
            data = await reader.read(CHUNK)
            if not data:
                return
            received += len(data)
            recv_hash.update(data)

    try:
        await asyncio.gather(send(), recv())
    except (ConnectionError, OSError) as e:
        line = {"conn": conn, "error": str(e)}
    else:
        line = {"conn": conn, "sent": args.bytes,
                "sent_sha256": sent_hash.hexdigest(), "received": received,
                "received_sha256": recv_hash.hexdigest()}
    if args.results:
        with open(args.results, "a") as f:
            f.write(json.dumps(line) + "\n")
    writer.close()


async def reset(reader, writer, args, conn):
    await reader.read(1)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack("ii", 1, 0))
    writer.transport.abort()


async def silent(reader, writer, args, conn):
    await reader.read()
    writer.close()


MODES = {"echo": echo, "bulk": bulk, "reset": reset, "silent": silent}


def log_event(args, **event):
    if args.log:
        with open(args.log, "a") as f:
            f.write(json.dumps(event) + "\n")


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass


async def main():
    raise_nofile()
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=sorted(MODES))
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--bytes", type=int, default=1 << 20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rate", type=int, default=0)
    ap.add_argument("--results")
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    args = ap.parse_args()
    handler = MODES[args.mode]
    counter = 0

    async def accept(reader, writer):
        nonlocal counter
        counter += 1
        conn = counter
        peer = writer.get_extra_info("peername")
        log_event(args, event="open", conn=conn,
                  peer="%s:%d" % (peer[0], peer[1]) if peer else None)
        how = "closed"
        try:
            await handler(reader, writer, args, conn)
        except ConnectionResetError:
            how = "reset"
            writer.close()
        except (ConnectionError, OSError) as e:
            how = "error: %s" % e
            writer.close()
        except asyncio.CancelledError:
            # stopping (SIGTERM) with the connection still open: end quietly
            how = "cancelled"
            writer.close()
        log_event(args, event="close", conn=conn, how=how)

    server = await asyncio.start_server(accept, args.host, args.port,
                                        backlog=4096, limit=CHUNK)
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
