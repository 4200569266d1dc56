#!/bin/sh
# bulk.sh: 100 MB each way through relayd to the bulk backend, byte-exact,
# while the client's TCP path is killed 20 times at random points (reset
# and plain close in turn), each time resumed from a new source port.
#
# Checks: mclient's session is ok, kills=20 resumes>=20 ports>=21; the
# SHA-256 and size of what the client sent equal what the backend
# received, and of what the backend sent what the client received, 100 MB
# each; relayd counted the resumes and the bytes, holds no session after,
# and exits 0 on SIGTERM.  SEED=N replays a run (kill points and data).
# shellcheck disable=SC2046,SC2119
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/relayd/lib.sh"

t_init 170
SIZE=104857600
KILLS=20
SEED=${SEED:-$(( ($$ * 7919 + $(date +%s)) % 1000000 + 1 ))}
say "seed $SEED (SEED=$SEED reproduces this run)"

start_backend bulk bulk --bytes "$SIZE" --seed "$SEED"
BPORT=$(port_of bulk)
set -- $(free_ports 1)
LPORT=$1
relayd_conf "$T/relayd.conf" <<EOF
listen 127.0.0.1:$LPORT
allow 127.0.0.1 port $BPORT
EOF
start_relayd "$T/relayd.conf"

run_mclient "$T/mclient.out" 150 -r "127.0.0.1:$LPORT" -d "127.0.0.1:$BPORT" \
    -n "$SIZE" -k "$KILLS" -s "$SEED" -T 140 bulk
cat "$T/mclient.out"
[ "$MC_RC" -eq 0 ] || fail "mclient exited with $MC_RC"
mc_check_all "$T/mclient.out" 1

expect_eq "client kills" "$(mc_get "$T/mclient.out" 0 kills)" "$KILLS"
expect_ge "client resumes" "$(mc_get "$T/mclient.out" 0 resumes)" "$KILLS"
expect_ge "client source ports" "$(mc_get "$T/mclient.out" 0 ports)" \
    $((KILLS + 1))
expect_eq "client sent" "$(mc_get "$T/mclient.out" 0 sent)" "$SIZE"
expect_eq "client received" "$(mc_get "$T/mclient.out" 0 received)" "$SIZE"

# The backend writes its line once both directions are over.
wait_for 20 "the backend's results line" test -s "$T/bulk.results"
cat "$T/bulk.results"
python3 - "$T/bulk.results" "$SIZE" \
    "$(mc_get "$T/mclient.out" 0 sent_sha256)" \
    "$(mc_get "$T/mclient.out" 0 received_sha256)" <<'EOF' ||
import json, sys
path, size, c_sent, c_recv = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
lines = [json.loads(l) for l in open(path)]
if len(lines) != 1:
    sys.exit("expected one backend connection, got %d: %s" % (len(lines), lines))
b = lines[0]
if "error" in b:
    sys.exit("backend connection failed: %s" % b["error"])
problems = []
if b["received"] != size:
    problems.append("backend received %d bytes, not %d" % (b["received"], size))
if b["sent"] != size:
    problems.append("backend sent %d bytes, not %d" % (b["sent"], size))
if b["received_sha256"] != c_sent:
    problems.append("client sent sha256 %s != backend received %s" % (c_sent, b["received_sha256"]))
if b["sent_sha256"] != c_recv:
    problems.append("backend sent sha256 %s != client received %s" % (b["sent_sha256"], c_recv))
if problems:
    sys.exit("; ".join(problems))
print("byte-exact: %d bytes each way, sha256 match both ways" % size)
EOF
    fail "the streams differ"

# relayd's view: the session is over, every resume and byte counted.
wait_for 10 "relayd to hold no session" stat_is sessions 0
expect_ge "relayd resumes_accepted" "$(stat_get resumes_accepted)" "$KILLS"
expect_eq "relayd bytes_up" "$(stat_get bytes_up)" "$SIZE"
expect_eq "relayd bytes_down" "$(stat_get bytes_down)" "$SIZE"
expect_eq "relayd sessions_opened" "$(stat_get sessions_opened)" 1
expect_eq "relayd protocol_errors" "$(stat_get protocol_errors)" 0
log_has 'closed: done' || fail "relayd did not log the session as done"
stop_relayd
