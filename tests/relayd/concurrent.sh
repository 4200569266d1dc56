#!/bin/sh
# concurrent.sh: 1,000 sessions transferring at once through one relayd.
#
# mclient -c 1000 echo: every session sends 256 KiB to the echo backend
# and checks every byte that comes back, while its path is killed twice at
# random points and resumed.  Checks: all 1000 sessions ok (done, no
# mismatch, 256 KiB back, 2 kills, >= 2 resumes); relayd really held them
# together (its session count, sampled during the run, peaks near 1000,
# and so do the backend's open connections); relayd's counters (1000
# opened and closed, >= 2000 resumes, 256,000 KiB each way), no session or
# handshake left, and exit 0 on SIGTERM.
# shellcheck disable=SC2046,SC2119,SC3045
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/relayd/lib.sh"

t_init 170
N=1000
PER=262144
SEED=${SEED:-$(( ($$ * 7919 + $(date +%s)) % 1000000 + 1 ))}
say "seed $SEED"

# descriptors: mclient ~N, relayd ~2N, the backend ~N (each raises its
# own soft limit to the hard one; the shell passes on what it has)
want=8192
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
	ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -H -n)" ||
	    fail "cannot raise the descriptor limit"
fi
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((N * 2 + 64)) ] ||
    fail "descriptor limit $(ulimit -n) too low for $N sessions (hard $(ulimit -H -n))"
say "descriptor limit $(ulimit -n)"

start_backend echo echo
EPORT=$(port_of echo)
set -- $(free_ports 1)
LPORT=$1
relayd_conf "$T/relayd.conf" <<EOF
listen 127.0.0.1:$LPORT
allow 127.0.0.1 port $EPORT
max-handshakes 4096
max-handshakes-per-source 4096
EOF
start_relayd "$T/relayd.conf"

timeout -k 5 150 "$MCLIENT" -r "127.0.0.1:$LPORT" -d "127.0.0.1:$EPORT" \
    -c "$N" -n "$PER" -k 2 -s "$SEED" -T 140 echo \
    >"$T/mclient.out" 2>"$T/mclient.err" &
MC=$!
t_track "$MC"

# sample relayd's session count while the clients run
peak=0
while t_alive "$MC"; do
	n=$(stat_get sessions 2>/dev/null) || n=0
	[ "$n" -gt "$peak" ] && peak=$n
	sleep 0.05
done
wait_exit "$MC" 5
[ "$WAIT_RC" -eq 0 ] || {
	head -n 20 "$T/mclient.err" >&2
	fail "mclient exited with $WAIT_RC"
}
say "peak sessions seen by the control socket: $peak"
mc_check_all "$T/mclient.out" "$N"

python3 - "$T/mclient.out" "$N" "$PER" <<'EOF' || fail "per-session checks"
import re, sys
path, n, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seen, bad = set(), []
for line in open(path):
    m = re.match(r"session (\d+): ok result=done code=0 .*", line)
    if not m:
        bad.append(line.strip()); continue
    f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
    seen.add(int(m.group(1)))
    if (int(f["sent"]), int(f["received"]), int(f["kills"]), f["mismatch"]) != (per, per, 2, "0") \
            or int(f["resumes"]) < 2 or int(f["ports"]) < 3 \
            or f["sent_sha256"] != f["received_sha256"]:
        bad.append(line.strip())
if bad or len(seen) != n:
    sys.exit("%d sessions seen, bad lines: %s" % (len(seen), bad[:3]))
print("%d sessions: %d bytes echoed byte-exact each, 2 kills, resumed" % (n, per))
EOF

# The backend's connections overlapped as much as the sessions did.
bpeak=$(python3 - "$T/echo.events" <<'EOF'
import json, sys
cur = peak = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    cur += 1 if e["event"] == "open" else -1
    peak = max(peak, cur)
print(peak)
EOF
)
say "peak backend connections open at once: $bpeak"
expect_eq "backend connections" "$(count_events echo open)" "$N"
expect_ge "backend connections open at once" "$bpeak" $((N * 9 / 10))
expect_ge "relayd sessions at once" "$peak" $((N * 9 / 10))

wait_for 10 "relayd to hold no session" stat_is sessions 0
expect_eq "sessions_opened" "$(stat_get sessions_opened)" "$N"
expect_eq "sessions_closed" "$(stat_get sessions_closed)" "$N"
expect_ge "resumes_accepted" "$(stat_get resumes_accepted)" $((N * 2))
expect_eq "bytes_up" "$(stat_get bytes_up)" $((N * PER))
expect_eq "bytes_down" "$(stat_get bytes_down)" $((N * PER))
expect_eq "handshakes refused" "$(stat_get handshakes_refused)" 0
expect_eq "handshakes in progress" "$(stat_get handshakes_in_progress)" 0
expect_eq "protocol errors" "$(stat_get protocol_errors)" 0
expect_eq "memory" "$(stat_get memory)" 0
stop_relayd
