#!/usr/bin/env python3
"""hostile.py: hostile clients against relayd, on raw sockets.

    hostile.py --relay HOST:PORT --dest HOST:PORT [--source ADDR]
               [--dump FILE] [--handshake-timeout S] [--per-source N]
               [--flood-source ADDR] [--only CASE,...]

Each case opens its own connection(s) to relayd (from --source, so that an
honest client on another loopback address keeps its own handshake budget)
and checks how relayd answers, and that relayd closes the connection:

  garbage-http       an HTTP request: ERROR(protocol), then EOF
  garbage-random     random bytes (a reserved type first): ERROR, EOF
  garbage-zeros      zero bytes (type 0): ERROR(protocol), EOF
  extension-first    an extension frame (0x80) before HELLO: ERROR, EOF
  truncated-close    30 bytes of a HELLO, then our end shut: EOF
  truncated-stall    30 bytes of a HELLO, then nothing: ERROR(timed out)
                     after the handshake timeout, EOF
  silent             connect and send nothing: ERROR(timed out), EOF
  oversized-*        headers of HELLO, RESUME, DATA and ERROR frames with a
                     length above 16384: ERROR(protocol) at once, EOF
  hello-garbage      a valid-looking HELLO (random key and nonce) to the
                     echo backend; after HELLO_OK, garbage: ERROR, EOF
  hello-data-garbage the same with a DATA frame first (echoed back as
                     DATA), then a frame of a reserved type: ERROR, EOF
  hello-bad-flags    HELLO_OK, then an ACK with an undefined flag: ERROR
  hello-low-order    a HELLO whose public key is all zeros: ERROR, EOF,
                     no HELLO_OK
  hello-version      a HELLO for versions 7..9: ERROR(version, detail
                     0x0101), EOF
  hello-denied       a HELLO to a destination no rule allows: ERROR(3)
  resume-random      a RESUME with a random token: exactly the 8 refusal
                     bytes 1f 00 00 04 00 09 00 00, then EOF
  resume-replay      the first and the last RESUME frames an honest
                     mclient sent (its -D dump), replayed after the session
                     moved on: the same 8 bytes, then EOF
  flood              --per-source + 4 idle connections from
                     --flood-source: the ones over the limit get
                     ERROR(limit reached) at once; all are closed by relayd

Prints one line per case and exits 0 only if every case passed.
"""
import argparse
import os
import socket
import struct
import sys
import time

REFUSAL = bytes.fromhex("1f00000400090000")
T_HELLO, T_HELLO_OK, T_RESUME, T_DATA, T_ACK, T_ERROR = 1, 2, 3, 0x10, 0x11, 0x1f
E_PROTOCOL, E_VERSION, E_DENIED, E_LIMIT, E_TIMEOUT = 1, 2, 3, 10, 11


class CaseFailed(Exception):
    pass


def hostport(s):
    host, port = s.rsplit(":", 1)
    return host.strip("[]"), int(port)


def frame(ftype, payload, flags=0):
    return struct.pack("!BBH", ftype, flags, len(payload)) + payload


def hello(dest, pub=None, vmin=1, vmax=1, window=1 << 20):
    host, port = dest
    pub = os.urandom(32) if pub is None else pub
    payload = struct.pack("!BBHI", vmin, vmax, 0, window) + pub + \
        os.urandom(16) + struct.pack("!BBH", 4, 0, port) + \
        socket.inet_aton(host)
    assert len(payload) == 64
    return frame(T_HELLO, payload)


def parse_frames(data):
    """(type, flags, payload) of every whole frame; the rest as bytes."""
    out, off = [], 0
    while off + 4 <= len(data):
        ftype, flags, length = struct.unpack_from("!BBH", data, off)
        if off + 4 + length > len(data):
            break
        out.append((ftype, flags, data[off + 4:off + 4 + length]))
        off += 4 + length
    return out, data[off:]


def error_code(fr):
    if fr[0] != T_ERROR or len(fr[2]) < 4:
        return None
    return struct.unpack_from("!HH", fr[2])


