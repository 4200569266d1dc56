#!/bin/sh
# errors.sh: what connect() gives a program under the shim when a routed
# connection cannot be made, and the connections the shim leaves alone.
# A Python client (client.py errno) connects and reports the errno, and
# for a connection that works whether it is a TCP socket or the shim's
# unix socket (its inode in /proc/net/tcp or /proc/net/unix), its
# getpeername/getsockname, and an echo round.
#
#   1. a destination the configuration does not route (it routes only
#      another port and another prefix): a plain TCP connection, the
#      kernel's getpeername/getsockname (the echo server sees the
#      client's own address), and no engine is started in the namespace;
#   2. through relayd (MIGRATE_RELAY), blocking and non-blocking sockets:
#      a destination relayd does not allow -> EACCES; an allowed port
#      where nothing listens -> ECONNREFUSED; the echo server -> works,
#      the shim's socket, getpeername the echo server;
#   3. the relay down (nothing on its port), default policy ->
#      ECONNREFUSED, promptly;
#   4. the same with `on-relay-unreachable direct` (MIGRATE_CONF) -> the
#      connection works as plain TCP and the shim's log says it is not
#      migratable;
#   5. a configuration with a mistake: `migratectl check-config` prints
#      FILE:LINE: message and exits 1, the migrate wrapper refuses to run
#      a command with it, and a program preloaded with it connects
#      directly (its log says so); a good file checks OK.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/shim/lib.sh"

shim_init 120
start_backend echo echo
EPORT=$(port_of echo)
start_backend other echo
OPORT=$(port_of other)
set -- $(free_ports 3)
CLOSED=$1	# allowed by relayd, nothing listens there
DOWN=$2		# a relay that is down
UNUSED=$3

# jget FILE KEY: a field of the client's JSON line
jget() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]))' "$1" "$2"
}

# run_client NAME [MIGRATE-OPTIONS...] -- HOST PORT [nonblock]
run_client() {
	_n=$1
	shift
	_o=""
	while [ "$1" != -- ]; do
		_o="$_o $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	mig $_o timeout -k 5 60 python3 "$CLIENT" errno "$@" > "$T/$_n.json" \
	    2>"$T/$_n.err" || {
		cat "$T/$_n.json" "$T/$_n.err" >&2
		fail "$_n: the client failed"
	}
	say "$_n: $(cat "$T/$_n.json")"
}

# ---- 1. not routed: no engine --------------------------------------------
cat > "$T/other.conf" <<EOF
# routes another port of this host and another prefix only
route 127.0.0.1 port $UNUSED via 127.0.0.1:$DOWN
route 10.0.0.0/8 via 127.0.0.1:$DOWN
EOF
run_client direct0 -c "$T/other.conf" -- 127.0.0.1 "$EPORT"
expect_eq "not routed: errno" "$(jget "$T/direct0.json" errno)" None
expect_eq "not routed: socket" "$(jget "$T/direct0.json" kind)" tcp
expect_eq "not routed: getpeername" "$(jget "$T/direct0.json" peer)" \
    "127.0.0.1:$EPORT"
SOCK=$(jget "$T/direct0.json" sock)
grep -q "\"peer\": \"$SOCK\"" "$T/echo.events" ||
    fail "not routed: getsockname ($SOCK) is not what the server saw"
[ -z "$(engine_pids_in_ns)" ] ||
    fail "an engine runs in the namespace after a connection not routed"
if mctl status > "$T/status0.out" 2>&1; then
	fail "migratectl found an engine: $(cat "$T/status0.out")"
fi
grep -q 'no engine is running' "$T/status0.out" ||
    fail "migratectl status: $(cat "$T/status0.out")"
if grep -q 'started the engine' "$SHIM_LOG" 2>/dev/null; then
	fail "the shim started an engine for a connection it does not route"
fi
say "not routed: plain TCP, kernel's addresses, no engine"

# ---- 2. through relayd: denied, refused, working ---------------------
shim_relay <<EOF
allow 127.0.0.1 port $EPORT
allow 127.0.0.1 port $CLOSED
EOF
engine_for_tests
R="-r 127.0.0.1:$RELAY_PORT"
for mode in block nonblock; do
	# shellcheck disable=SC2086
	run_client "denied-$mode" $R -- 127.0.0.1 "$OPORT" $mode
	expect_eq "denied ($mode)" "$(jget "$T/denied-$mode.json" errno)" EACCES
	# shellcheck disable=SC2086
	run_client "refused-$mode" $R -- 127.0.0.1 "$CLOSED" $mode
	expect_eq "backend refused ($mode)" \
	    "$(jget "$T/refused-$mode.json" errno)" ECONNREFUSED
	# shellcheck disable=SC2086
	run_client "ok-$mode" $R -- 127.0.0.1 "$EPORT" $mode
	expect_eq "routed ($mode): errno" "$(jget "$T/ok-$mode.json" errno)" None
	expect_eq "routed ($mode): socket" "$(jget "$T/ok-$mode.json" kind)" unix
	expect_eq "routed ($mode): getpeername" \
	    "$(jget "$T/ok-$mode.json" peer)" "127.0.0.1:$EPORT"
	expect_eq "routed ($mode): echo" "$(jget "$T/ok-$mode.json" echo)" ok
