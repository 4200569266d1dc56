#!/bin/sh
# linger.sh: a detached session lives for `linger` and no longer.
#
# relayd runs with `linger 2s`.  Two clients in mclient's linger mode
# connect to an echo backend, drop their path with a reset and stay away:
#   - one for 4 s, longer than the linger: its resume is refused with
#     "resume refused" (code 9); relayd logged "linger time over", freed
#     the session (stats: 0 sessions, 0 detached, memory 0) and closed the
#     backend connection (the backend logged the close);
#   - one for 1 s, within the linger: it resumes.
# While both are away, stats shows 2 detached sessions.
# shellcheck disable=SC2046,SC2119
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/relayd/lib.sh"

t_init 120
start_backend echo echo
EPORT=$(port_of echo)
set -- $(free_ports 1)
LPORT=$1
relayd_conf "$T/relayd.conf" <<EOF
listen 127.0.0.1:$LPORT
allow 127.0.0.1 port $EPORT
linger 2s
EOF
start_relayd "$T/relayd.conf"

away() {	# OUT HOLD SEED (run with &: exec keeps $! the client's pid)
	exec timeout -k 5 40 "$MCLIENT" -r "127.0.0.1:$LPORT" -d "127.0.0.1:$EPORT" \
	    -T 30 -H "$2" -s "$3" linger >"$T/$1.out" 2>"$T/$1.err"
}
away long 4 1 &
LONG=$!
t_track "$LONG"
away short 1 2 &
SHORT=$!
t_track "$SHORT"

# Both sessions detached, both backend connections open.
wait_for 5 "two detached sessions" stat_is detached 2
expect_eq "sessions while away" "$(stat_get sessions)" 2
expect_eq "backend connections opened" "$(count_events echo open)" 2
expect_eq "backend connections closed while away" \
    "$(count_events echo close)" 0
ctl list | grep -q '"state": "DETACHED"' || fail "list shows no detached session"

wait_exit "$SHORT" 20
cat "$T/short.out"
[ "$WAIT_RC" -eq 0 ] || fail "short mclient exited with $WAIT_RC"
expect_eq "short hold result" "$(mc_get "$T/short.out" 0 result)" resumed
expect_eq "short hold resumes" "$(mc_get "$T/short.out" 0 resumes)" 1

wait_exit "$LONG" 30
cat "$T/long.out"
[ "$WAIT_RC" -eq 0 ] || fail "long mclient exited with $WAIT_RC"
expect_eq "long hold result" "$(mc_get "$T/long.out" 0 result)" \
    "resume refused"
expect_eq "long hold code" "$(mc_get "$T/long.out" 0 code)" 9
expect_eq "long hold remote" "$(mc_get "$T/long.out" 0 remote)" 1
expect_eq "long hold resumes" "$(mc_get "$T/long.out" 0 resumes)" 0

log_has 'closed: linger time over' ||
    fail "relayd did not log 'closed: linger time over'"
log_has 'resume from .* refused: unknown token' ||
    fail "relayd did not log the refused resume"
expect_ge "resumes refused (unknown token)" \
    "$(stat_get resumes_refused.unknown_token)" 1

# The short one resumed and then closed its path: it is detached again
# and lingers 2 s too; then nothing is left, and the backend saw both
# connections closed by relayd.
wait_for 10 "relayd to free every session" stat_is sessions 0
expect_eq "detached" "$(stat_get detached)" 0
expect_eq "memory" "$(stat_get memory)" 0
wait_for 10 "the backend to see both connections closed" \
    sh -c "[ \$(grep -c '\"event\": \"close\"' '$T/echo.events') -eq 2 ]"
grep '"event": "close"' "$T/echo.events"
grep -q '"how": "closed"' "$T/echo.events" ||
    fail "backend connections were not closed cleanly (FIN)"
expect_eq "linger closes logged" \
    "$(grep -c 'closed: linger time over' "$RELAYD_LOG")" 2
stop_relayd
