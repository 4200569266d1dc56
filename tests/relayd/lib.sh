# lib.sh: shared functions of relayd's integration tests, sourced by each
# tests/relayd/*.sh (POSIX sh; `make check` runs them with $(SHELL) and
# exports top_builddir and top_srcdir).  Run one by hand from a build
# directory with:
#
#	top_builddir=$PWD top_srcdir=/path/to/migrate sh /path/to/test.sh
#
# What it gives a test:
#	t_init SECONDS		temp dir $T, traps, a watchdog of SECONDS
#	free_ports N		N distinct free TCP ports (binding port 0)
#	start_backend NAME MODE [ARGS]	tests/tools/backend.py, port in
#				$T/NAME.port, results $T/NAME.results, events
#				$T/NAME.events; port_of NAME prints the port;
#				$BACKEND_PREFIX runs it (e.g. in a namespace)
#	relayd_conf FILE	write a configuration: stdin plus the control
#				socket ($T_CTL) and log-level info
#	start_relayd CONF [PREFIX...]	relayd -d -f CONF (PREFIX: `ip netns
#				exec NS`, valgrind...), log in $T/relayd.log,
#				pid in $RELAYD_PID, waits for the control socket
#	stop_relayd [SECONDS]	SIGTERM, wait, fail unless it exits 0
#	ctl CMD			the control socket's JSON answer to CMD
#	stat_get KEY[.KEY]	one field of `stats`
#	run_mclient OUT SECS ARGS	mclient under timeout ($MCLIENT_PREFIX
#				before it), status in $MC_RC
#	mc_get FILE IDX KEY	a field of mclient's line for session IDX
#	mc_check_all FILE N	all N session lines of mclient say "ok"
#	netns_add NAME		a network namespace with lo up, deleted at exit
#	wait_for SECONDS DESC CMD...	poll CMD until it succeeds, or fail
#	wait_exit PID SECONDS	wait for a child, status in $WAIT_RC
#	fail MSG		message, logs, exit 1 (cleanup runs)
#
# Every daemon started through these functions is killed BY PID when the
# test ends, fails or is interrupted (INT, TERM, the watchdog), every
# namespace it made is deleted and its temp dir removed.  Nothing is
# skipped: a missing tool (python3, ip, valgrind) or privilege is a
# failure.

# shellcheck disable=SC2034,SC2015
set -eu