class Hostile:
    def __init__(self, args):
        self.args = args
        self.relay = hostport(args.relay)
        self.dest = hostport(args.dest)
        self.hs = args.handshake_timeout

    def connect(self, source=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.bind((source or self.args.source, 0))
        s.settimeout(5)
        s.connect(self.relay)
        return s

    def read_to_eof(self, s, limit):
        """Everything relayd sends until it closes; fail after limit s."""
        data = b""
        deadline = time.monotonic() + limit
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CaseFailed("relayd did not close the connection in "
                                 "%.1f s (got %r)" % (limit, data[:64]))
            s.settimeout(left)
            try:
                b = s.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                return data, "reset"
            if not b:
                return data, "eof"
            data += b

    def read_exact(self, s, n, limit=5):
        data = b""
        s.settimeout(limit)
        while len(data) < n:
            b = s.recv(n - len(data))
            if not b:
                raise CaseFailed("EOF after %d of %d bytes: %r" %
                                 (len(data), n, data))
            data += b
        return data

    def expect_error_close(self, s, code, limit=None, t0=None):
        """The answer ends with one ERROR frame of `code`, then EOF."""
        data, how = self.read_to_eof(s, limit or 5)
        frames, rest = parse_frames(data)
        if rest:
            raise CaseFailed("a partial frame before the close: %r" % rest)
        if not frames:
            raise CaseFailed("closed (%s) without an ERROR frame" % how)
        ec = error_code(frames[-1])
        if ec is None:
            raise CaseFailed("last frame is type 0x%02x, not ERROR" %
                             frames[-1][0])
        if code is not None and ec[0] != code:
            raise CaseFailed("ERROR code %d (%r), expected %d" %
                             (ec[0], frames[-1][2][4:], code))
        if any(f[0] == T_ERROR for f in frames[:-1]):
            raise CaseFailed("more than one ERROR frame")
        took = time.monotonic() - t0 if t0 else 0
        return "ERROR %d %r, then %s%s" % (
            ec[0], frames[-1][2][4:].decode(errors="replace"), how,
            " after %.1f s" % took if t0 else "")

    # ---- cases ------------------------------------------------------

    def case_garbage_http(self):
        s = self.connect()
        s.sendall(b"GET / HTTP/1.1\r\nHost: relayd\r\n\r\n")
        return self.expect_error_close(s, E_PROTOCOL)

    def case_garbage_random(self):
        s = self.connect()
        junk = bytes([0x20 + os.urandom(1)[0] % 0x60]) + os.urandom(511)
        s.sendall(junk)
        # a length that fits makes relayd wait for the rest: then the
        # handshake timeout ends it
        return self.expect_error_close(s, None, self.hs + 5)

    def case_garbage_zeros(self):
        s = self.connect()
        s.sendall(bytes(64))
        return self.expect_error_close(s, E_PROTOCOL)

    def case_extension_first(self):
        s = self.connect()
        s.sendall(frame(0x80, b"ext!") + hello(self.dest))
        return self.expect_error_close(s, E_PROTOCOL)

    def case_truncated_close(self):
        s = self.connect()
        s.sendall(hello(self.dest)[:30])
        s.shutdown(socket.SHUT_WR)
        data, how = self.read_to_eof(s, 5)
        frames, rest = parse_frames(data)
        if rest or any(error_code(f) is None for f in frames):
            raise CaseFailed("unexpected answer %r" % data)
        return "closed (%s) with %d bytes" % (how, len(data))

    def case_truncated_stall(self):
        s = self.connect()
        t0 = time.monotonic()
        s.sendall(hello(self.dest)[:30])
        return self.expect_error_close(s, E_TIMEOUT, self.hs + 5, t0)

    def case_silent(self):
        s = self.connect()
        t0 = time.monotonic()
        return self.expect_error_close(s, E_TIMEOUT, self.hs + 5, t0)

    def oversized(self, ftype):
        s = self.connect()
        t0 = time.monotonic()
        s.sendall(struct.pack("!BBH", ftype, 0, 16385) + os.urandom(200))
        r = self.expect_error_close(s, E_PROTOCOL, 5, t0)
        if time.monotonic() - t0 > self.hs / 2:
            raise CaseFailed("not refused from the header alone: %s" % r)
        return r

    def case_oversized_hello(self):
        return self.oversized(T_HELLO)

    def case_oversized_resume(self):
        return self.oversized(T_RESUME)

    def case_oversized_data(self):
        return self.oversized(T_DATA)

    def case_oversized_error(self):
        s = self.connect()
        s.sendall(struct.pack("!BBH", T_ERROR, 0, 0xffff) + os.urandom(100))
        return self.expect_error_close(s, E_PROTOCOL)

    def hello_ok(self, s):
        s.sendall(hello(self.dest))
        head = self.read_exact(s, 4)
        ftype, flags, length = struct.unpack("!BBH", head)
        body = self.read_exact(s, length)
        if ftype != T_HELLO_OK or length != 92 or body[0] != 1:
            raise CaseFailed("no HELLO_OK: %r" % (head + body)[:64])

    def case_hello_garbage(self):
        s = self.connect()
        self.hello_ok(s)
        # random bytes under a header of a reserved type whose length is
        # either above the maximum or within what is sent: a frame with a
        # plausible length still to come would rightly be waited for
        r = os.urandom(4)
        length = 16385 + r[2] if r[3] & 1 else r[2] % 200
        s.sendall(struct.pack("!BBH", 0x20 + r[0] % 0x60, r[1], length) +
                  os.urandom(300))
        return "HELLO_OK, then " + self.expect_error_close(s, E_PROTOCOL)

    def case_hello_data_garbage(self):
        s = self.connect()
        self.hello_ok(s)
        s.sendall(frame(T_DATA, b"hostile but polite"))
        # wait for the echo, so the garbage hits an established session
        got = b""
        s.settimeout(5)
        while b"hostile but polite" not in got:
            b = s.recv(4096)
            if not b:
                raise CaseFailed("EOF before the echo")
            got += b
        s.sendall(frame(0x42, b"reserved type"))
        data, how = self.read_to_eof(s, 5)
        frames, rest = parse_frames(got + data)
        if not frames or error_code(frames[-1]) is None or \
                error_code(frames[-1])[0] != E_PROTOCOL:
            raise CaseFailed("no ERROR(protocol) at the end: %r" % frames)
        return "echoed, then ERROR %d, then %s" % (E_PROTOCOL, how)

    def case_hello_bad_flags(self):
        s = self.connect()
        self.hello_ok(s)
        s.sendall(frame(T_ACK, struct.pack("!Q", 0), flags=0x80))
        return "HELLO_OK, then " + self.expect_error_close(s, E_PROTOCOL)

    def case_hello_low_order(self):
        s = self.connect()
        s.sendall(hello(self.dest, pub=bytes(32)))
        r = self.expect_error_close(s, E_PROTOCOL)
        return r

    def case_hello_version(self):
        s = self.connect()
        s.sendall(hello(self.dest, vmin=7, vmax=9))
        data, how = self.read_to_eof(s, 5)
        frames, rest = parse_frames(data)
        if len(frames) != 1 or error_code(frames[0]) != (E_VERSION, 0x0101):
            raise CaseFailed("expected ERROR(2, detail 0x0101), got %r" %
                             data)
        return "ERROR 2 detail 0x0101, then %s" % how

    def case_hello_denied(self):
        s = self.connect()
        s.sendall(hello(("192.0.2.1", 9)))
        return self.expect_error_close(s, E_DENIED)

    def refused(self, s, what):
        data, how = self.read_to_eof(s, 5)
        if data != REFUSAL:
            raise CaseFailed("%s: got %s, expected exactly %s" %
                             (what, data.hex(" "), REFUSAL.hex(" ")))
        return how

    def case_resume_random(self):
        s = self.connect()
        payload = struct.pack("!B3xQIQ", 1, int.from_bytes(os.urandom(8),
                              "big"), 1, 0) + os.urandom(32 + 16 + 32)
        assert len(payload) == 104
        s.sendall(frame(T_RESUME, payload))
        how = self.refused(s, "random token")
        return "refusal bytes %s, then %s" % (REFUSAL.hex(" "), how)

    def case_resume_replay(self):
        if not self.args.dump:
            raise CaseFailed("no --dump file given")
        deadline = time.monotonic() + 20
        lines = []
        while time.monotonic() < deadline:
            if os.path.exists(self.args.dump):
                with open(self.args.dump) as f:
                    lines = [l.strip() for l in f if l.strip()]
            if len(lines) >= 2:
                break
            time.sleep(0.1)
        if len(lines) < 2:
            raise CaseFailed("the honest client dumped %d RESUME frames in "
                             "20 s, need 2" % len(lines))
        # the session has moved on past both: the last one was confirmed
        time.sleep(0.3)
        done = []
        for label, line in (("first", lines[0]), ("latest", lines[-1])):
            fr = bytes.fromhex(line)
            if fr[0] != T_RESUME or len(fr) != 108:
                raise CaseFailed("dump line is not a RESUME: %s" % line[:40])
            s = self.connect()
            s.sendall(fr)
            done.append("%s of %d (reqno %d): %s" % (
                label, len(lines), struct.unpack_from("!I", fr, 4 + 12)[0],
                self.refused(s, "replayed %s RESUME" % label)))
        return "refusal bytes for each; " + "; ".join(done)

    def case_flood(self):
        n = self.args.per_source + 4
        socks = [self.connect(self.args.flood_source) for _ in range(n)]
        t0 = time.monotonic()
        limited = timed_out = 0
        for s in socks:
            data, how = self.read_to_eof(s, self.hs + 5)
            frames, rest = parse_frames(data)
            ec = error_code(frames[-1]) if frames else None
            if ec is None:
                raise CaseFailed("closed without ERROR: %r" % data)
            if ec[0] == E_LIMIT:
                limited += 1
            elif ec[0] == E_TIMEOUT:
                timed_out += 1
            else:
                raise CaseFailed("unexpected ERROR %d" % ec[0])
        if limited < 4 or timed_out > self.args.per_source:
            raise CaseFailed("%d limited, %d timed out of %d" %
                             (limited, timed_out, n))
        return "%d refused with ERROR 10, %d timed out, all closed in " \
            "%.1f s" % (limited, timed_out, time.monotonic() - t0)


CASES = [
    "garbage-http", "garbage-random", "garbage-zeros", "extension-first",
    "truncated-close", "truncated-stall", "silent", "oversized-hello",
    "oversized-resume", "oversized-data", "oversized-error",
    "hello-garbage", "hello-data-garbage", "hello-bad-flags",
    "hello-low-order", "hello-version", "hello-denied", "resume-random",
    "resume-replay", "flood",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--relay", required=True)
    ap.add_argument("--dest", required=True, help="an echo backend")
    ap.add_argument("--source", default="127.0.0.2")
    ap.add_argument("--flood-source", default="127.0.0.3")
    ap.add_argument("--dump", help="mclient -D file, for resume-replay")
    ap.add_argument("--handshake-timeout", type=float, default=10)
    ap.add_argument("--per-source", type=int, default=64)
    ap.add_argument("--only", help="comma-separated cases")
    args = ap.parse_args()
    cases = args.only.split(",") if args.only else CASES
    h = Hostile(args)
    failed = 0
    for name in cases:
        fn = getattr(h, "case_" + name.replace("-", "_"), None)
        if fn is None:
            sys.exit("hostile.py: unknown case %s" % name)
        t0 = time.monotonic()
        try:
            detail = fn()
            print("case %s: ok (%.1f s): %s" % (name, time.monotonic() - t0,
                                                detail), flush=True)
        except (CaseFailed, OSError) as e:
            failed += 1
            print("case %s: FAILED: %s: %s" % (name, type(e).__name__, e),
                  flush=True)
    print("hostile: %d cases, %d failed" % (len(cases), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
