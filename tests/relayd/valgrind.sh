#!/bin/sh
# valgrind.sh: relayd under valgrind (memcheck) through a short scenario
# that walks most of its code: a bulk session with kills (resumes), the
# errors a hello can get (denied, refused), hostile connections (garbage,
# an oversized header, a truncated frame, garbage after HELLO_OK, a random
# RESUME), a linger expiry (the late resume refused), a good and a bad
# SIGHUP, and SIGTERM with a detached and an attached session open.
#
# valgrind runs with --leak-check=full --show-leak-kinds=definite,indirect
# --errors-for-leak-kinds=definite,indirect --error-exitcode=9: the test
# fails on any memory error or definite/indirect leak (exit status 9, or
# an ERROR SUMMARY that is not 0), or if relayd does not exit 0.
#
# In a build with --enable-sanitizers valgrind cannot run the binary
# (AddressSanitizer's shadow memory): there the same scenario runs under
# AddressSanitizer, UBSan and LeakSanitizer (detect_leaks=1), which fail
# relayd's exit status on the same kinds of errors.
# shellcheck disable=SC2046,SC2119
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/relayd/lib.sh"

t_init 170
if grep -q '^SAN_CFLAGS = .*-fsanitize' "$top_builddir/Makefile" 2>/dev/null; then
	note "sanitizer build: the scenario runs under AddressSanitizer and" \
	    "LeakSanitizer instead of valgrind"
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"
	export ASAN_OPTIONS
	WRAP=""
else
	require_cmd valgrind
	WRAP="valgrind --leak-check=full --show-leak-kinds=definite,indirect \
--errors-for-leak-kinds=definite,indirect --error-exitcode=9 \
--track-origins=yes --log-file=$T/valgrind.log"
fi
SEED=${SEED:-$(( ($$ * 7919 + $(date +%s)) % 1000000 + 1 ))}

start_backend bulk bulk --bytes 4194304 --seed "$SEED"
BPORT=$(port_of bulk)
start_backend echo echo
EPORT=$(port_of echo)
set -- $(free_ports 2)
LPORT=$1
CLOSED=$2
CONF=$T/relayd.conf
relayd_conf "$CONF" <<EOF
listen 127.0.0.1:$LPORT
allow 127.0.0.1 port $BPORT
allow 127.0.0.1 port $EPORT
allow 127.0.0.1 port $CLOSED
linger 1s
handshake-timeout 3s
EOF
RELAYD_START_TIMEOUT=60
# shellcheck disable=SC2086
start_relayd "$CONF" $WRAP

# a bulk session with kills
run_mclient "$T/bulk.out" 120 -r "127.0.0.1:$LPORT" -d "127.0.0.1:$BPORT" \
    -n 4M -k 6 -s "$SEED" -T 110 bulk
cat "$T/bulk.out"
[ "$MC_RC" -eq 0 ] || fail "bulk session failed"
expect_ge "resumes" "$(mc_get "$T/bulk.out" 0 resumes)" 6
wait_for 30 "the bulk backend's results" test -s "$T/bulk.results"
grep -q "\"received_sha256\": \"$(mc_get "$T/bulk.out" 0 sent_sha256)\"" \
    "$T/bulk.results" || fail "bulk upload differs"
grep -q "\"sent_sha256\": \"$(mc_get "$T/bulk.out" 0 received_sha256)\"" \
    "$T/bulk.results" || fail "bulk download differs"

# errors
run_mclient "$T/denied.out" 60 -r "127.0.0.1:$LPORT" -d 127.0.0.1:1 -e 3 error
[ "$MC_RC" -eq 0 ] || fail "denied case: $(cat "$T/denied.out")"
run_mclient "$T/refused.out" 60 -r "127.0.0.1:$LPORT" \
    -d "127.0.0.1:$CLOSED" -e 4 error
[ "$MC_RC" -eq 0 ] || fail "refused case: $(cat "$T/refused.out")"

# hostile connections
MC_RC=0
timeout -k 5 60 python3 "$HOSTILE" --relay "127.0.0.1:$LPORT" \
    --dest "127.0.0.1:$EPORT" --handshake-timeout 3 \
    --only garbage-http,oversized-hello,truncated-close,hello-garbage,hello-low-order,resume-random \
    >"$T/hostile.out" 2>&1 || MC_RC=$?
cat "$T/hostile.out"
[ "$MC_RC" -eq 0 ] || fail "hostile cases failed"

# linger expiry: away 3 s, linger 1 s
run_mclient "$T/linger.out" 60 -r "127.0.0.1:$LPORT" -d "127.0.0.1:$EPORT" \
    -H 3 -T 50 linger
cat "$T/linger.out"
expect_eq "late resume" "$(mc_get "$T/linger.out" 0 code)" 9
log_has 'closed: linger time over' || fail "no linger expiry in the log"

# reloads: a good file (linger 1m from now on, for the detached session
# below), then a broken one
sed 's/^linger 1s$/linger 1m/' "$CONF" > "$T/good.conf"
cp "$T/good.conf" "$CONF"
kill -HUP "$RELAYD_PID"
wait_for 30 "the reload" log_has 'configuration reloaded'
echo "linger forever" >> "$CONF"
kill -HUP "$RELAYD_PID"
wait_for 30 "the failed reload" log_has 'keeping the running configuration'
cp "$T/good.conf" "$CONF"

# SIGTERM with sessions open: one detached (away 60 s), one attached
# (an echo session that sends slowly: a big window, many bytes)
timeout -k 5 90 "$MCLIENT" -r "127.0.0.1:$LPORT" -d "127.0.0.1:$EPORT" \
    -H 60 -T 80 linger >"$T/away.out" 2>&1 &
t_track $!
wait_for 30 "a detached session" stat_is detached 1
timeout -k 5 90 "$MCLIENT" -r "127.0.0.1:$LPORT" -d "127.0.0.1:$EPORT" \
    -n 2G -T 80 echo >"$T/attached.out" 2>&1 &
t_track $!
wait_for 30 "2 sessions" stat_is sessions 2
sleep 1
stop_relayd 60

if [ -n "$WRAP" ]; then
	grep -E 'ERROR SUMMARY|definitely lost|indirectly lost' "$T/valgrind.log" || :
	grep -q 'ERROR SUMMARY: 0 errors' "$T/valgrind.log" || {
		cat "$T/valgrind.log" >&2
		fail "valgrind reported errors"
	}
	say "valgrind: no error, no definite or indirect leak"
fi
