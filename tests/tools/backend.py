#!/usr/bin/env python3
"""backend.py: real TCP servers for relayd's tests.

    backend.py MODE [--host H] [--port P] [--bytes N] [--seed S]
               [--results FILE] [--port-file FILE]

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
Runs until SIGTERM.
"""
import argparse
import asyncio
import hashlib
import json
import os
import random
import signal
import socket
import struct

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
        while left > 0:
            n = min(CHUNK, left)
            block = rng.randbytes(n)
            sent_hash.update(block)
            writer.write(block)
            await writer.drain()
            left -= n
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


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=sorted(MODES))
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--bytes", type=int, default=1 << 20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--results")
    ap.add_argument("--port-file")
    args = ap.parse_args()
    handler = MODES[args.mode]
    counter = 0

    async def accept(reader, writer):
        nonlocal counter
        counter += 1
        try:
            await handler(reader, writer, args, counter)
        except (ConnectionError, OSError):
            writer.close()

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
