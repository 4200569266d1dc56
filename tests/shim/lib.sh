# lib.sh: shared functions of the shim's integration tests, sourced by each
# tests/shim/*.sh after tests/relayd/lib.sh (whose functions they use too:
# t_init, start_backend, relayd_conf, start_relayd, ctl, stat_get,
# wait_for, fail, expect_*).  Run one by hand from a build directory with:
#
#	top_builddir=$PWD top_srcdir=/path/to/migrate sh /path/to/test.sh
#
# Every test runs in a network namespace of its own ($NS), so that it has
# an engine of its own (one runs per user and namespace) and never touches
# the developer's: relayd, the backends, the programs under the shim and
# migratectl all run inside it, on its loopback.
#
#	shim_init SECONDS	t_init, the namespace $NS, the environment of the
#				shim (MIGRATE_ENGINE, MIGRATE_LIB, MIGRATE_LOG
#				in $SHIM_LOG for the shim and the engine,
#				MIGRATE_CONF an empty file of the test's so no
#				user or system file counts, MIGRATECTL)
#	nsx CMD...		CMD inside the namespace
#	mig [OPTS] CMD...	CMD under the shim, through the migrate
#				wrapper (OPTS are its -r, -c...), in $NS
#	preload CMD...		CMD with libmigrate.so in LD_PRELOAD (no
#				wrapper), in $NS
#	mctl ARGS...		migratectl in $NS, bounded in time
#	shim_relay		relayd in $NS on a free port ($RELAY_PORT),
#				its allow lines on stdin
#	engine_for_tests	in sanitizer builds, start the engine by hand
#				(see below); else the first routed connect()
#				spawns it, as for users
#	engine_start [-i S]	migrate-engine -a started by hand in $NS
#	engine_pid		the pid of $NS's engine (migratectl status)
#	engine_pids_in_ns	the migrate-engine processes in $NS
#	engine_stop		SIGTERM the engine; it must exit and log it
#	wait_session PROGRAM	the id of PROGRAM's session, once there is one
#	session_moves_ge ID N	session ID has moved N times and is attached
#	session_field ID KEY	a field of a session of `migratectl --json list`
#	shim_finish		final checks: no sanitizer report anywhere, no
#				IPC error in the log of the shim and the engine
#
# At the end (pass, fail, interrupt, watchdog) every process in the
# namespace is killed by pid (engines the shim spawned included), then the
# namespace is deleted; tests/relayd/lib.sh does the rest.
#
# Sanitizer builds: libmigrate.so is then linked with libasan, whose
# runtime must come first in a program's libraries: `mig` and `preload`
# put libasan.so before libmigrate.so in LD_PRELOAD (the wrapper keeps an
# LD_PRELOAD that already names libmigrate.so) and give the program
# ASAN_OPTIONS with detect_leaks=0 (the program's own leaks are not ours)
# and a log_path in the temp dir, checked by shim_finish.  A program that
# cannot run with the ASan runtime preloaded at all (curl deadlocks in
# setlocale with it, shim or not) is run with SHIM_PLAIN=1: it then gets
# a copy of libmigrate.so built here without sanitizers.  The engine,
# relayd, migratectl and the wrapper are the sanitizer build's; the engine
# is started by hand (as the shim would, with -a) so its reports land in
# $T/engine.err instead of the /dev/null the shim gives it.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/relayd/lib.sh"

SHIM_LIB=$top_builddir/shim/.libs/libmigrate.so
ENGINE=$top_builddir/shim/engine/migrate-engine
MIGRATE=$top_builddir/shim/tools/migrate
MIGRATECTL=$top_builddir/shim/tools/migratectl
SHIM_DIR=$top_srcdir/tests/shim
CLIENT=$SHIM_DIR/client.py
NS=""
SHIM_LOG=""
SHIM_SAN=""
LIBASAN=""
RELAY_PORT=""

nsx() {
	ip netns exec "$NS" "$@"
}

mctl() {
	timeout -k 2 15 ip netns exec "$NS" "$MIGRATECTL" "$@"
}

# The environment a program under the shim gets, as `env` arguments.
shim_env() {
	if [ -z "$SHIM_SAN" ]; then
		return 0
	fi
	if [ -n "${SHIM_PLAIN:-}" ]; then
		# the wrapper (ASan-linked) puts it in the command's LD_PRELOAD
		printf '%s\n' "MIGRATE_LIB=$(shim_plain_lib)"
		return 0
	fi
	printf '%s\n' "LD_PRELOAD=$LIBASAN:$SHIM_LIB"
	printf '%s\n' "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:log_path=$T/asan-prog"
	printf '%s\n' "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$T/ubsan-prog"
}

