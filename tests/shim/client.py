#!/usr/bin/env python3
"""client.py: programs for the shim's integration tests (tests/shim/*.sh).

They run under libmigrate.so (through the `migrate` wrapper or
LD_PRELOAD) inside the test's network namespace, and force moves of their
own sessions with migratectl ($MIGRATECTL) while data is in flight.  Each
prints one JSON line with what it saw and exits 0 only if every check
held; a failure is a message on stderr and exit 1.

    client.py asyncio-echo PORT BYTES MOVES
    client.py threads-echo PORT THREADS BYTES MOVES
    client.py fork-child PORT MOVES OUTFILE
    client.py exec-parent PORT MOVES
    client.py exec-child FD PORT MOVES [OUTFILE]
    client.py errno HOST PORT [nonblock]
    client.py hold PORT READYFILE
    client.py linger PORT SECONDS
    client.py feed-redis COUNT BATCHES            (stdout: redis protocol)
    client.py redis-repl COUNT MOVES -- REDIS-CLI-COMMAND...
    client.py ssh-pty MOVES -- SSH-COMMAND...
"""
import asyncio
import errno
import hashlib
import json
import os
import random
import select
import socket
import subprocess
import sys
import threading
import time

MIGRATECTL = os.environ.get("MIGRATECTL", "migratectl")


def die(msg):
    sys.stderr.write("client.py %s: %s\n" % (sys.argv[1], msg))
    sys.stderr.flush()
    os._exit(1)


def migratectl(*args, check=True):
    r = subprocess.run([MIGRATECTL, *args], capture_output=True, text=True,
                       timeout=15)
    if check and r.returncode != 0:
        die("migratectl %s: exit %d: %s%s" % (" ".join(args), r.returncode,
                                             r.stdout, r.stderr))
    return r.stdout


def sessions():
    return json.loads(migratectl("--json", "list"))["sessions"]


def my_sessions(pids):
    return [s for s in sessions() if s["pid"] in pids]


def move_all(pids, timeout=15):
    """Move every session (migratectl migrate --all) and wait until those
    of `pids` have all resumed once more.  Returns their moves counts."""
    before = {s["id"]: s["moves"] for s in my_sessions(pids)}
    if not before:
        die("no session of pid %s in the engine" % sorted(pids))
    out = migratectl("migrate", "--all")
    if not out.startswith("moving "):
        die("migratectl migrate --all said %r" % out)
    end = time.monotonic() + timeout
    while True:
        now = {s["id"]: s for s in my_sessions(pids)}
        missing = [i for i in before if i not in now]
        if missing:
            die("sessions %s disappeared during a move" % missing)
        if all(now[i]["moves"] > before[i] and now[i]["state"] == "ATTACHED"
               for i in before):
            return {i: now[i]["moves"] for i in before}
        if time.monotonic() > end:
            die("sessions did not resume within %d s: %s" %
                (timeout, [now[i] for i in before]))
        time.sleep(0.01)


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        b = sock.recv(min(65536, n - len(buf)))
        if not b:
            die("end of stream after %d of %d bytes" % (len(buf), n))
        buf += b
    return bytes(buf)


def echo_round(sock, data):
    sock.sendall(data)
    back = recv_exact(sock, len(data))
    if back != data:
        die("echo mismatch (%d bytes)" % len(data))


def addr_pair(sock):
    return ["%s:%d" % sock.getpeername()[:2], "%s:%d" % sock.getsockname()[:2]]


def check_peer(sock, port):
    peer = sock.getpeername()
    if peer[:2] != ("127.0.0.1", port):
        die("getpeername gave %r, not 127.0.0.1:%d" % (peer, port))
    if sock.family != socket.AF_INET or sock.type != socket.SOCK_STREAM:
        die("socket is %r/%r, not AF_INET/SOCK_STREAM" % (sock.family,
                                                           sock.type))


