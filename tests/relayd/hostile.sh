#!/bin/sh
# hostile.sh: hostile input in every state while an honest session runs.
#
# tests/relayd/hostile.py (see its header for the cases) sends garbage
# first bytes, truncated and stalled frames, oversized lengths, valid
# HELLOs followed by garbage, bad versions and low-order keys, a RESUME
# with a random token (exactly the 8 refusal bytes, then EOF), replays of
# RESUME frames an honest client really sent (mclient -D; the same 8
# bytes), and a flood over the per-source handshake limit.  Every hostile
# connection must be closed by relayd.
#
# Meanwhile an honest mclient bulk session (32 MiB each way, the backend
# paced to last ~15 s, 10 kills) runs from another loopback address for
# the whole attack and must finish byte-exact; relayd must stay up (pid
# alive, control socket answering), count what it refused, free every
# hostile session and backend connection, and exit 0 on SIGTERM.
# shellcheck disable=SC2046,SC2119
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/relayd/lib.sh"

t_init 150
SIZE=33554432
SEED=${SEED:-$(( ($$ * 7919 + $(date +%s)) % 1000000 + 1 ))}
say "seed $SEED"

start_backend echo echo
EPORT=$(port_of echo)
start_backend bulk bulk --bytes "$SIZE" --seed "$SEED" --rate 2200000
BPORT=$(port_of bulk)
set -- $(free_ports 1)
LPORT=$1
relayd_conf "$T/relayd.conf" <<EOF
listen 127.0.0.1:$LPORT
allow 127.0.0.1 port $EPORT
allow 127.0.0.1 port $BPORT
handshake-timeout 2s
max-handshakes-per-source 8
EOF
start_relayd "$T/relayd.conf"

# The honest session, from 127.0.0.1 (the attack comes from .2 and .3).
timeout -k 5 120 "$MCLIENT" -r "127.0.0.1:$LPORT" -d "127.0.0.1:$BPORT" \
    -n "$SIZE" -k 10 -s "$SEED" -T 110 -D "$T/resumes.hex" bulk \
    >"$T/honest.out" 2>"$T/honest.err" &
HONEST=$!
t_track "$HONEST"
wait_for 10 "the honest session to be established" stat_is sessions 1

MC_RC=0
timeout -k 5 100 python3 "$HOSTILE" --relay "127.0.0.1:$LPORT" \
    --dest "127.0.0.1:$EPORT" --source 127.0.0.2 --flood-source 127.0.0.3 \
    --dump "$T/resumes.hex" --handshake-timeout 2 --per-source 8 \
    >"$T/hostile.out" 2>&1 || MC_RC=$?
cat "$T/hostile.out"
[ "$MC_RC" -eq 0 ] || fail "hostile.py: some case failed (exit $MC_RC)"
grep -q '^case resume-replay: ok' "$T/hostile.out" || fail "no replay case"

# relayd survived, and the honest session outlived the attack.
relayd_alive || fail "relayd died during the attack"
t_alive "$HONEST" ||
    fail "the honest session ended before the attack did (make it longer)"
ctl stats > "$T/stats-attack.out" || fail "control socket does not answer"
cat "$T/stats-attack.out"

wait_exit "$HONEST" 100
cat "$T/honest.out"
[ "$WAIT_RC" -eq 0 ] || fail "honest mclient exited with $WAIT_RC"
mc_check_all "$T/honest.out" 1
expect_eq "honest kills" "$(mc_get "$T/honest.out" 0 kills)" 10
expect_ge "honest resumes" "$(mc_get "$T/honest.out" 0 resumes)" 10
wait_for 20 "the bulk backend's results" test -s "$T/bulk.results"
python3 - "$T/bulk.results" "$SIZE" \
    "$(mc_get "$T/honest.out" 0 sent_sha256)" \
    "$(mc_get "$T/honest.out" 0 received_sha256)" <<'EOF' ||
import json, sys
path, size, c_sent, c_recv = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
b = [json.loads(l) for l in open(path)]
if len(b) != 1 or "error" in b[0]:
    sys.exit("backend results: %s" % b)
b = b[0]
if (b["received"], b["sent"]) != (size, size) or \
        b["received_sha256"] != c_sent or b["sent_sha256"] != c_recv:
    sys.exit("streams differ: backend %s, client sent %s received %s" % (b, c_sent, c_recv))
print("honest session byte-exact: %d bytes each way" % size)
EOF
    fail "the honest session's streams differ"

# What relayd counted and freed.
wait_for 10 "relayd to hold no session" stat_is sessions 0
expect_eq "handshakes in progress" "$(stat_get handshakes_in_progress)" 0
expect_ge "protocol errors counted" "$(stat_get protocol_errors)" 10
expect_ge "resumes refused (unknown token)" \
    "$(stat_get resumes_refused.unknown_token)" 3
expect_ge "resumes accepted (the honest ones)" \
    "$(stat_get resumes_accepted)" 10
# the hostile sessions that reached the echo backend were broken off
wait_for 10 "every echo backend connection closed" sh -c \
    "[ \$(grep -c '\"open\"' '$T/echo.events') -eq \
       \$(grep -c '\"close\"' '$T/echo.events') ]"
expect_ge "echo backend connections (hostile hellos)" \
    "$(count_events echo open)" 3
log_has 'resume from 127\.0\.0\.2:[0-9]+ refused' ||
    fail "relayd did not log the refused resumes"
stop_relayd