mig() {
	# shellcheck disable=SC2046
	ip netns exec "$NS" env $(shim_env) "$MIGRATE" "$@"
}

preload() {
	if [ -n "$SHIM_SAN" ] && [ -n "${SHIM_PLAIN:-}" ]; then
		ip netns exec "$NS" env LD_PRELOAD="$(shim_plain_lib)" "$@"
	elif [ -n "$SHIM_SAN" ]; then
		# shellcheck disable=SC2046
		ip netns exec "$NS" env $(shim_env) "$@"
	else
		ip netns exec "$NS" env LD_PRELOAD="$SHIM_LIB" "$@"
	fi
}

# A libmigrate.so without sanitizers, for SHIM_PLAIN programs (built once
# per test, from the same sources and the build's config.h).
shim_plain_lib() {
	_pl=$T/plain/libmigrate.so
	if [ ! -f "$_pl" ]; then
		mkdir -p "$T/plain"
		${CC:-cc} -shared -fPIC -O2 -g -fvisibility=hidden \
		    -DHAVE_CONFIG_H -I"$top_builddir" -I"$top_srcdir/common" \
		    -I"$top_srcdir/shim" \
		    -DMIGRATE_ENGINE_PATH="\"$ENGINE\"" \
		    -o "$_pl" "$top_srcdir"/shim/lib/*.c \
		    "$top_srcdir/shim/migrate_config.c" \
		    "$top_srcdir/common/conf.c" "$top_srcdir/common/log.c" \
		    -ldl -lpthread >"$T/plain/cc.log" 2>&1 ||
		    { cat "$T/plain/cc.log" >&2;
		      fail "cannot build a libmigrate.so without sanitizers"; }
	fi
	printf '%s\n' "$_pl"
}

shim_sweep_netns() {
	for _ns in $T_NETNS; do
		_pids=$(ip netns pids "$_ns" 2>/dev/null) || continue
		[ -n "$_pids" ] || continue
		# shellcheck disable=SC2086
		kill -TERM $_pids 2>/dev/null
		for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
			_left=""
			for _p in $_pids; do
				t_alive "$_p" && _left="$_left $_p"
			done
			[ -z "$_left" ] && break
			sleep 0.2
		done
		for _p in $_left; do
			printf '%s: pid %s (%s) in %s still running at cleanup: ' \
			    "$T_NAME" "$_p" "$(cat "/proc/$_p/comm" 2>/dev/null)" \
			    "$_ns" >&2
			printf 'killed\n' >&2
			kill -KILL "$_p" 2>/dev/null
		done
	done
}

_shim_rc() {
	return "$1"
}

shim_cleanup() {
	_src=$?
	set +e
	trap - EXIT
	[ -n "$SHIM_LOG" ] && [ "$_src" -ne 0 ] && [ -s "$T/engine.err" ] && {
		printf '%s: ---- last lines of engine.err ----\n' "$T_NAME" >&2
		tail -n 40 "$T/engine.err" >&2
	}
	shim_sweep_netns
	if [ "$_src" -eq 0 ]; then
		t_cleanup
	else
		_shim_rc "$_src" || t_cleanup
	fi
}

# shim_init SECONDS
shim_init() {
	t_init "$1"
	trap shim_cleanup EXIT
	require_root
	require_cmd ip python3 timeout sha256sum
	for _b in "$SHIM_LIB" "$ENGINE" "$MIGRATE" "$MIGRATECTL"; do
		[ -e "$_b" ] || fail "$_b not built (top_builddir=$top_builddir)"
	done
	[ -r "$CLIENT" ] || fail "$CLIENT missing (top_srcdir=$top_srcdir)"
	NS=mig-$(printf '%s' "$T_NAME" | cut -c1-8)-$$
	netns_add "$NS"
	BACKEND_PREFIX="ip netns exec $NS"
	SHIM_LOG=$T/migrate.log
	: > "$T/migrate.conf"
	unset MIGRATE_RELAY MIGRATE_LOG_LEVEL LD_PRELOAD XDG_CONFIG_HOME || :
	MIGRATE_ENGINE=$ENGINE
	MIGRATE_LIB=$SHIM_LIB
	MIGRATE_LOG=$SHIM_LOG
	MIGRATE_CONF=$T/migrate.conf
	export MIGRATE_ENGINE MIGRATE_LIB MIGRATE_LOG MIGRATE_CONF MIGRATECTL
	if ldd "$SHIM_LIB" 2>/dev/null | grep -q 'libasan'; then
		SHIM_SAN=1
		LIBASAN=$(ldd "$SHIM_LIB" | awk '/libasan/ { print $3 }')
		[ -r "$LIBASAN" ] || fail "libasan not found for $SHIM_LIB"
		note "sanitizer build: programs preload $LIBASAN first"
	fi
}

# shim_relay: relayd in the namespace, `allow` lines on stdin; its port in
# $RELAY_PORT.
shim_relay() {
	set -- $(free_ports 1)
	RELAY_PORT=$1
	{ echo "listen 127.0.0.1:$RELAY_PORT"; cat; } |
	    relayd_conf "$T/relayd.conf"
	start_relayd "$T/relayd.conf" ip netns exec "$NS"
}

# engine_start [ARGS]: start the engine by hand, as the shim does (-a:
# background once bound, exit when idle), stderr in $T/engine.err.
engine_start() {
	nsx env ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
	    timeout 20 "$ENGINE" -a "$@" </dev/null >>"$T/engine.err" 2>&1 ||
	    fail "migrate-engine -a $* did not start"
	wait_for 10 "the engine to answer" mctl status
}

# In sanitizer builds, start the engine by hand (see above); otherwise the
# first routed connect() spawns it.
engine_for_tests() {
	if [ -n "$SHIM_SAN" ]; then
		engine_start -i 3600
		note "engine started by hand (pid $(engine_pid))"
	fi
}

engine_pid() {
	mctl --json status 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin)["pid"])' 2>/dev/null || :
}

# The pids of the namespace's processes running migrate-engine.
engine_pids_in_ns() {
	for _p in $(ip netns pids "$NS" 2>/dev/null); do
		[ "$(cat "/proc/$_p/comm" 2>/dev/null)" = migrate-engine ] &&
		    printf '%s\n' "$_p"
	done
	return 0
}

# engine_stop: SIGTERM; it must exit within 10 s, having logged it.
engine_stop() {
	_ep=$(engine_pid)
	[ -n "$_ep" ] || fail "no engine to stop"
	kill -TERM "$_ep" || fail "cannot signal the engine (pid $_ep)"
	_end=$(( $(date +%s) + 10 ))
	while t_alive "$_ep"; do
		[ "$(date +%s)" -lt "$_end" ] ||
		    fail "the engine (pid $_ep) did not exit on SIGTERM"
		sleep 0.1
	done
	grep -q "migrate-engine\[$_ep\]: signal 15: exiting" "$SHIM_LOG" ||
	    fail "the engine did not log its exit on SIGTERM"
	say "engine (pid $_ep) stopped by SIGTERM"
}

# session_field ID KEY: a field of session ID in `migratectl --json list`.
session_field() {
	mctl --json list | python3 -c '
import json, sys
for s in json.load(sys.stdin)["sessions"]:
    if s["id"] == int(sys.argv[1]):
        print(s[sys.argv[2]])
        break
else:
    sys.exit("no session %s" % sys.argv[1])' "$1" "$2"
}

# shim_finish: what every test checks at the end.
shim_finish() {
	for _f in "$T"/asan-prog.* "$T"/ubsan-prog.*; do
		[ -e "$_f" ] || continue
		cat "$_f" >&2
		fail "sanitizer report from a program under the shim: $_f"
	done
	if grep -Eq 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' \
	    "$T/engine.err" "$SHIM_LOG" "$RELAYD_LOG" 2>/dev/null; then
		fail "sanitizer report in the engine's or relayd's output"
	fi
	# the shim and the engine never misunderstand each other
	if grep -E 'malformed|unknown message type|short or truncated|unexpected answer from the engine|did not answer within|bad address family' \
	    "$SHIM_LOG" 2>/dev/null; then
		fail "IPC errors between the shim and the engine (above)"
	fi
}

# wait_session PROGRAM [SECONDS]: the id of PROGRAM's session, once the
# engine has one (the first if several).
wait_session() {
	_end=$(( $(date +%s) + ${2:-20} ))
	while :; do
		_id=$(mctl --json list 2>/dev/null | python3 -c '
import json, sys
for s in json.load(sys.stdin)["sessions"]:
    if s["program"] == sys.argv[1]:
        print(s["id"])
        break' "$1" 2>/dev/null) || _id=""
		[ -n "$_id" ] && { printf '%s\n' "$_id"; return 0; }
		[ "$(date +%s)" -lt "$_end" ] ||
		    fail "no session of $1 in the engine after ${2:-20} s"
		sleep 0.05
	done
}

# session_moves_ge ID N: session ID has moved N times and is attached.
session_moves_ge() {
	mctl --json list 2>/dev/null | python3 -c '
import json, sys
for s in json.load(sys.stdin)["sessions"]:
    if s["id"] == int(sys.argv[1]):
        sys.exit(0 if s["moves"] >= int(sys.argv[2]) and
                 s["state"] == "ATTACHED" else 1)
sys.exit(1)' "$1" "$2"
}