done
[ "$(count_events other open)" -eq 0 ] ||
    fail "relayd connected to a destination it does not allow"
expect_eq "relayd denied" "$(stat_get denied)" 2
grep -q "connect_routed: 127.0.0.1:$OPORT via 127.0.0.1:$RELAY_PORT: Permission denied" \
    "$SHIM_LOG" || fail "the shim did not log the denied connection"

# ---- 3. relay down, default policy ---------------------------------------
run_client down -r "127.0.0.1:$DOWN" -- 127.0.0.1 "$EPORT"
expect_eq "relay down: errno" "$(jget "$T/down.json" errno)" ECONNREFUSED
python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["seconds"] < 5)' \
    "$T/down.json" && fail "relay down: connect() took 5 s or more"

# ---- 4. relay down, on-relay-unreachable direct --------------------------
cat > "$T/direct.conf" <<EOF
on-relay-unreachable direct
EOF
EV0=$(count_events echo open)
run_client fallback -c "$T/direct.conf" -r "127.0.0.1:$DOWN" -- 127.0.0.1 "$EPORT"
expect_eq "fallback: errno" "$(jget "$T/fallback.json" errno)" None
expect_eq "fallback: socket" "$(jget "$T/fallback.json" kind)" tcp
expect_eq "fallback: echo" "$(jget "$T/fallback.json" echo)" ok
SOCK=$(jget "$T/fallback.json" sock)
grep -q "\"peer\": \"$SOCK\"" "$T/echo.events" ||
    fail "fallback: the server did not see the client's own address"
expect_eq "fallback: server connections" "$(count_events echo open)" $((EV0 + 1))
grep -q "127.0.0.1:$EPORT: relay 127.0.0.1:$DOWN unreachable (Connection refused): connecting directly, not migratable" \
    "$SHIM_LOG" || fail "the shim did not log the direct fallback"

# ---- 5. a bad configuration ----------------------------------------------
cat > "$T/bad.conf" <<EOF
# a relay, then a rule with a typo in its name
relay office 127.0.0.1:$RELAY_PORT
route any via ofice
EOF
RC=0
MIGRATE_CONF=$T/bad.conf mctl check-config > "$T/check.out" 2>&1 || RC=$?
cat "$T/check.out"
expect_eq "check-config exit status (bad file)" "$RC" 1
grep -Eq "^$T/bad.conf:3: .*ofice" "$T/check.out" ||
    fail "check-config did not say FILE:LINE: message"
RC=0
mig -c "$T/bad.conf" sh -c "echo ran > '$T/ran'" > "$T/wrapper.out" 2>&1 ||
    RC=$?
expect_eq "migrate -c bad.conf: exit status" "$RC" 1
[ ! -e "$T/ran" ] || fail "the wrapper ran a command with a bad configuration"
grep -q "bad.conf:3: " "$T/wrapper.out" ||
    fail "the wrapper did not report the bad line: $(cat "$T/wrapper.out")"
MIGRATE_CONF=$T/bad.conf MIGRATE_RELAY=127.0.0.1:$RELAY_PORT \
    preload timeout -k 5 60 python3 "$CLIENT" errno 127.0.0.1 "$EPORT" \
    > "$T/badconf.json" 2>"$T/badconf.err" ||
    { cat "$T/badconf.err" >&2; fail "a program under a bad configuration failed"; }
say "bad configuration: $(cat "$T/badconf.json")"
expect_eq "bad configuration: errno" "$(jget "$T/badconf.json" errno)" None
expect_eq "bad configuration: socket" "$(jget "$T/badconf.json" kind)" tcp
grep -q "bad.conf:3: .*; every connection goes direct" "$SHIM_LOG" ||
    fail "the shim did not log the bad configuration"
cat > "$T/good.conf" <<EOF
relay office 127.0.0.1:$RELAY_PORT
route 127.0.0.1 port $EPORT via office
EOF
MIGRATE_CONF=$T/good.conf mctl check-config > "$T/check-good.out" 2>&1 ||
    fail "check-config refused a good file: $(cat "$T/check-good.out")"
grep -q "configuration OK: $T/good.conf, 1 route" "$T/check-good.out" ||
    fail "check-config (good file): $(cat "$T/check-good.out")"

wait_for 10 "relayd to hold no session" stat_is sessions 0
engine_stop
stop_relayd
shim_finish