# ---------------------------------------------------------------------
async def asyncio_echo(port, total, moves):
    loop = asyncio.get_running_loop()
    selector = type(getattr(loop, "_selector", None)).__name__
    if selector != "EpollSelector":
        die("the event loop's selector is %s, not EpollSelector" % selector)
    reader, writer = await asyncio.open_connection("127.0.0.1", port,
                                                   limit=1 << 20)
    sock = writer.get_extra_info("socket")
    if os.get_blocking(sock.fileno()):
        die("asyncio's socket is blocking")
    check_peer(sock, port)
    rng = random.Random(port)
    sent = hashlib.sha256()
    got = hashlib.sha256()
    nsent = nrecv = 0
    pid = os.getpid()
    done_moves = 0

    async def send():
        # phase by phase; at the end of each but the last, a move starts
        # (in a thread) and the next phase is written while it happens
        nonlocal nsent, done_moves
        per = total // (moves + 1)
        pending = None
        for phase in range(moves + 1):
            end = total if phase == moves else (phase + 1) * per
            while nsent < end:
                n = min(end - nsent, rng.randint(1, 256 * 1024))
                block = rng.randbytes(n)
                sent.update(block)
                writer.write(block)
                await writer.drain()
                nsent += n
            if phase < moves:
                if pending is not None:
                    done_moves = min((await pending).values())
                pending = loop.run_in_executor(None, move_all, {pid})
        if pending is not None:
            done_moves = min((await pending).values())
        writer.write_eof()

    async def recv():
        nonlocal nrecv
        while True:
            b = await reader.read(1 << 20)
            if not b:
                return
            got.update(b)
            nrecv += len(b)

    await asyncio.wait_for(asyncio.gather(send(), recv()), 120)
    writer.close()
    if nrecv != total or got.digest() != sent.digest():
        die("received %d bytes (sha256 %s), sent %d (sha256 %s)" %
            (nrecv, got.hexdigest(), total, sent.hexdigest()))
    print(json.dumps({"ok": True, "bytes": total, "moves": done_moves,
                      "selector": selector, "sha256": sent.hexdigest()}))


def threads_echo(port, nthreads, total, moves):
    """Each thread echoes blocks on its own connection; at each of `moves`
    boundaries it sends half a block, waits for the move of every session
    (made by the main thread once all threads are there), then sends the
    rest and reads the whole block back."""
    pid = os.getpid()
    results = [None] * nthreads
    errors = []
    cond = threading.Condition()
    at_boundary = [0] * nthreads        # boundaries reached, per thread
    moved = [0]                          # moves completed
    per = total // (moves + 1)

    def worker(k):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=60)
            check_peer(sock, port)
            rng = random.Random(k * 7919 + port)
            h = hashlib.sha256()
            done = 0
            boundary = 0
            while done < total:
                block = rng.randbytes(min(total - done,
                                          rng.randint(1, 64 * 1024)))
                h.update(block)
                if boundary < moves and done + len(block) > \
                        (boundary + 1) * per:
                    boundary += 1
                    half = len(block) // 2
                    sock.sendall(block[:half])
                    with cond:
                        at_boundary[k] = boundary
                        cond.notify_all()
                        if not cond.wait_for(lambda: moved[0] >= boundary
                                             or errors, 60):
                            raise RuntimeError("no move %d" % boundary)
                    if errors:
                        return
                    sock.sendall(block[half:])
                    if recv_exact(sock, len(block)) != block:
                        raise RuntimeError("echo mismatch across move %d"
                                           % boundary)
                else:
                    echo_round(sock, block)
                done += len(block)
            sock.shutdown(socket.SHUT_WR)
            if sock.recv(1) != b"":
                raise RuntimeError("data after the echo's end")
            sock.close()
            results[k] = h.hexdigest()
        except Exception as e:    # noqa: BLE001 (report any failure)
            with cond:
                errors.append("thread %d: %r" % (k, e))
                cond.notify_all()

    threads = [threading.Thread(target=worker, args=(k,), daemon=True)
               for k in range(nthreads)]
    for t in threads:
        t.start()
    least = 0
    for i in range(1, moves + 1):
        with cond:
            if not cond.wait_for(lambda: min(at_boundary) >= i or errors,
                                 60):
                die("threads did not reach boundary %d" % i)
            if errors:
                die("; ".join(errors))
        mine = my_sessions({pid})
        if len(mine) != nthreads:
            die("%d sessions in the engine, not %d" % (len(mine), nthreads))
        least = min(move_all({pid}).values())
        with cond:
            moved[0] = i
            cond.notify_all()
    for t in threads:
        t.join(120)
        if t.is_alive():
            die("a thread did not finish")
    if errors:
        die("; ".join(errors))
    if None in results:
        die("some threads have no result")
    print(json.dumps({"ok": True, "threads": nthreads, "bytes": total,
                      "moves": least}))


