#!/bin/sh
# signals.sh: SIGHUP reloads without dropping sessions; a bad file is
# reported and the running configuration kept; SIGTERM ends the sessions
# with an end of stream and relayd exits 0.
#
#  1. A bulk session (24 MiB each way, the backend paced to ~6 s, 4 kills)
#     runs through the first listen port to backend B.
#  2. SIGHUP with a good new file: a second listen port (which then
#     accepts: an echo session through it) and B's allow rule removed (a
#     new hello to B is denied with code 3).  The running session to B is
#     not dropped.
#  3. SIGHUP with a file that does not parse, then with one that parses
#     but cannot be applied (a listen port already in use): each time the
#     error is logged, relayd keeps running with the previous
#     configuration (both ports accept, B still denied).
#  4. The bulk session finishes byte-exact, with its kills and resumes.
#  5. SIGTERM with 6 sessions open: 3 that finished sending (they see the
#     end of stream and end "done"), 2 still sending (they see the end of
#     stream, then ERROR 14 "server shutting down", no protocol error),
#     1 detached.  relayd exits 0 within a few seconds.
# shellcheck disable=SC2046,SC2119
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/relayd/lib.sh"

t_init 150
SIZE=25165824
SEED=${SEED:-$(( ($$ * 7919 + $(date +%s)) % 1000000 + 1 ))}
say "seed $SEED"

start_backend bulk bulk --bytes "$SIZE" --seed "$SEED" --rate 4000000
BPORT=$(port_of bulk)
start_backend echo echo
EPORT=$(port_of echo)
start_backend slow bulk --bytes 100000000 --rate 1000000
SPORT=$(port_of slow)
set -- $(free_ports 2)
L1=$1
L2=$2
CONF=$T/relayd.conf
relayd_conf "$CONF" <<EOF
listen 127.0.0.1:$L1
allow 127.0.0.1 port $BPORT
allow 127.0.0.1 port $EPORT
allow 127.0.0.1 port $SPORT
EOF
start_relayd "$CONF"

echo_via() {	# OUT PORT: an echo session through relayd's PORT
	run_mclient "$T/$1" 30 -r "127.0.0.1:$2" -d "127.0.0.1:$EPORT" \
	    -n 64k -s 5 echo
	[ "$MC_RC" -eq 0 ] || fail "echo session through port $2 failed"
	mc_check_all "$T/$1" 1
}

denied_b() {	# OUT PORT: a new hello to B is denied
	run_mclient "$T/$1" 30 -r "127.0.0.1:$2" -d "127.0.0.1:$BPORT" \
	    -e 3 error
	[ "$MC_RC" -eq 0 ] || fail "a hello to B through $2 was not denied"
	mc_check_all "$T/$1" 1
}

reloads() {
	grep -c "$1" "$RELAYD_LOG" || :
}

# ---- 1. the session that must survive the reloads ---------------------
timeout -k 5 120 "$MCLIENT" -r "127.0.0.1:$L1" -d "127.0.0.1:$BPORT" \
    -n "$SIZE" -k 4 -s "$SEED" -T 110 bulk \
    >"$T/bulk.out" 2>"$T/bulk.err" &
BULK=$!
t_track "$BULK"
wait_for 10 "the bulk session to be established" stat_is sessions 1
echo_via echo0.out "$L1"

# ---- 2. a good new configuration --------------------------------------
relayd_conf "$CONF" <<EOF
listen 127.0.0.1:$L1
listen 127.0.0.1:$L2
allow 127.0.0.1 port $EPORT
allow 127.0.0.1 port $SPORT
EOF
kill -HUP "$RELAYD_PID"
wait_for 10 "the reload" sh -c "grep -q 'configuration reloaded: 2 listen addresses, 2 allow rules' '$RELAYD_LOG'"
echo_via echo1.out "$L2"
denied_b denied1.out "$L1"
denied_b denied2.out "$L2"
t_alive "$BULK" || fail "the bulk session ended during the first reload checks"
ctl list | grep -q "127.0.0.1:$BPORT\", \"state\": \"ATTACHED\"" ||
    fail "the session to B is not in the list as attached after the reload"
say "good reload: port $L2 accepts, B denied, the session to B still runs"

# ---- 3. bad configurations --------------------------------------------
cp "$CONF" "$T/good.conf"
printf 'listen 127.0.0.1:%s\nallow 10.1.2.3/8 port 22\n' "$L1" > "$CONF"
kill -HUP "$RELAYD_PID"
wait_for 10 "the failed reload to be logged" sh -c "grep -q 'reload: .*relayd.conf:2: .*; keeping the running configuration' '$RELAYD_LOG'"
relayd_alive || fail "relayd died on a bad configuration"
echo_via echo2.out "$L1"
echo_via echo3.out "$L2"
denied_b denied3.out "$L1"
say "bad file: error logged, running configuration kept"

