#!/bin/sh
# engine.sh: the engine's own behaviour, seen from programs under the
# shim.
#
#   1. it serves its own uid only: `nobody`, in the same namespace,
#      connects to root's abstract socket ("\0migrate-engine-0",
#      SOCK_SEQPACKET) and sends a command: the connection is closed
#      without an answer, the engine logs that it refused uid 65534, and
#      goes on serving root;
#   2. SIGKILL while a program holds a connection, blocked in recv(): the
#      recv returns end of file (or an error) at once, a write then fails,
#      nothing hangs; the same program's next connect() starts a fresh
#      engine (another pid) and works, and sessions move on it;
#   3. idle exit (`migrate-engine -a -i 2`, started by hand as the shim
#      would, since the shim does not pass an idle time; the engine it
#      spawns waits the default 60 s): unused, it exits about 2 s after
#      it started; `-i 3` with a session held idle for 5 s: it stays up,
#      then exits about 3 s after the session ends, logging it; no
#      engine is left in the namespace.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/shim/lib.sh"

shim_init 120
require_cmd setpriv
start_backend echo echo
EPORT=$(port_of echo)
shim_relay <<EOF
allow 127.0.0.1 port $EPORT
EOF
engine_for_tests
MIGRATE_RELAY=127.0.0.1:$RELAY_PORT
export MIGRATE_RELAY

# a first connection (in a normal build, it spawns the engine)
mig timeout -k 5 30 python3 "$CLIENT" errno 127.0.0.1 "$EPORT" \
    > "$T/first.json" || fail "the first connection failed"
grep -q '"kind": "unix"' "$T/first.json" || fail "not routed: $(cat "$T/first.json")"
E1=$(engine_pid)
[ -n "$E1" ] || fail "no engine after the first routed connection"
say "engine pid $E1"

# ---- 1. a peer of another uid ------------------------------------------
# nobody may not read root's python (pyenv) nor the test's files: the
# system's python3 and the program on stdin
PYN=/usr/bin/python3
[ -x "$PYN" ] || PYN=$(python3 -c 'import sys; print(sys.executable)')
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
nsx timeout 20 $NOBODY "$PYN" -c 'import os; assert os.getuid() == 65534' ||
    fail "cannot run $PYN as nobody with setpriv"
nsx timeout -k 2 20 $NOBODY "$PYN" - > "$T/nobody.json" 2>"$T/nobody.err" <<'EOF' ||
import json, os, socket, struct, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect("\0migrate-engine-0")
cmd = b"status json"
out = {"uid": os.getuid(), "connected": True}
try:
    s.send(struct.pack("=HHI", 1, 16, len(cmd)) + cmd)
    out["sent"] = True
except OSError as e:
    out["sent"] = "error %s" % e
t0 = time.monotonic()
try:
    b = s.recv(65536)
    out["answer"] = "closed" if b == b"" else b[8:].decode(errors="replace")
except socket.timeout:
    out["answer"] = "timeout"
except OSError as e:
    out["answer"] = "closed (%s)" % e
out["seconds"] = round(time.monotonic() - t0, 3)
print(json.dumps(out))
EOF
    { cat "$T/nobody.err" >&2; fail "the nobody client failed"; }
cat "$T/nobody.json"
grep -q '"uid": 65534' "$T/nobody.json" || fail "the client did not run as nobody"
grep -q '"answer": "closed' "$T/nobody.json" ||
    fail "the engine answered a peer of another uid: $(cat "$T/nobody.json")"
wait_for 5 "the engine to log the refusal" \
    grep -q "migrate-engine\[$E1\]: refusing a client of uid 65534" "$SHIM_LOG"
expect_eq "engine after the refusal" "$(engine_pid)" "$E1"
say "a peer of uid 65534 was refused; the engine serves root still"

# ---- 2. SIGKILL under a blocked recv ---------------------------------
mig timeout -k 5 60 python3 "$CLIENT" hold "$EPORT" "$T/ready" \
    > "$T/hold.json" 2>"$T/hold.err" &