# ---------------------------------------------------------------------
def rounds(sock, port, moves, pids, tag):
    """An echo round, then per move: a move, an echo round."""
    rng = random.Random(tag)
    echo_round(sock, ("%s hello\n" % tag).encode())
    counts = {}
    for i in range(moves):
        data = rng.randbytes(rng.randint(1, 200000))
        sock.sendall(data[:len(data) // 2])
        counts = move_all(pids)        # half sent, before the echo is read
        sock.sendall(data[len(data) // 2:])
        if recv_exact(sock, len(data)) != data:
            die("%s: echo mismatch after move %d" % (tag, i + 1))
    return min(counts.values()) if counts else 0


def fork_child(port, moves, outfile):
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    check_peer(sock, port)
    echo_round(sock, b"parent\n")
    parent = os.getpid()
    pid = os.fork()
    if pid > 0:
        os._exit(0)                 # the parent leaves, its copy closes
    try:
        end = time.monotonic() + 20
        while os.getppid() == parent:
            if time.monotonic() > end:
                die("the parent did not exit")
            time.sleep(0.01)
        time.sleep(0.2)
        check_peer(sock, port)
        n = rounds(sock, port, moves, {parent}, "child")
        sock.shutdown(socket.SHUT_WR)
        if sock.recv(1) != b"":
            die("data after the echo's end")
        out = {"ok": True, "moves": n, "parent": parent,
               "child": os.getpid(), "peer": addr_pair(sock)[0]}
    except SystemExit:
        raise
    except Exception as e:          # noqa: BLE001
        die("child: %r" % e)
    with open(outfile + ".tmp", "w") as f:
        f.write(json.dumps(out) + "\n")
    os.rename(outfile + ".tmp", outfile)
    os._exit(0)


def exec_parent(port, moves):
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    check_peer(sock, port)
    echo_round(sock, b"exec parent\n")
    fd = sock.fileno()
    r = subprocess.run([sys.executable, os.path.abspath(__file__),
                        "exec-child", str(fd), str(port), str(moves)],
                       pass_fds=[fd], timeout=120, capture_output=True,
                       text=True)
    sys.stderr.write(r.stderr)
    if r.returncode != 0:
        die("exec-child exited with %d" % r.returncode)
    child = json.loads(r.stdout)
    # the connection is still the parent's too
    echo_round(sock, b"parent again\n")
    sock.close()
    child["parent_after"] = "ok"
    print(json.dumps(child))


def exec_child(fd, port, moves, outfile=None):
    # a descriptor inherited across exec: the shim's table is empty here,
    # it asks the engine what the unix socket is
    sock = socket.socket(fileno=fd)
    sock.settimeout(60)     # the descriptor may be non-blocking
    check_peer(sock, port)
    local = sock.getsockname()
    if local[0] != "127.0.0.1" or local[1] == 0:
        die("getsockname gave %r" % (local,))
    for level, name, want in ((socket.SOL_SOCKET, socket.SO_TYPE,
                               socket.SOCK_STREAM),
                              (socket.SOL_SOCKET, socket.SO_DOMAIN,
                               socket.AF_INET),
                              (socket.SOL_SOCKET, socket.SO_PROTOCOL,
                               socket.IPPROTO_TCP),
                              (socket.SOL_SOCKET, socket.SO_ERROR, 0)):
        got = sock.getsockopt(level, name)
        if got != want:
            die("getsockopt(%d, %d) gave %d, not %d" % (level, name, got,
                                                        want))
    ids = {s["pid"] for s in sessions()}
    n = rounds(sock, port, moves, ids, "exec-child")
    out = {"ok": True, "moves": n, "peer": "%s:%d" % sock.getpeername(),
           "local": "%s:%d" % local, "pid": os.getpid()}
    sock.detach()
    line = json.dumps(out)
    if outfile:
        with open(outfile, "w") as f:
            f.write(line + "\n")
    print(line)


# ---------------------------------------------------------------------
def sock_kind(sock):
    """tcp or unix: where the descriptor's inode is in this namespace."""
    ino = os.fstat(sock.fileno()).st_ino
    for table, kind in (("/proc/self/net/tcp", "tcp"),
                        ("/proc/self/net/tcp6", "tcp"),
                        ("/proc/self/net/unix", "unix")):
        try:
            with open(table) as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    col = 6 if kind == "unix" else 9
                    if len(fields) > col and fields[col] == str(ino):
                        return kind
        except FileNotFoundError:
            pass
    return "unknown"


def errno_client(host, port, nonblock):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if nonblock:
        sock.setblocking(False)
    t0 = time.monotonic()
    err = sock.connect_ex((host, port))
    out = {"errno": errno.errorcode.get(err, str(err)) if err else None,
           "seconds": round(time.monotonic() - t0, 3)}
    if err == 0:
        sock.setblocking(True)
        sock.settimeout(20)
        out["kind"] = sock_kind(sock)
        out["peer"], out["sock"] = addr_pair(sock)
        echo_round(sock, b"errno client\n")
        out["echo"] = "ok"
    print(json.dumps(out))


def hold(port, ready):
    """Connect, one echo round, then block in recv until the engine dies
    (the test kills it); then connect again (a new engine must start)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    echo_round(sock, b"hold\n")
    sock.settimeout(None)
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(ready + ".tmp", ready)
    t0 = time.monotonic()
    try:
        b = sock.recv(100)
        what = "eof" if b == b"" else "data %r" % b
    except OSError as e:
        what = "error %s" % errno.errorcode.get(e.errno, e.errno)
    waited = time.monotonic() - t0
    try:
        sock.sendall(b"x" * 100000)
        after = "send ok"
    except OSError as e:
        after = "send error %s" % errno.errorcode.get(e.errno, e.errno)
    sock.close()
    out = {"recv": what, "blocked_s": round(waited, 3), "then": after}
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    echo_round(sock, b"again\n")
    out["again"] = {"kind": sock_kind(sock), "peer": addr_pair(sock)[0],
                    "sessions": len(sessions())}
    sock.close()
    print(json.dumps(out))


def linger(port, seconds):
    """One session held idle for a while, working before and after."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    echo_round(sock, b"before\n")
    time.sleep(seconds)
    echo_round(sock, b"after\n")
    sock.close()
    print(json.dumps({"ok": True, "held_s": seconds}))


# ---------------------------------------------------------------------
def feed_redis(count, batches):
    """Redis protocol on stdout: COUNT SETs in BATCHES; between two
    batches the redis-cli connection (the one session of the engine) is
    moved and the feeder waits for it to resume."""
    out = sys.stdout.buffer
    per = count // batches
    moves = 0
    k = 0
    for b in range(batches):
        chunk = []
        for _ in range(per if b < batches - 1 else count - k):
            key = b"key:%d" % k
            val = b"value:%d:" % k + b"x" * (k % 97)
            chunk.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" %
                         (len(key), key, len(val), val))
            k += 1
        out.write(b"".join(chunk))
        out.flush()
        if b < batches - 1:
            # wait for redis-cli's session, then move it mid-stream
            end = time.monotonic() + 20
            while not [s for s in sessions() if s["program"] == "redis-cli"]:
                if time.monotonic() > end:
                    die("no redis-cli session in the engine")
                time.sleep(0.02)
            pids = {s["pid"] for s in sessions()
                    if s["program"] == "redis-cli"}
            moves = min(move_all(pids).values())
    sys.stderr.write("feed-redis: %d commands, %d moves\n" % (k, moves))
    with open(os.environ["FEED_RESULT"], "w") as f:
        f.write(json.dumps({"commands": k, "moves": moves}) + "\n")


def redis_repl(count, moves, argv):
    """redis-cli (argv) reading commands from a pipe, one connection: per
    move, a blocking command (BLPOP with a timeout) whose answer crosses
    the move, then reads of keys fed by feed-redis, and a counter."""
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True, bufsize=1)
    rng = random.Random(count)

    def ask(line):
        p.stdin.write(line + "\n")
        p.stdin.flush()

    def answer(want, what):
        got = p.stdout.readline()
        if got == "":
            die("redis-cli ended before the answer to %s" % what)
        if got.rstrip("\n") != want:
            die("%s: redis-cli said %r, not %r" % (what, got, want))

    ask("PING")
    answer("PONG", "PING")
    pids = {p.pid}
    n = 0
    for i in range(moves):
        k = rng.randrange(count)
        ask("BLPOP nolist-%d 0.3" % i)
        ask("GET key:%d" % k)
        ask("INCR counter")
        n = min(move_all(pids).values())
        answer("", "BLPOP across move %d" % (i + 1))
        answer("value:%d:%s" % (k, "x" * (k % 97)), "GET key:%d" % k)
        answer("%d" % (i + 1), "INCR after move %d" % (i + 1))
    ask("DBSIZE")
    answer("%d" % (count + 1), "DBSIZE")
    p.stdin.close()
    if p.wait(20) != 0:
        die("redis-cli exited with %d" % p.returncode)
    print(json.dumps({"ok": True, "moves": n, "dbsize": count + 1}))


# ---------------------------------------------------------------------
def ssh_pty(moves, argv):
    """Drive an interactive ssh through a pseudo-terminal: type commands,
    read their answers, move the session between them."""
    import pty
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    buf = bytearray()
    log = open(os.environ["SSH_TRANSCRIPT"], "ab")

    def expect(pattern, timeout=20):
        end = time.monotonic() + timeout
        while pattern not in buf:
            left = end - time.monotonic()
            if left <= 0:
                die("no %r in ssh's output within %d s; last: %r" %
                    (pattern, timeout, bytes(buf[-300:])))
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                continue
            try:
                b = os.read(fd, 65536)
            except OSError:
                b = b""
            if not b:
                die("ssh's terminal closed while waiting for %r; last: %r" %
                    (pattern, bytes(buf[-300:])))
            log.write(b)
            log.flush()
            buf.extend(b)
        i = buf.index(pattern) + len(pattern)
        del buf[:i]

    def typed(line):
        os.write(fd, line.encode() + b"\n")

    # a prompt-independent start: ask for a marker and wait for it
    typed("stty -echo; echo READY-$((40+2))")
    expect(b"READY-42", 30)
    pids = set()
    end = time.monotonic() + 20
    while not pids:
        pids = {s["pid"] for s in sessions() if s["program"] == "ssh"}
        if time.monotonic() > end:
            die("no ssh session in the engine")
        time.sleep(0.05)
    n = 0
    for i in range(moves):
        # a command whose answer crosses the move, then one after it
        typed("sleep 0.2; echo BEFORE-%d-$((%d*3))" % (i, i))
        n = min(move_all(pids).values())
        expect(b"BEFORE-%d-%d" % (i, i * 3))
        typed("echo AFTER-%d-$((%d+1000))" % (i, i))
        expect(b"AFTER-%d-%d" % (i, i + 1000))
    # some bulk through the moved session
    typed("seq 1 200000 | sha256sum | cut -c1-16 | sed 's/^/SUM-/'")
    want = hashlib.sha256("".join("%d\n" % i for i in range(1, 200001))
                          .encode()).hexdigest()[:16]
    expect(b"SUM-" + want.encode())
    typed("exit 0")
    end = time.monotonic() + 20
    while True:
        try:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r and not os.read(fd, 65536):
                break
        except OSError:
            break
        if time.monotonic() > end:
            die("ssh did not end after exit")
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        die("ssh exited with %d" % code)
    print(json.dumps({"ok": True, "moves": n, "ssh_exit": code}))


def main():
    if len(sys.argv) < 2:
        die("usage: see the docstring")
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "asyncio-echo":
        asyncio.run(asyncio_echo(int(a[0]), int(a[1]), int(a[2])))
    elif cmd == "threads-echo":
        threads_echo(int(a[0]), int(a[1]), int(a[2]), int(a[3]))
    elif cmd == "fork-child":
        fork_child(int(a[0]), int(a[1]), a[2])
    elif cmd == "exec-parent":
        exec_parent(int(a[0]), int(a[1]))
    elif cmd == "exec-child":
        exec_child(int(a[0]), int(a[1]), int(a[2]),
                   a[3] if len(a) > 3 else None)
    elif cmd == "errno":
        errno_client(a[0], int(a[1]), len(a) > 2 and a[2] == "nonblock")
    elif cmd == "hold":
        hold(int(a[0]), a[1])
    elif cmd == "linger":
        linger(int(a[0]), float(a[1]))
    elif cmd == "feed-redis":
        feed_redis(int(a[0]), int(a[1]))
    elif cmd == "redis-repl":
        redis_repl(int(a[0]), int(a[1]), a[3:] if a[2] == "--" else a[2:])
    elif cmd == "ssh-pty":
        ssh_pty(int(a[0]), a[2:] if a[1] == "--" else a[1:])
    else:
        die("unknown command")


if __name__ == "__main__":
    main()