# parses, but its new listen port is taken (the echo backend's)
sed "s/^listen 127.0.0.1:$L2\$/listen 127.0.0.1:$EPORT/" "$T/good.conf" > "$CONF"
grep -q "listen 127.0.0.1:$EPORT" "$CONF" || fail "could not write the file"
kill -HUP "$RELAYD_PID"
wait_for 10 "the failed listen to be logged" sh -c "grep -q 'reload: listen 127.0.0.1:$EPORT: bind: .*; keeping the running configuration' '$RELAYD_LOG'"
relayd_alive || fail "relayd died on an unusable configuration"
echo_via echo4.out "$L1"
echo_via echo5.out "$L2"
denied_b denied4.out "$L2"
expect_eq "successful reloads" "$(reloads 'configuration reloaded')" 1
t_alive "$BULK" || fail "the bulk session ended before the bad reloads were checked (make it longer)"
say "unusable file: error logged, both old ports still accept"

# ---- 4. the session to B went on, byte-exact --------------------------
wait_exit "$BULK" 100
cat "$T/bulk.out"
[ "$WAIT_RC" -eq 0 ] || fail "the bulk session failed (exit $WAIT_RC)"
mc_check_all "$T/bulk.out" 1
expect_eq "kills" "$(mc_get "$T/bulk.out" 0 kills)" 4
expect_ge "resumes" "$(mc_get "$T/bulk.out" 0 resumes)" 4
wait_for 20 "the bulk backend's results" test -s "$T/bulk.results"
python3 - "$T/bulk.results" "$SIZE" "$(mc_get "$T/bulk.out" 0 sent_sha256)" \
    "$(mc_get "$T/bulk.out" 0 received_sha256)" <<'EOF' ||
import json, sys
path, size, c_sent, c_recv = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
b = [json.loads(l) for l in open(path)]
if len(b) != 1 or "error" in b[0]:
    sys.exit("backend results: %s" % b)
b = b[0]
if (b["received"], b["sent"]) != (size, size) or \
        b["received_sha256"] != c_sent or b["sent_sha256"] != c_recv:
    sys.exit("streams differ: %s / %s %s" % (b, c_sent, c_recv))
print("the session to B survived 3 reloads byte-exact: %d bytes each way" % size)
EOF
    fail "the session to B is not byte-exact"

# ---- 5. SIGTERM with sessions open ------------------------------------
# 3 sessions that have sent everything (64 KiB) and are receiving the
# slow backend's 100 MB; 2 that are still sending; 1 detached.
timeout -k 5 60 "$MCLIENT" -r "127.0.0.1:$L1" -d "127.0.0.1:$SPORT" \
    -c 3 -n 64k -T 50 bulk >"$T/done.out" 2>"$T/done.err" &
DONE=$!
t_track "$DONE"
timeout -k 5 60 "$MCLIENT" -r "127.0.0.1:$L2" -d "127.0.0.1:$SPORT" \
    -c 2 -n 16G -T 50 -s 7 bulk >"$T/sending.out" 2>"$T/sending.err" &
SENDING=$!
t_track "$SENDING"
timeout -k 5 60 "$MCLIENT" -r "127.0.0.1:$L1" -d "127.0.0.1:$EPORT" \
    -H 40 -T 50 linger >"$T/away.out" 2>"$T/away.err" &
t_track $!
wait_for 10 "6 sessions" stat_is sessions 6
wait_for 10 "1 detached session" stat_is detached 1
sleep 0.5	# data flowing both ways
t0=$(date +%s%N)
stop_relayd 8
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
say "relayd exited 0, $ms ms after SIGTERM"
expect_le "exit time after SIGTERM (ms)" "$ms" 6000
expect_eq "sessions closed by the shutdown" \
    "$(grep -c 'closed: shutdown' "$RELAYD_LOG")" 6

wait_exit "$DONE" 20
cat "$T/done.out"
[ "$WAIT_RC" -eq 0 ] || fail "sessions that had sent everything did not end done"
mc_check_all "$T/done.out" 3
for i in 0 1 2; do
	expect_eq "finished session $i result" "$(mc_get "$T/done.out" $i result)" "done"
	expect_eq "finished session $i saw the end of stream" \
	    "$(mc_get "$T/done.out" $i eof)" 1
	[ "$(mc_get "$T/done.out" $i received)" -lt 100000000 ] ||
	    fail "finished session $i got the whole stream: SIGTERM came too late"
done
wait_exit "$SENDING" 20
cat "$T/sending.out"
for i in 0 1; do
	expect_eq "sending session $i saw the end of stream" \
	    "$(mc_get "$T/sending.out" $i eof)" 1
	expect_eq "sending session $i result" \
	    "$(mc_get "$T/sending.out" $i result)" "server shutting down"
	expect_eq "sending session $i code" "$(mc_get "$T/sending.out" $i code)" 14
done
say "SIGTERM: finished sessions ended done, sending ones got the end of stream and code 14"