HOLD=$!
t_track "$HOLD"
wait_for 20 "the holding client" test -s "$T/ready"
sleep 0.5
t_alive "$HOLD" || fail "the holding client ended before the engine was killed"
kill -KILL "$E1" || fail "cannot kill the engine"
T0=$(date +%s)
wait_exit "$HOLD" 20
cat "$T/hold.json" "$T/hold.err"
expect_eq "holding client's exit status" "$WAIT_RC" 0
expect_le "seconds until the holding client was done" $(( $(date +%s) - T0 )) 5
python3 - "$T/hold.json" "$EPORT" <<'EOF' || fail "holding client result"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["recv"] == "eof" or r["recv"].startswith("error "), r
assert r["blocked_s"] < 4, r
assert r["then"].startswith("send error"), r
assert r["again"]["kind"] == "unix", r
assert r["again"]["peer"] == "127.0.0.1:%s" % sys.argv[2], r
EOF
E2=$(engine_pid)
[ -n "$E2" ] && [ "$E2" != "$E1" ] ||
    fail "no fresh engine after the kill (old $E1, now '$E2')"
t_alive "$E1" && fail "the killed engine $E1 is still there"
expect_eq "engines in the namespace" "$(engine_pids_in_ns | wc -l)" 1
say "engine $E1 killed: the blocked recv ended at once; fresh engine $E2"
mig timeout -k 5 60 python3 "$CLIENT" asyncio-echo "$EPORT" 2097152 3 \
    > "$T/after.json" 2>"$T/after.err" ||
    { cat "$T/after.err" >&2; fail "sessions on the fresh engine"; }
cat "$T/after.json"

# ---- 3. idle exit ---------------------------------------------------
engine_stop
# unused: exits on its own
T0=$(date +%s)
engine_start -i 2
E3=$(engine_pids_in_ns)
[ -n "$E3" ] || fail "no engine after migrate-engine -a -i 2"
wait_exit_pid() {	# PID SECONDS: not our child; poll /proc
	_end=$(( $(date +%s) + $2 ))
	while t_alive "$1"; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.1
	done
}
wait_exit_pid "$E3" 8 || fail "the unused engine $E3 did not exit within 8 s"
say "unused engine $E3 exited after $(( $(date +%s) - T0 )) s"
grep -q "migrate-engine\[$E3\]: idle for 2 s: exiting" "$SHIM_LOG" ||
    fail "the unused engine did not log its idle exit"

# with a session held idle longer than the idle time
now_ms() {
	date +%s%3N
}
engine_start -i 3
E4=$(engine_pids_in_ns)
[ -n "$E4" ] || fail "no engine after migrate-engine -a -i 3"
mig timeout -k 5 30 python3 "$CLIENT" linger "$EPORT" 5 > "$T/linger.json" \
    2>"$T/linger.err" &
LING=$!
t_track "$LING"
sleep 4.5
t_alive "$E4" || fail "the engine exited while a session was open"
wait_exit "$LING" 20
T0=$(now_ms)
expect_eq "lingering client's exit status" "$WAIT_RC" 0
grep -q '"ok": true' "$T/linger.json" ||
    fail "linger: $(cat "$T/linger.json" "$T/linger.err")"
wait_exit_pid "$E4" 10 ||
    fail "the engine $E4 did not exit within 10 s of the session's end"
DT=$(( $(now_ms) - T0 ))
say "engine $E4 exited $DT ms after its last session ended"
expect_ge "ms from the session's end to the idle exit" "$DT" 2000
grep -q "migrate-engine\[$E4\]: idle for 3 s: exiting" "$SHIM_LOG" ||
    fail "the engine did not log its idle exit"
grep -q "migrate-engine\[$E4\]: session [0-9]* [0-9a-f]* python3\[[0-9]*\]: closed: done" \
    "$SHIM_LOG" || fail "the lingering session did not end as done"
[ -z "$(engine_pids_in_ns)" ] || fail "an engine is left: $(engine_pids_in_ns)"

stop_relayd
shim_finish
