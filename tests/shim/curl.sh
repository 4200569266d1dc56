#!/bin/sh
# curl.sh: curl downloads 200 MB of random bytes from a local HTTP server
# (python3 -m http.server) through relayd, under the shim (the migrate
# wrapper with -r), while `migratectl migrate --all` moves its session 20
# times during the transfer.
#
# Checks: curl exits 0; the file has the size and SHA-256 of the served
# one; `migratectl --json list`, sampled during the transfer, shows curl's
# session (destination the HTTP server, relay relayd) ATTACHED after each
# move with its moves counter reaching 20 while curl still runs; the
# engine's log (MIGRATE_LOG) has the 20 resumes and the session closing
# "done" with 20 moves or more; relayd accepted as many resumes, carried
# the whole download and holds no session after.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/shim/lib.sh"

shim_init 170
require_cmd curl
SIZE=209715200
MOVES=20
# slow enough that 20 moves fit in the transfer, even in a sanitizer build
RATE=${RATE:-12M}

mkdir -p "$T/www"
head -c "$SIZE" /dev/urandom > "$T/www/big.bin"
WANT=$(sha256sum < "$T/www/big.bin" | cut -d' ' -f1)
set -- $(free_ports 1)
HPORT=$1
nsx python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$HPORT" \
    > "$T/http.log" 2>&1 &
t_track $!
wait_for 10 "the HTTP server" nsx python3 -c \
    "import socket; socket.create_connection(('127.0.0.1', $HPORT))"
shim_relay <<EOF
allow 127.0.0.1 port $HPORT
EOF
engine_for_tests

# curl under the shim; in sanitizer builds with a plain libmigrate.so
# (curl deadlocks with the ASan runtime preloaded, shim or not)
SHIM_PLAIN=1 mig -r "127.0.0.1:$RELAY_PORT" \
    timeout -k 5 140 curl -sS --fail --limit-rate "$RATE" \
    -o "$T/out.bin" "http://127.0.0.1:$HPORT/big.bin" 2>"$T/curl.err" &
CURL_PID=$!
t_track "$CURL_PID"
ID=$(wait_session curl)
say "curl's session is $ID"
mctl list
mctl --json list > "$T/samples.json"
python3 - "$T/samples.json" "$HPORT" "$RELAY_PORT" <<'EOF' ||
import json, sys
s = json.load(open(sys.argv[1]))["sessions"]
if len(s) != 1:
    sys.exit("expected one session, got %s" % s)
s = s[0]
if s["destination"] != "127.0.0.1:%s" % sys.argv[2]:
    sys.exit("destination %s" % s["destination"])
if s["relay"] != "127.0.0.1:%s" % sys.argv[3]:
    sys.exit("relay %s" % s["relay"])
if s["state"] != "ATTACHED":
    sys.exit("state %s" % s["state"])
EOF
    fail "curl's session is not what it should be"

i=0
while [ "$i" -lt "$MOVES" ]; do
	i=$((i + 1))
	t_alive "$CURL_PID" ||
	    fail "curl finished after only $((i - 1)) moves: lower RATE"
	out=$(mctl migrate --all) || fail "migratectl migrate --all failed: $out"
	expect_eq "migratectl migrate --all" "$out" "moving 1 session"
	wait_for 10 "move $i of session $ID" session_moves_ge "$ID" "$i"
	mctl --json list >> "$T/samples.json"
	sleep 0.05
done
mctl list
MOVED=$(session_field "$ID" moves)
DOWN=$(session_field "$ID" bytes_down)
t_alive "$CURL_PID" ||
    fail "curl finished before the 20th move could be seen in migratectl"
say "during the transfer: session $ID moved $MOVED times, $DOWN bytes down so far"
expect_ge "moves seen by migratectl during the transfer" "$MOVED" "$MOVES"
[ "$DOWN" -lt "$SIZE" ] ||
    fail "the transfer was over ($DOWN bytes) by the last move"

wait_exit "$CURL_PID" 140
cat "$T/curl.err"
expect_eq "curl's exit status" "$WAIT_RC" 0
GOT_SIZE=$(stat -c %s "$T/out.bin")
expect_eq "downloaded size" "$GOT_SIZE" "$SIZE"
GOT=$(sha256sum < "$T/out.bin" | cut -d' ' -f1)
expect_eq "SHA-256 of the download" "$GOT" "$WANT"
say "200 MB downloaded, SHA-256 matches ($GOT)"

# the engine's log: every resume, and the end of the session
wait_for 10 "the engine to log the end of session $ID" \
    grep -q "session $ID [0-9a-f]* curl\[[0-9]*\]: closed: " "$SHIM_LOG"
grep "session $ID [0-9a-f]* curl\[[0-9]*\]: closed: " "$SHIM_LOG"
NRES=$(grep -c "session $ID [0-9a-f]*: resumed (move " "$SHIM_LOG" || :)
expect_ge "resumes in the engine's log" "$NRES" "$MOVES"
grep -Eq "session $ID [0-9a-f]*: resumed \(move ${MOVES}[,)]" "$SHIM_LOG" ||
    fail "the engine did not log move $MOVES"
CLOSED_MOVES=$(sed -n "s/.*session $ID [0-9a-f]* curl\[[0-9]*\]: closed: done; .*, \([0-9]*\) moves$/\1/p" \
    "$SHIM_LOG")
[ -n "$CLOSED_MOVES" ] || fail "session $ID did not close as done"
expect_ge "moves when the session closed" "$CLOSED_MOVES" "$MOVES"
grep -q "connect_routed: 127.0.0.1:$HPORT via 127.0.0.1:$RELAY_PORT: session $ID" \
    "$SHIM_LOG" || fail "the shim did not log curl's routed connect"

# relayd's view
wait_for 10 "relayd to hold no session" stat_is sessions 0
expect_ge "relayd resumes_accepted" "$(stat_get resumes_accepted)" "$MOVES"
expect_ge "relayd bytes_down" "$(stat_get bytes_down)" "$SIZE"
expect_eq "relayd sessions_opened" "$(stat_get sessions_opened)" 1
expect_eq "relayd protocol_errors" "$(stat_get protocol_errors)" 0
engine_stop
stop_relayd
shim_finish