T_NAME=${T_NAME:-$(basename "$0" .sh)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
RELAYD=$top_builddir/relayd/relayd
MCLIENT=$top_builddir/tests/tools/mclient
BACKEND=$top_srcdir/tests/tools/backend.py
HOSTILE=$top_srcdir/tests/relayd/hostile.py

T=""
T_PIDS=""
T_NETNS=""
T_WATCHDOG=""
T_CTL=""
RELAYD_PID=""
RELAYD_LOG=""

say() {
	printf '%s: %s\n' "$T_NAME" "$*"
}

fail() {
	printf '%s: FAIL: %s\n' "$T_NAME" "$*" >&2
	exit 1
}

note() {
	printf '%s: NOTE: %s\n' "$T_NAME" "$*"
}

require_cmd() {
	for _c in "$@"; do
		command -v "$_c" >/dev/null 2>&1 ||
		    fail "$_c is not installed (run .ci/setup as root)"
	done
}

require_root() {
	[ "$(id -u)" -eq 0 ] ||
	    fail "must run as root (network namespaces); CI runs as root"
}

# Is PID alive (a zombie is not)?
t_alive() {
	_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
	[ -n "$_st" ] && [ "$_st" != Z ]
}

# Remember a process to kill at the end.
t_track() {
	T_PIDS="$T_PIDS $1"
}

t_dump_logs() {
	[ -n "$T" ] && [ -d "$T" ] || return 0
	for _f in "$T"/*.log "$T"/*.err "$T"/*.out "$T"/*.events \
	    "$T"/*.results; do
		[ -s "$_f" ] || continue
		printf '%s: ---- last lines of %s ----\n' "$T_NAME" \
		    "$(basename "$_f")" >&2
		tail -n 40 "$_f" >&2
	done
}

t_cleanup() {
	_rc=$?
	trap - EXIT INT TERM HUP
	set +e
	[ "$_rc" -ne 0 ] && t_dump_logs
	if [ -n "$T_WATCHDOG" ]; then
		kill -TERM "$T_WATCHDOG" 2>/dev/null
		wait "$T_WATCHDOG" 2>/dev/null
	fi
	for _p in $T_PIDS; do
		t_alive "$_p" && kill -TERM "$_p" 2>/dev/null
	done
	for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		_left=""
		for _p in $T_PIDS; do
			t_alive "$_p" && _left="$_left $_p"
		done
		[ -z "$_left" ] && break
		sleep 0.2
	done
	for _p in $_left; do
		printf '%s: pid %s still running at cleanup: killed\n' \
		    "$T_NAME" "$_p" >&2
		kill -KILL "$_p" 2>/dev/null
	done
	for _p in $T_PIDS; do
		wait "$_p" 2>/dev/null
	done
	for _ns in $T_NETNS; do
		ip netns delete "$_ns" 2>/dev/null
	done
	[ -n "$T" ] && rm -rf "$T"
	if [ "$_rc" -eq 0 ]; then
		say "PASS ($(( $(date +%s) - T_START )) s)"
	else
		say "FAIL (exit $_rc, $(( $(date +%s) - T_START )) s)" >&2
	fi
	exit "$_rc"
}

t_signal() {
	printf '%s: FAIL: interrupted by SIG%s\n' "$T_NAME" "$1" >&2
	exit 1
}

# t_init SECONDS: temp dir, traps, watchdog.
t_init() {
	T_START=$(date +%s)
	require_cmd python3 timeout
	[ -x "$RELAYD" ] || fail "$RELAYD not built (top_builddir=$top_builddir)"
	[ -x "$MCLIENT" ] || fail "$MCLIENT not built (make check builds it)"
	[ -r "$BACKEND" ] || fail "$BACKEND missing (top_srcdir=$top_srcdir)"
	trap t_cleanup EXIT
	trap 't_signal INT' INT
	trap 't_signal TERM' TERM
	trap 't_signal HUP' HUP
	# short: the control socket's path must fit in 108 bytes
	T=$(mktemp -d /tmp/relayd-t.XXXXXX) || fail "mktemp failed"
	T_CTL=$T/ctl.sock
	RELAYD_LOG=$T/relayd.log
	_limit=${1:-170}
	( trap 'kill "$_sp" 2>/dev/null; exit 0' TERM
	  sleep "$_limit" & _sp=$!
	  wait "$_sp"
	  printf '%s: FAIL: time limit of %s s reached\n' "$T_NAME" \
	      "$_limit" >&2
	  kill -TERM $$ ) &
	T_WATCHDOG=$!
	say "temp dir $T, time limit ${_limit} s"
}

elapsed() {
	echo $(( $(date +%s) - T_START ))
}

# N distinct free TCP ports on 127.0.0.1 (held together while chosen).
free_ports() {
	python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# wait_for SECONDS DESCRIPTION CMD...: poll CMD every 0.1 s.
wait_for() {
	_secs=$1
	_desc=$2
	shift 2
	_end=$(( $(date +%s) + _secs ))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$_end" ] ||
		    fail "timed out after ${_secs} s waiting for $_desc"
		sleep 0.1
	done
}

# ---------------------------------------------------------------------
# backends

# start_backend NAME MODE [ARGS...]: a prefix (e.g. `ip netns exec NS`)
# may come from $BACKEND_PREFIX.
start_backend() {
	_name=$1
	_mode=$2
	shift 2
	rm -f "$T/$_name.port"
	# shellcheck disable=SC2086
	${BACKEND_PREFIX:-} python3 "$BACKEND" "$_mode" \
	    --port-file "$T/$_name.port" --results "$T/$_name.results" \
	    --log "$T/$_name.events" "$@" >>"$T/$_name.log" 2>&1 &
	t_track $!
	eval "BACKEND_PID_$_name=\$!"
	wait_for 10 "backend $_name to listen" test -s "$T/$_name.port"
}

port_of() {
	tr -d '\n' < "$T/$1.port"
}

# count_events NAME EVENT: how many open/close events backend NAME logged.
count_events() {
	[ -f "$T/$1.events" ] || { echo 0; return 0; }
	grep -c "\"event\": \"$2\"" "$T/$1.events" || :
}

# ---------------------------------------------------------------------
# relayd

# relayd_conf FILE: stdin, then the control socket and log level unless
# stdin names them.
relayd_conf() {
	cat > "$1.tmp"
	grep -q '^control' "$1.tmp" || echo "control $T_CTL" >> "$1.tmp"
	grep -q '^log-level' "$1.tmp" || echo "log-level info" >> "$1.tmp"
	mv "$1.tmp" "$1"
}

# start_relayd CONF [PREFIX...]: run relayd in the foreground (-d) in the
# background of the test, wait until its control socket answers.
start_relayd() {
	_conf=$1
	shift
	_before=$(grep -c ' started (' "$RELAYD_LOG" 2>/dev/null || :)
	_before=${_before:-0}
	"$@" "$RELAYD" -d -f "$_conf" >>"$RELAYD_LOG" 2>&1 &
	RELAYD_PID=$!
	t_track "$RELAYD_PID"
	_end=$(( $(date +%s) + ${RELAYD_START_TIMEOUT:-20} ))
	while :; do
		_now=$(grep -c ' started (' "$RELAYD_LOG" 2>/dev/null || :)
		[ "${_now:-0}" -gt "$_before" ] && break
		t_alive "$RELAYD_PID" || fail "relayd exited at start"
		[ "$(date +%s)" -lt "$_end" ] || fail "relayd did not start"
		sleep 0.1
	done
	wait_for 10 "relayd's control socket" ctl stats
	say "relayd started, pid $RELAYD_PID"
}

relayd_alive() {
	t_alive "$RELAYD_PID"
}

# wait_exit PID SECONDS: wait for a child; its exit status in $WAIT_RC,
# or fail when it is still running after SECONDS.
wait_exit() {
	_end=$(( $(date +%s) + $2 ))
	while t_alive "$1"; do
		[ "$(date +%s)" -lt "$_end" ] ||
		    fail "pid $1 still running after $2 s"
		sleep 0.1
	done
	WAIT_RC=0
	wait "$1" || WAIT_RC=$?
}

# stop_relayd [SECONDS]: SIGTERM; relayd must exit 0 in time.
stop_relayd() {
	kill -TERM "$RELAYD_PID" 2>/dev/null ||
	    fail "relayd (pid $RELAYD_PID) is not running"
	_t0=$(date +%s)
	wait_exit "$RELAYD_PID" "${1:-10}"
	[ "$WAIT_RC" -eq 0 ] ||
	    fail "relayd exited with status $WAIT_RC after SIGTERM"
	grep -q 'exiting' "$RELAYD_LOG" || fail "relayd did not log 'exiting'"
	if grep -Eq 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' \
	    "$RELAYD_LOG"; then
		fail "sanitizer report in relayd's log"
	fi
	say "relayd stopped by SIGTERM: exit 0 in $(( $(date +%s) - _t0 )) s"
}

# ctl CMD: the control socket's answer.
ctl() {
	timeout 10 python3 - "$T_CTL" "$1" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(8)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
json.loads(data)          # must be JSON
sys.stdout.write(data.decode())
EOF
}

# stat_get KEY[.KEY...]: a field of `stats`.
stat_get() {
	ctl stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = d[k]
print(d)' "$1"
}

# stat_is KEY VALUE (for wait_for)
stat_is() {
	[ "$(stat_get "$1")" = "$2" ]
}

# log_has PATTERN: relayd's log has an (extended regex) match.
log_has() {
	grep -Eq "$1" "$RELAYD_LOG"
}

# ---------------------------------------------------------------------
# mclient

# run_mclient OUT SECONDS ARGS...: mclient under timeout, stdout in OUT,
# stderr in OUT.err; status in $MC_RC.
run_mclient() {
	_out=$1
	_secs=$2
	shift 2
	MC_RC=0
	${MCLIENT_PREFIX:-} timeout -k 5 "$_secs" "$MCLIENT" "$@" \
	    >"$_out" 2>"$_out.err" || MC_RC=$?
	[ "$MC_RC" -ne 124 ] && [ "$MC_RC" -ne 137 ] ||
	    fail "mclient $* did not finish in $_secs s"
}

# mc_get FILE IDX KEY: a field of the line of session IDX ("status" is ok
# or FAILED, "result" may hold blanks).
mc_get() {
	python3 - "$@" <<'EOF'
import re, sys
path, idx, key = sys.argv[1], sys.argv[2], sys.argv[3]
for line in open(path):
    m = re.match(r"session (\d+): (\S+) result=(.*?) code=(.*)$", line)
    if not m or m.group(1) != idx:
        continue
    if key == "status":
        print(m.group(2))
    elif key == "result":
        print(m.group(3))
    else:
        fields = dict(kv.split("=", 1) for kv in
                      ("code=" + m.group(4)).split())
        print(fields[key])
    sys.exit(0)
sys.exit("no line for session %s in %s" % (idx, path))
EOF
}

# mc_check_all FILE N: N lines, all ok.
mc_check_all() {
	_n=$(grep -c '^session [0-9]*: ok ' "$1" || :)
	[ "${_n:-0}" -eq "$2" ] || {
		grep -v '^session [0-9]*: ok ' "$1" | head -n 5 >&2
		fail "$(basename "$1"): ${_n:-0} of $2 sessions ok"
	}
}

# ---------------------------------------------------------------------
# network namespaces

netns_add() {
	require_root
	require_cmd ip
	ip netns add "$1" || fail "ip netns add $1 failed"
	T_NETNS="$T_NETNS $1"
	ip netns exec "$1" ip link set lo up || fail "lo up in $1 failed"
}

# ---------------------------------------------------------------------
# checks

expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

expect_ge() {
	[ "$2" -ge "$3" ] || fail "$1: got $2, expected at least $3"
}

expect_le() {
	[ "$2" -le "$3" ] || fail "$1: got $2, expected at most $3"
}
