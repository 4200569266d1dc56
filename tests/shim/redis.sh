#!/bin/sh
# redis.sh: redis-cli under the shim against a redis-server of the test's
# own (loopback port, temp dir and configuration, no persistence), through
# relayd, with moves in the middle of its traffic.
#
#   1. `redis-cli --pipe` of 200,000 SET commands, fed in 10 batches; the
#      session is moved between two batches (9 moves, each resumed before
#      the next batch is written), redis-cli still reading its stdin.
#   2. one redis-cli reading commands from a pipe, one connection: per
#      move, a BLPOP with a 0.3 s timeout whose answer crosses the move,
#      a GET of a key set in 1 and an INCR; 8 moves; then DBSIZE.
#   3. separate redis-cli runs: DBSIZE and GETs of the first, last and
#      some other keys.
#
# Checks: --pipe reports 0 errors and 200,000 replies; every answer of 2
# and 3 is right; the engine logged the moves and the sessions done;
# relayd holds no session at the end.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/shim/lib.sh"

shim_init 150
require_cmd redis-server redis-cli
COUNT=200000
BATCHES=10
RMOVES=8

set -- $(free_ports 1)
RPORT=$1
mkdir -p "$T/redis"
cat > "$T/redis/redis.conf" <<EOF
bind 127.0.0.1
port $RPORT
dir $T/redis
save ""
appendonly no
daemonize no
protected-mode yes
logfile $T/redis.log
EOF
nsx redis-server "$T/redis/redis.conf" --save '' --appendonly no \
    >> "$T/redis.log" 2>&1 &
t_track $!
wait_for 20 "redis-server" nsx timeout 5 redis-cli -p "$RPORT" ping
shim_relay <<EOF
allow 127.0.0.1 port $RPORT
EOF
engine_for_tests
MIGRATE_RELAY=127.0.0.1:$RELAY_PORT
export MIGRATE_RELAY

# ---- 1. --pipe, moved between batches ---------------------------------
FEED_RESULT=$T/feed.json
export FEED_RESULT
nsx timeout -k 5 90 python3 "$CLIENT" feed-redis "$COUNT" "$BATCHES" 2>"$T/feed.err" |
    mig timeout -k 5 90 redis-cli -p "$RPORT" --pipe --pipe-timeout 60 \
    > "$T/pipe.out" 2>&1 || :
cat "$T/feed.err" "$T/pipe.out"
[ -s "$FEED_RESULT" ] || fail "the feeder did not finish"
python3 - "$FEED_RESULT" "$COUNT" "$BATCHES" <<'EOF' || fail "feeder result"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["commands"] == int(sys.argv[2]), r
assert r["moves"] >= int(sys.argv[3]) - 1, r
EOF
grep -q "errors: 0, replies: $COUNT" "$T/pipe.out" ||
    fail "redis-cli --pipe did not report 0 errors and $COUNT replies"

# ---- 2. one redis-cli, commands from a pipe, answers across moves ------
mig timeout -k 5 90 python3 "$CLIENT" redis-repl "$COUNT" "$RMOVES" -- \
    redis-cli -p "$RPORT" > "$T/repl.out" 2>"$T/repl.err" ||
    { cat "$T/repl.out" "$T/repl.err" >&2; fail "redis-cli with moves"; }
cat "$T/repl.out"
python3 - "$T/repl.out" "$RMOVES" <<'EOF' || fail "redis-repl result"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["ok"] and r["moves"] >= int(sys.argv[2]), r
EOF

# ---- 3. the data, from fresh connections --------------------------------
expect_eq "DBSIZE" "$(mig timeout 20 redis-cli -p "$RPORT" DBSIZE)" \
    $((COUNT + 1))
for k in 0 1 96 97 12345 99999 $((COUNT - 1)); do
	want=$(python3 -c 'import sys; k = int(sys.argv[1]); print("value:%d:%s" % (k, "x" * (k % 97)))' "$k")
	expect_eq "GET key:$k" "$(mig timeout 20 redis-cli -p "$RPORT" GET "key:$k")" \
	    "$want"
done
expect_eq "the counter" "$(mig timeout 20 redis-cli -p "$RPORT" GET counter)" \
    "$RMOVES"

# ---- the engine's and relayd's view -----------------------------------
NSESS=$((2 + 1 + 8))
wait_for 10 "every session to end" sh -c \
    "[ \"\$(grep -c 'closed: ' '$SHIM_LOG')\" -ge $NSESS ]"
if grep 'closed: ' "$SHIM_LOG" | grep -v 'closed: done'; then
	fail "a session ended otherwise than done"
fi
NRES=$(grep -c ': resumed (move ' "$SHIM_LOG" || :)
expect_ge "resumes in the engine's log" "$NRES" $((BATCHES - 1 + RMOVES))
wait_for 10 "relayd to hold no session" stat_is sessions 0
expect_eq "relayd protocol_errors" "$(stat_get protocol_errors)" 0
engine_stop
stop_relayd
shim_finish
