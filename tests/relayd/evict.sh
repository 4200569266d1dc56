#!/bin/sh
# evict.sh: when the memory limit is reached, the least recently used
# detached session is the one evicted.
#
# relayd runs with `max-memory 1M` and `replay-buffer 64k`; a bulk backend
# keeps sending to every session, so each detached session's replay buffer
# fills (64 KiB, about 72 KB with its overhead).  20 clients in mclient's
# linger mode connect one after another, each dropping its path at once
# and staying away; the next one starts only once the previous is detached
# with a full buffer.  About 14 fit: the first ones must go, oldest first.
#
# Use, not age, must decide: the first client comes back after 4 s
# (resumes, then drops its path again), after the 2nd and 3rd detached
# and before the 4th starts, so the order of use (the order of the last
# "detached" log line of each) is 2, 3, 1, 4, 5, ... 20.
#
# Checks, from the control socket (`list`, `stats`) and the log lines
# "evicted": the evicted sessions are exactly the first K in the order of
# use, in that order, K >= 3 (so session 1, the oldest, went after 2 and
# 3, which were used less recently); the others are all still there
# (detached); memory is back under the limit; stats counts K evictions;
# and each evicted client, coming back, gets "resume refused" (code 9).
# shellcheck disable=SC2046,SC2119,SC2154
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/relayd/lib.sh"

t_init 150
N=20
HOLD=40		# seconds each client stays away (setting up under load may take 30)
MAXMEM=1048576

start_backend bulk bulk --bytes 1073741824
BPORT=$(port_of bulk)
set -- $(free_ports 1)
LPORT=$1
relayd_conf "$T/relayd.conf" <<EOF
listen 127.0.0.1:$LPORT
allow 127.0.0.1 port $BPORT
max-memory 1M
replay-buffer 64k
EOF
start_relayd "$T/relayd.conf"

# session_ready ID: session ID is detached and its replay buffer full;
# appends "ID CLIENT" to $T/order (the order of use) once.
session_ready() {
	ctl list | python3 -c '
import json, sys
want = int(sys.argv[1])
for s in json.load(sys.stdin)["sessions"]:
    if s["id"] == want and s["state"] == "DETACHED" and s["bytes_down"] >= 65536:
        print(s["id"], s["client"])
        sys.exit(0)
sys.exit(1)' "$1" >> "$T/order"
}

start_session() {	# ID HOLD
	timeout -k 5 $(($2 + 60)) "$MCLIENT" -r "127.0.0.1:$LPORT" \
	    -d "127.0.0.1:$BPORT" -H "$2" -T $(($2 + 50)) -s "$1" linger \
	    >"$T/mc$1.out" 2>"$T/mc$1.err" &
	t_track $!
	eval "MC_$1=\$!"
	wait_for 10 "session $1 to be detached with a full buffer" \
	    session_ready "$1"
}

: > "$T/order"
setup_start=$(date +%s)
start_session 1 4
start_session 2 "$HOLD"
start_session 3 "$HOLD"
t_alive "$MC_1" ||
    fail "client 1 came back before sessions 2 and 3 were set up (too slow)"
# session 1 comes back, resumes, leaves again: now the most recently used
wait_exit "$MC_1" 20
expect_eq "client 1 (back after 4 s)" "$(mc_get "$T/mc1.out" 0 result)" resumed
wait_for 10 "session 1 to be detached again" session_ready 1
i=4
while [ "$i" -le "$N" ]; do
	start_session "$i" "$HOLD"
	i=$((i + 1))
done
setup=$(( $(date +%s) - setup_start ))
say "$N sessions detached in $setup s"
[ "$setup" -le $((HOLD - 4)) ] ||
    fail "setting up took $setup s, too close to the clients' hold of $HOLD s"
cat "$T/order"

ctl list > "$T/list.json"
ctl stats > "$T/stats.json"
grep ': evicted: ' "$RELAYD_LOG" > "$T/evicted.log" || :
cat "$T/stats.json"
cat "$T/evicted.log"
K_LRU=$(python3 - "$T/order" "$T/list.json" "$T/stats.json" "$T/evicted.log" \
    "$N" "$MAXMEM" "$RELAYD_LOG" <<'EOF'
import json, re, sys
order_f, list_f, stats_f, ev_f, n, maxmem, log_f = sys.argv[1:8]
n, maxmem = int(n), int(maxmem)
# every client address a session had, then the order of use: sessions by
# their last "detached" line in relayd's log
client_id = {c: int(i) for i, c in (l.split() for l in open(order_f))}
last = {}
for no, line in enumerate(open(log_f)):
    m = re.search(r"session [0-9a-f]{8} (\S+) -> \S+: detached, waiting", line)
    if m:
        if m.group(1) not in client_id:
            sys.exit("detach of an unknown session: %s" % line)
        last[client_id[m.group(1)]] = no
ids = sorted(last, key=last.get)
if sorted(ids) != list(range(1, n + 1)):
    sys.exit("sessions detached: %s" % ids)
if ids[:3] != [2, 3, 1]:
    sys.exit("order of use %s: session 1 did not come back after 2 and 3 "
             "detached" % ids)
left = json.load(open(list_f))["sessions"]
stats = json.load(open(stats_f))
evicted = []
for line in open(ev_f):
    m = re.search(r"session [0-9a-f]{8} (\S+) -> \S+: evicted: memory", line)
    if not m or m.group(1) not in client_id:
        sys.exit("unexpected eviction line: %s" % line)
    evicted.append(client_id[m.group(1)])
remaining = sorted(s["id"] for s in left)
k = len(evicted)
problems = []
if k < 3:
    problems.append("%d evicted, expected at least 3" % k)
if evicted != ids[:k]:
    problems.append("evicted %s, expected the first %d in the order of use %s" % (evicted, k, ids))
if remaining != sorted(ids[k:]):
    problems.append("remaining %s, expected %s" % (remaining, sorted(ids[k:])))
if any(s["state"] != "DETACHED" for s in left):
    problems.append("a remaining session is not detached: %s" % left)
if stats["evictions"] != k:
    problems.append("stats evictions %d, log %d" % (stats["evictions"], k))
if stats["memory"] > maxmem:
    problems.append("memory %d above max-memory %d" % (stats["memory"], maxmem))
if stats["sessions"] != n - k or stats["detached"] != n - k:
    problems.append("stats sessions %d detached %d, expected %d" % (stats["sessions"], stats["detached"], n - k))
if problems:
    sys.exit("; ".join(problems))
print(k, " ".join(map(str, ids)))
EOF
) || fail "eviction order"
K=${K_LRU%% *}
LRU=${K_LRU#* }
EVICTED=$(echo "$LRU" | cut -d' ' -f1-"$K")
say "order of use: $LRU"
say "evicted, in this order: $EVICTED; $((N - K)) remain"

# The evicted clients come back after their hold: refused (client 1 has
# already finished, resumed).
for i in $EVICTED; do
	[ "$i" -eq 1 ] && continue
	eval "pid=\$MC_$i"
	wait_exit "$pid" $((HOLD + 20))
	expect_eq "evicted client $i result" \
	    "$(mc_get "$T/mc$i.out" 0 result)" "resume refused"
	expect_eq "evicted client $i code" "$(mc_get "$T/mc$i.out" 0 code)" 9
done
say "the evicted clients were refused when they came back"
log_has 'closed: evicted \(memory limit\)' ||
    fail "no 'closed: evicted (memory limit)' line"
relayd_alive || fail "relayd died"
stop_relayd
