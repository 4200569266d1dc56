#!/bin/sh
# asyncio.sh: Python programs of the two usual shapes under the shim,
# echoing random data through relayd and the echo backend while their
# sessions are moved (migratectl migrate --all, from inside the program).
#
#   1. asyncio (non-blocking sockets, the epoll selector): one connection,
#      16 MB sent in random-sized writes while reading, 12 moves while
#      both directions are busy; every byte comes back (size, SHA-256).
#   2. threads: 8 threads, each its own connection, each echoing 4 MB in
#      random blocks, 10 moves of all 8 sessions at once; every block
#      comes back.
#
# Checks: the clients' own verification (exit 0), each move seen resumed
# in `migratectl --json list` before the next, getpeername is the echo
# server on every socket, the engine logged every resume and closed all
# 9 sessions as done, relayd opened 9 sessions, accepted the resumes and
# holds none after.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/shim/lib.sh"

shim_init 150
start_backend echo echo
EPORT=$(port_of echo)
shim_relay <<EOF
allow 127.0.0.1 port $EPORT
EOF
engine_for_tests

# ---- asyncio ----------------------------------------------------------
AMOVES=12
mig -r "127.0.0.1:$RELAY_PORT" timeout -k 5 100 \
    python3 "$CLIENT" asyncio-echo "$EPORT" 16777216 "$AMOVES" \
    > "$T/asyncio.out" 2>"$T/asyncio.err" || {
	cat "$T/asyncio.out" "$T/asyncio.err" >&2
	fail "the asyncio client failed"
}
cat "$T/asyncio.out"
python3 - "$T/asyncio.out" "$AMOVES" <<'EOF' || fail "asyncio client result"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["ok"] and r["selector"] == "EpollSelector", r
assert r["moves"] >= int(sys.argv[2]), r
EOF

# ---- threads ------------------------------------------------------------
TMOVES=10
mig -r "127.0.0.1:$RELAY_PORT" timeout -k 5 100 \
    python3 "$CLIENT" threads-echo "$EPORT" 8 4194304 "$TMOVES" \
    > "$T/threads.out" 2>"$T/threads.err" || {
	cat "$T/threads.out" "$T/threads.err" >&2
	fail "the threaded client failed"
}
cat "$T/threads.out"
python3 - "$T/threads.out" "$TMOVES" <<'EOF' || fail "threaded client result"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["ok"] and r["threads"] == 8, r
assert r["moves"] >= int(sys.argv[2]), r
EOF

# ---- the engine's and relayd's view -----------------------------------
wait_for 10 "every session to end" sh -c \
    "[ \"\$(grep -c 'closed: done' '$SHIM_LOG')\" -ge 9 ]"
NRES=$(grep -c ': resumed (move ' "$SHIM_LOG" || :)
expect_ge "resumes in the engine's log" "$NRES" $((AMOVES + 8 * TMOVES))
if grep 'closed: ' "$SHIM_LOG" | grep -v 'closed: done'; then
	fail "a session ended otherwise than done"
fi
wait_for 10 "relayd to hold no session" stat_is sessions 0
expect_eq "relayd sessions_opened" "$(stat_get sessions_opened)" 9
expect_ge "relayd resumes_accepted" "$(stat_get resumes_accepted)" \
    $((AMOVES + 8 * TMOVES))
expect_eq "relayd protocol_errors" "$(stat_get protocol_errors)" 0
[ "$(count_events echo open)" -eq 9 ] ||
    fail "the echo backend saw $(count_events echo open) connections, not 9"
engine_stop
stop_relayd
shim_finish
