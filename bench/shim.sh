#!/bin/sh
# bench/shim.sh: the client side's benchmark on loopback (make bench-shim).
#
#   bench/shim.sh [BUILDDIR]
#
# A program under LD_PRELOAD=libmigrate.so hands its connection to the
# engine, which carries it to relayd, which connects to the server:
#
#   bench_shim --unix--> migrate-engine --TCP--> relayd --TCP--> server
#
# This script measures what that path costs against a direct connection
# (and against socat -b 262144 relays on the same loopback), and prints
# one table with every figure and its target.  Like bench/relayd.sh it
# asserts nothing.  Everything runs in a network namespace the script
# makes (deleted at exit), so the engine is its own: one engine runs per
# user and namespace.  Every process it starts is stopped by PID on exit.
#
#   1. bulk throughput each way: direct, socat, two socats in a row, shim
#   2. 1-byte ping-pong round trip: direct, socat, shim; all on CPU 0,
#      and unpinned
#   3. connect() time: direct and shim; all on CPU 0, and unpinned
#   4. handoff time of `migratectl migrate`, the server streaming: the
#      engine's last_handoff_us, cross-checked from the program's reads;
#      once with a migratectl process per move, once with the same
#      command sent straight to the engine's socket (no process start
#      around the move to disturb the reads)
#
# Figures 1 to 3 are the median of BENCH_REPS runs (3), ratios and
# differences taken within each run; figure 4 is the median and p99 of
# BENCH_MOVES moves.  Environment:
#   BENCH_REPS     runs per figure (3)
#   BENCH_BYTES    bytes per bulk run (1G)
#   BENCH_RTT      round trips per ping-pong run (20000)
#   BENCH_CONNS    connects per connect() run (500)
#   BENCH_MOVES    moves per handoff series (100)
#   BENCH_KEEP     set: keep the temporary directory (logs, every move)
# Needs root (network namespaces); the servers are bench_relayd's (bulk
# sink and source) and bench_shim's (echo, stream).
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u

BUILD=${1:-.}
BUILD=$(cd "$BUILD" && pwd) || exit 1
RELAYD=$BUILD/relayd/relayd
BR=$BUILD/bench/bench_relayd
BS=$BUILD/bench/bench_shim
ENGINE=$BUILD/shim/engine/migrate-engine
MIGRATECTL=$BUILD/shim/tools/migratectl
SHIMLIB=$BUILD/shim/.libs/libmigrate.so
REPS=${BENCH_REPS:-3}
BYTES=${BENCH_BYTES:-1G}
RTT=${BENCH_RTT:-20000}
CONNS=${BENCH_CONNS:-500}
MOVES=${BENCH_MOVES:-100}

note() { echo "shim.sh: $*" >&2; }

for f in "$RELAYD" "$BR" "$BS" "$ENGINE" "$MIGRATECTL" "$SHIMLIB"; do
	if [ ! -e "$f" ]; then
		note "$f is missing: build first (make bench-shim)"
		exit 1
	fi
done

# ------------------------------------------------------------------
# Outside: make the namespace, run this script again inside it, delete
# the namespace (and whatever still runs in it: only ours) at the end.

if [ -z "${BENCH_SHIM_NS:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		note "needs root (ip netns)"
		exit 1
	fi
	NS=migrate-bench-shim-$$
	ip netns add "$NS" || { note "cannot make a network namespace"; exit 1; }
	INNER=
	outer_cleanup() {
		local p
		trap - EXIT INT TERM
		[ -n "$INNER" ] && kill -TERM "$INNER" 2>/dev/null && wait "$INNER" 2>/dev/null
		for p in $(ip netns pids "$NS" 2>/dev/null); do
			kill -TERM "$p" 2>/dev/null
		done
		sleep 0.2
		for p in $(ip netns pids "$NS" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$NS" 2>/dev/null
	}
	trap outer_cleanup EXIT
	trap 'note interrupted; exit 130' INT TERM
	ip -n "$NS" link set lo up || exit 1
	BENCH_SHIM_NS=$NS ip netns exec "$NS" bash "$0" "$BUILD" &
	INNER=$!
	rc=0
	while kill -0 "$INNER" 2>/dev/null; do
		wait "$INNER"
		rc=$?
	done
	INNER=
	exit "$rc"
fi

# ------------------------------------------------------------------
# Inside the namespace.

T_START=$(date +%s)
TMP=$(mktemp -d /tmp/bench-shim.XXXXXX) || exit 1
PIDS=""

# Stop one process we started, and the children it forked (socat).
stop_pid() {
	local p=$1 c kids
	kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null; return 0; }
	kids=$(cat /proc/"$p"/task/*/children 2>/dev/null)
	kill -TERM "$p" 2>/dev/null
	for c in $kids; do kill -TERM "$c" 2>/dev/null; done
	for _ in $(seq 1 80); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null
	for c in $kids; do kill -KILL "$c" 2>/dev/null; done
	wait "$p" 2>/dev/null
	PIDS=$(echo " $PIDS " | sed "s/ $p / /")
	return 0
}

cleanup() {
	local p
	trap - EXIT INT TERM
	for p in $PIDS; do stop_pid "$p"; done
	if [ -n "${BENCH_KEEP:-}" ]; then
		note "logs kept in $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'note interrupted; exit 130' INT TERM

# Median of the numbers given (non-numbers are ignored).
median() {
	printf '%s\n' "$@" | grep -E '^-?[0-9.]+$' | sort -g | awk '
	    { a[NR] = $1 }
	    END { if (NR == 0) print "-";
		  else if (NR % 2) print a[(NR + 1) / 2];
		  else printf "%.4g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# field NAME "key=value ..." -> value
field() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1
}

# ratio A B -> A/B with 2 decimals, or -
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
	    if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f\n", a / b;
	    else print "-" }'
}

# diff A B -> A-B with 1 decimal, or -
diff1() {
	awk -v a="$1" -v b="$2" 'BEGIN {
	    if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/) printf "%.1f\n", a - b;
	    else print "-" }'
}

# Is 127.0.0.1:PORT listening?  From /proc/net/tcp (this namespace's).
listening() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v h="$hex" 'NR > 1 && $4 == "0A" &&
	    ($2 == "0100007F:" h || $2 == "00000000:" h) { f = 1 }
	    END { exit !f }' /proc/net/tcp
}

wait_listen() {
	local p
	for p in "$@"; do
		for _ in $(seq 1 100); do
			listening "$p" && break
			sleep 0.05
		done
		listening "$p" || { note "nothing listens on port $p"; return 1; }
	done
}

wait_file() {
	for _ in $(seq 1 "$2"); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# Busy percentage of all CPUs over 0.3 s.
cpu_busy() {
	local a b c d e f g h A B C D E F G H busy tot
	read -r _ a b c d e f g h _ </proc/stat
	sleep 0.3
	read -r _ A B C D E F G H _ </proc/stat
	busy=$(( (A + B + C + F + G + H) - (a + b + c + f + g + h) ))
	tot=$(( busy + (D + E) - (d + e) ))
	[ "$tot" -gt 0 ] || tot=1
	echo $(( busy * 100 / tot ))
}

# Before a measurement: wait (3 s at most, 20 s in all) until other
# processes leave the CPUs alone.
QUIET_BUDGET=66
wait_quiet() {
	for _ in $(seq 1 10); do
		[ "$QUIET_BUDGET" -le 0 ] && return 0
		[ "$(cpu_busy)" -le 10 ] && return 0
		QUIET_BUDGET=$(( QUIET_BUDGET - 1 ))
	done
}

# CPU ticks of a process and of its reaped children (socat forks one a
# connection): utime + stime + cutime + cstime.
cpu_ticks() {
	awk '{ sub(/.*\) /, ""); print $12 + $13 + $14 + $15 }' /proc/"$1"/stat 2>/dev/null || echo 0
}
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
NCPU=$(nproc 2>/dev/null || echo 1)
KSOFTIRQD=$(grep -l '^ksoftirqd/' /proc/[0-9]*/comm 2>/dev/null | cut -d/ -f3 | tr '\n' ' ')
sys_ticks() { awk '/^cpu / { print $2 + $3 + $4 }' /proc/stat; }

# one_run CMD...: runs CMD, its output in RUN_OUT; RUN_ENGINE and
# RUN_RELAYD the CPU ticks of the engine and relayd over the run;
# RUN_FOREIGN the share (%) of all CPUs that processes other than ours
# (the PIDS we started, ksoftirqd, and CMD, which prints cpu=SECONDS)
# took meanwhile.
one_run() {
	local p s0 s1 t0 t1 o0=0 o1=0 e0 e1 r0 r1 own
	own="$PIDS $KSOFTIRQD"
	t0=$(date +%s%N)
	s0=$(sys_ticks)
	for p in $own; do o0=$(( o0 + $(cpu_ticks "$p") )); done
	e0=$(cpu_ticks "$ENGINE_PID")
	r0=$(cpu_ticks "$RELAYD_PID")
	RUN_OUT=$("$@" 2>>"$TMP/run.log")
	sleep 0.2		# socat reaps its child
	e1=$(cpu_ticks "$ENGINE_PID")
	r1=$(cpu_ticks "$RELAYD_PID")
	for p in $own; do o1=$(( o1 + $(cpu_ticks "$p") )); done
	s1=$(sys_ticks)
	t1=$(date +%s%N)
	RUN_ENGINE=$(( e1 - e0 ))
	RUN_RELAYD=$(( r1 - r0 ))
	RUN_FOREIGN=$(awk -v s=$(( s1 - s0 )) -v o=$(( o1 - o0 )) \
	    -v c="$(field cpu "$RUN_OUT")" -v hz="$HZ" -v n="$NCPU" \
	    -v w=$(( (t1 - t0) / 1000000 )) 'BEGIN {
		f = s - o - c * hz;
		if (f < 0 || w <= 0) f = 0;
		printf "%d\n", 100 * f / (w / 1000 * hz * n) }')
}

# checked_run CMD...: one_run, again (twice at most, 12 runs in all)
# while other processes took more than 10% of the CPUs; keeps the
# quietest run.
RETRY_BUDGET=12
RETRIES=0
NOISY_KEPT=0
RUNS=0
checked_run() {
	local bo="" be=0 br=0 bf=1000 try
	RUNS=$(( RUNS + 1 ))
	for try in 1 2 3; do
		wait_quiet
		one_run "$@"
		if [ -n "$RUN_OUT" ] && [ "$RUN_FOREIGN" -lt "$bf" ]; then
			bo=$RUN_OUT; be=$RUN_ENGINE; br=$RUN_RELAYD; bf=$RUN_FOREIGN
		fi
		[ "$RUN_FOREIGN" -le 10 ] && break
		if [ "$try" -eq 3 ] || [ "$RETRY_BUDGET" -le 0 ]; then
			break
		fi
		RETRY_BUDGET=$(( RETRY_BUDGET - 1 ))
		RETRIES=$(( RETRIES + 1 ))
		note "  (other processes took $RUN_FOREIGN% of the CPUs during that run: again)"
	done
	RUN_OUT=$bo; RUN_ENGINE=$be; RUN_RELAYD=$br; RUN_FOREIGN=$bf
	if [ "$bf" -gt 10 ] && [ "$bf" -lt 1000 ]; then
		NOISY_KEPT=$(( NOISY_KEPT + 1 ))
	fi
	return 0
}

declare -A R		# results: key -> "v1 v2 v3"
add() { R[$1]="${R[$1]:-} $2"; }
# shellcheck disable=SC2086 # the runs are words
m() { median ${R[$1]:-}; }
# shellcheck disable=SC2086
runs() { echo ${R[$1]:-}; }

# ------------------------------------------------------------------
# Ports, configurations, the long-running processes.

if [ "$NCPU" -ge 2 ]; then
	CPU_M=0		# the "mobile" side: client, engine, socat A
	CPU_F=1		# the "fixed" side: server, relayd, socat B
else
	CPU_M=0
	CPU_F=0
	note "one CPU only: both sides share it"
fi
ALLCPU=0-$(( NCPU - 1 ))

read -r -a P <<<"$("$BR" ports 12)" || { note "no free ports"; exit 1; }
[ "${#P[@]}" -eq 12 ] || { note "no free ports"; exit 1; }
RPORT=${P[0]}
SINK=${P[1]}
SOURCE=${P[2]}
ECHO=${P[3]}
STREAM=${P[4]}
S_UP=${P[5]}		# socat -> sink
S_DOWN=${P[6]}		# socat -> source
S_ECHO=${P[7]}		# socat -> echo
A_UP=${P[8]}		# socat A -> socat B -> sink
A_DOWN=${P[9]}
B_UP=${P[10]}
B_DOWN=${P[11]}
CTL=$TMP/relayd.sock

{
	echo "# generated by bench/shim.sh"
	echo "listen 127.0.0.1:$RPORT"
	for p in "$SINK" "$SOURCE" "$ECHO" "$STREAM"; do
		echo "allow 127.0.0.1 port $p"
	done
	echo "control $CTL"
	echo "log-level warn"
} >"$TMP/relayd.conf"
{
	echo "# generated by bench/shim.sh: every connection to 127.0.0.1"
	echo "# (the servers) goes through relayd"
	echo "route 127.0.0.1 via 127.0.0.1:$RPORT"
	echo "log-level warn"
} >"$TMP/migrate.conf"

# The environment of programs under the shim, and of the engine.
export MIGRATE_CONF=$TMP/migrate.conf
export MIGRATE_ENGINE=$ENGINE
export MIGRATE_LOG=$TMP/migrate.log
unset MIGRATE_RELAY MIGRATE_LOG_LEVEL LD_PRELOAD
# a program under the shim: env execs it, so $! is the program's PID
SHIM="env LD_PRELOAD=$SHIMLIB"

"$BR" serve -s "$SINK" -o "$SOURCE" -n "$BYTES" -R "$TMP/serve.ready" \
    -T 1200 2>"$TMP/serve.log" &
SERVE_PID=$!
PIDS="$PIDS $SERVE_PID"
"$BS" serve -e "$ECHO" -s "$STREAM" -i 100 -R "$TMP/bs.ready" -T 1200 \
    2>"$TMP/bs.log" &
BSERVE_PID=$!
PIDS="$PIDS $BSERVE_PID"
wait_file "$TMP/serve.ready" 50 && wait_file "$TMP/bs.ready" 50 ||
    { note "the servers did not start"; cat "$TMP"/serve.log "$TMP"/bs.log >&2; exit 1; }

"$RELAYD" -d -f "$TMP/relayd.conf" 2>>"$TMP/relayd.log" &
RELAYD_PID=$!
PIDS="$PIDS $RELAYD_PID"
wait_listen "$RPORT" || { tail -5 "$TMP/relayd.log" >&2; exit 1; }

# The engine, started by hand in the foreground (the shim would start
# the same one with -a): its PID is ours to pin and to stop.
"$ENGINE" -d 2>>"$TMP/engine.log" &
ENGINE_PID=$!
PIDS="$PIDS $ENGINE_PID"
for _ in $(seq 1 50); do
	"$MIGRATECTL" status >/dev/null 2>&1 && break
	sleep 0.1
done
"$MIGRATECTL" status >/dev/null 2>&1 ||
    { note "the engine did not start"; tail -5 "$TMP/engine.log" >&2; exit 1; }

socat_relay() {	# LISTEN-PORT TO-PORT: a socat relay; its PID in SOCAT_PID
	socat -b 262144 TCP-LISTEN:"$1",bind=127.0.0.1,reuseaddr,fork \
	    TCP:127.0.0.1:"$2" 2>>"$TMP/socat.log" &
	SOCAT_PID=$!
	PIDS="$PIDS $SOCAT_PID"
}
socat_relay "$S_UP" "$SINK"; SOC_UP=$SOCAT_PID
socat_relay "$S_DOWN" "$SOURCE"; SOC_DOWN=$SOCAT_PID
socat_relay "$S_ECHO" "$ECHO"; SOC_ECHO=$SOCAT_PID
socat_relay "$A_UP" "$B_UP"; SOC_AUP=$SOCAT_PID
socat_relay "$A_DOWN" "$B_DOWN"; SOC_ADOWN=$SOCAT_PID
socat_relay "$B_UP" "$SINK"; SOC_BUP=$SOCAT_PID
socat_relay "$B_DOWN" "$SOURCE"; SOC_BDOWN=$SOCAT_PID
wait_listen "$S_UP" "$S_DOWN" "$S_ECHO" "$A_UP" "$A_DOWN" "$B_UP" "$B_DOWN" || exit 1

# pin CPUS PID...: every thread of each (socat's future children too)
pin() {
	local c=$1 p
	shift
	for p in "$@"; do taskset -apc "$c" "$p" >/dev/null 2>&1; done
}
# The two sides: the mobile host (client, engine, first socat of two)
# on CPU_M, the fixed one (servers, relayd, the socat beside the server)
# on CPU_F.
place_split() {
	pin "$CPU_M" "$ENGINE_PID" "$SOC_AUP" "$SOC_ADOWN"
	pin "$CPU_F" "$RELAYD_PID" "$SERVE_PID" "$BSERVE_PID" "$SOC_UP" \
	    "$SOC_DOWN" "$SOC_ECHO" "$SOC_BUP" "$SOC_BDOWN"
}
place_all() {	# CPUS: every process
	pin "$1" "$ENGINE_PID" "$RELAYD_PID" "$SERVE_PID" "$BSERVE_PID" \
	    "$SOC_UP" "$SOC_DOWN" "$SOC_ECHO" "$SOC_AUP" "$SOC_ADOWN" \
	    "$SOC_BUP" "$SOC_BDOWN"
}

LOAD_START=$(loadavg)
UPTIME_START=$(uptime)
note "load at start: $UPTIME_START"

# ------------------------------------------------------------------
# 1. Bulk throughput.

note "1/4 bulk throughput, $BYTES per run, $REPS runs"
# bulk PATH DIR: one checked transfer; BULK="Gbit/s engine-CPU
# relayd-CPU other-%" (CPU: fraction of one core over the transfer)
bulk() {
	local path=$1 dir=$2 port cpu=$CPU_M pre="" gbps secs
	place_split
	case $path,$dir in
	direct,up)	port=$SINK ;;
	direct,down)	port=$SOURCE ;;
	socat,up)	port=$S_UP ;;
	socat,down)	port=$S_DOWN ;;
	socat2,up)	port=$A_UP ;;
	socat2,down)	port=$A_DOWN ;;
	shim,up)	port=$SINK; pre=$SHIM ;;
	shim,down)	port=$SOURCE; pre=$SHIM ;;
	shimfree,up)	port=$SINK; pre=$SHIM; cpu=$ALLCPU; place_all "$ALLCPU" ;;
	shimfree,down)	port=$SOURCE; pre=$SHIM; cpu=$ALLCPU; place_all "$ALLCPU" ;;
	esac
	# shellcheck disable=SC2086
	checked_run timeout 150 $pre taskset -c "$cpu" "$BS" bulk \
	    -c 127.0.0.1:"$port" -u "$dir" -n "$BYTES" -T 120
	gbps=$(field gbps "$RUN_OUT")
	secs=$(field seconds "$RUN_OUT")
	if [ -z "$gbps" ]; then
		BULK="fail - - $RUN_FOREIGN"
		return
	fi
	BULK=$(awk -v g="$gbps" -v s="$secs" -v e="$RUN_ENGINE" \
	    -v r="$RUN_RELAYD" -v hz="$HZ" -v f="$RUN_FOREIGN" 'BEGIN {
	    printf "%s %.2f %.2f %s\n", g, e / hz / s, r / hz / s, f }')
}

BPATHS="direct socat socat2 shim shimfree"
for rep in $(seq 1 "$REPS"); do
	for dir in up down; do
		declare -A last=()
		for path in $BPATHS; do
			bulk "$path" "$dir"
			read -r v ecpu rcpu foreign <<<"$BULK"
			add "tp,$dir,$path" "$v"
			add "tpf,$dir,$path" "$foreign"
			case $path in shim*)
				add "tpe,$dir,$path" "$ecpu"
				add "tpr,$dir,$path" "$rcpu" ;;
			esac
			last[$path]=$v
			note "  run $rep $dir $path: $v Gbit/s (engine CPU $ecpu, relayd CPU $rcpu; other processes $foreign%)"
		done
		add "tp,$dir,sd" "$(ratio "${last[shim]}" "${last[direct]}")"
		add "tp,$dir,fd" "$(ratio "${last[shimfree]}" "${last[direct]}")"
		add "tp,$dir,ss" "$(ratio "${last[shim]}" "${last[socat]}")"
		add "tp,$dir,s2" "$(ratio "${last[shim]}" "${last[socat2]}")"
	done
done

# ------------------------------------------------------------------
# 2. 1-byte ping-pong.

note "2/4 ping-pong, $RTT round trips, $REPS runs"
for rep in $(seq 1 "$REPS"); do
	for pinning in cpu0 free; do
		if [ "$pinning" = cpu0 ]; then cpu=0; else cpu=$ALLCPU; fi
		place_all "$cpu"
		declare -A last=() lastm=()
		for path in direct socat shim; do
			case $path in
			direct)	pre=""; port=$ECHO ;;
			socat)	pre=""; port=$S_ECHO ;;
			shim)	pre=$SHIM; port=$ECHO ;;
			esac
			# shellcheck disable=SC2086
			checked_run timeout 60 $pre taskset -c "$cpu" "$BS" \
			    pingpong -c 127.0.0.1:"$port" -n "$RTT" -w 1000
			p50=$(field p50_us "$RUN_OUT")
			mean=$(field mean_us "$RUN_OUT")
			add "pp,$pinning,$path,p50" "$p50"
			add "pp,$pinning,$path,mean" "$mean"
			add "pp,$pinning,$path,p99" "$(field p99_us "$RUN_OUT")"
			add "ppf,$pinning,$path" "$RUN_FOREIGN"
			last[$path]=$p50
			lastm[$path]=$mean
			note "  run $rep $pinning $path: ${RUN_OUT:-failed} (other processes $RUN_FOREIGN%)"
		done
		add "pp,$pinning,added,p50" "$(diff1 "${last[shim]}" "${last[direct]}")"
		add "pp,$pinning,added,mean" "$(diff1 "${lastm[shim]}" "${lastm[direct]}")"
		add "pp,$pinning,socadd,p50" "$(diff1 "${last[socat]}" "${last[direct]}")"
	done
done

# ------------------------------------------------------------------
# 3. connect() time.

note "3/4 connect(), $CONNS connects, $REPS runs"
for rep in $(seq 1 "$REPS"); do
	for pinning in cpu0 free; do
		if [ "$pinning" = cpu0 ]; then cpu=0; else cpu=$ALLCPU; fi
		place_all "$cpu"
		declare -A l50=() l99=()
		for path in direct shim; do
			if [ "$path" = shim ]; then pre=$SHIM; else pre=""; fi
			# shellcheck disable=SC2086
			checked_run timeout 100 $pre taskset -c "$cpu" "$BS" \
			    connect -c 127.0.0.1:"$ECHO" -n "$CONNS" -w 20 -g 2
			l50[$path]=$(field p50_us "$RUN_OUT")
			l99[$path]=$(field p99_us "$RUN_OUT")
			add "cn,$pinning,$path,p50" "${l50[$path]}"
			add "cn,$pinning,$path,p99" "${l99[$path]}"
			add "cn,$pinning,$path,mean" "$(field mean_us "$RUN_OUT")"
			add "cn,$pinning,$path,failed" "$(field failed "$RUN_OUT")"
			add "cnf,$pinning,$path" "$RUN_FOREIGN"
			note "  run $rep $pinning $path: ${RUN_OUT:-failed} (other processes $RUN_FOREIGN%)"
		done
		add "cn,$pinning,added,p50" "$(diff1 "${l50[shim]}" "${l50[direct]}")"
		add "cn,$pinning,added,p99" "$(diff1 "${l99[shim]}" "${l99[direct]}")"
	done
done

# ------------------------------------------------------------------
# 4. Handoff time of migratectl migrate.

note "4/4 handoff, $MOVES moves twice, the server streaming 16 bytes every 100 us"
place_all "$ALLCPU"
# sessions of figure 3 end within a few seconds; the moves want one
for _ in $(seq 1 100); do
	[ "$("$MIGRATECTL" --json list 2>/dev/null | grep -c '"id"')" -eq 0 ] && break
	sleep 0.1
done
LOAD_HO=$(loadavg)
# handoff SERIES DRIVER-ARGS...: one stream reader under the shim, the
# moves driven by bench_shim moves; the reader's summary in HO_SERIES
declare -A HO HOSTREAM HOMOVES
handoff() {
	local series=$1 sp
	shift
	rm -f "$TMP/stream.ready" "$TMP/moves-$series.txt"
	env LD_PRELOAD="$SHIMLIB" "$BS" stream -c 127.0.0.1:"$STREAM" \
	    -R "$TMP/stream.ready" -T 200 -M "$TMP/moves-$series.txt" -W 200 \
	    >"$TMP/stream-$series.out" 2>>"$TMP/run.log" &
	sp=$!
	PIDS="$PIDS $sp"
	if wait_file "$TMP/stream.ready" 50; then
		sleep 0.5
		timeout 120 "$BS" moves "$@" -p "$sp" -n "$MOVES" \
		    -o "$TMP/moves-$series.txt" -g 30 >"$TMP/moves-$series.out" \
		    2>>"$TMP/run.log"
		sleep 0.3
	else
		note "  the stream reader did not start"
	fi
	kill -TERM "$sp" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$sp" 2>/dev/null || break
		sleep 0.1
	done
	stop_pid "$sp"
	HO[$series]=$(grep '^summary ' "$TMP/stream-$series.out")
	HOSTREAM[$series]=$(grep '^stream ' "$TMP/stream-$series.out")
	HOMOVES[$series]=$(cat "$TMP/moves-$series.out" 2>/dev/null)
	note "  $series: ${HOMOVES[$series]:-no moves}; ${HOSTREAM[$series]}"
	note "  $series: ${HO[$series]}"
}
# as a user would: a migratectl process each time
handoff ctl -x "$MIGRATECTL"
# the same command line sent straight to the engine's socket: no process
# start (about 2 ms of a busy CPU here) in the window around the move
handoff ipc -I

LOAD_END=$(loadavg)
UPTIME_END=$(uptime)

# ------------------------------------------------------------------
# The table.

# met VALUE OP TARGET -> yes/no/-
met() {
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
	    if (v !~ /^-?[0-9.]+$/) { print "-"; exit }
	    if (op == ">=") print (v + 0 >= t + 0) ? "yes" : "NO";
	    else print (v + 0 <= t + 0) ? "yes" : "NO" }'
}

echo
echo "client-side benchmark: program -> libmigrate.so -> migrate-engine -> relayd -> server"
echo "loopback in network namespace ${BENCH_SHIM_NS}, $NCPU CPUs ($(uname -r)), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load average (1/5/15 min): $LOAD_START at start, $LOAD_HO before figure 4, $LOAD_END at end"
echo "engine, relayd and libmigrate.so at log-level warn; figures 1-3: median of $REPS runs,"
echo "ratios and differences taken within each run, then the median"
echo
printf '%-52s %17s %9s %4s\n' "figure" "measured" "target" "met"
row() { printf '%-52s %17s %9s %4s\n' "$1" "$2" "$3" "$4"; }
for dir in up down; do
	if [ "$dir" = up ]; then label="client->server"; else label="server->client"; fi
	row "1. bulk $label, Gbit/s: direct" "$(m tp,$dir,direct)" "" ""
	row "   socat -b 262144 beside the server" "$(m tp,$dir,socat)" "" ""
	row "   two socats in a row (the shim path's hops)" "$(m tp,$dir,socat2)" "" ""
	row "   shim (mobile side CPU $CPU_M, fixed side CPU $CPU_F)" "$(m tp,$dir,shim)" "" ""
	row "   shim, unpinned" "$(m tp,$dir,shimfree)" "" ""
	v=$(m tp,$dir,sd)
	row "   shim / direct" "$v" ">= 0.80" "$(met "$v" '>=' 0.8)"
	v=$(m tp,$dir,fd)
	row "   shim unpinned / direct" "$v" ">= 0.80" "$(met "$v" '>=' 0.8)"
	row "   shim / socat; shim / two socats" "$(m tp,$dir,ss) / $(m tp,$dir,s2)" "" ""
done
for pinning in cpu0 free; do
	if [ "$pinning" = cpu0 ]; then label="all on CPU 0"; else label="unpinned"; fi
	row "2. 1-byte ping-pong, $label, us per round trip," "" "" ""
	row "   p50 / mean: direct" "$(m pp,$pinning,direct,p50) / $(m pp,$pinning,direct,mean)" "" ""
	row "   socat" "$(m pp,$pinning,socat,p50) / $(m pp,$pinning,socat,mean)" "" ""
	row "   shim" "$(m pp,$pinning,shim,p50) / $(m pp,$pinning,shim,mean)" "" ""
	v=$(m pp,$pinning,added,p50)
	row "   added by the shim path (shim - direct)" "$v / $(m pp,$pinning,added,mean)" "<= 20" "$(met "$v" '<=' 20)"
done
for pinning in cpu0 free; do
	if [ "$pinning" = cpu0 ]; then label="all on CPU 0"; else label="unpinned"; fi
	row "3. connect() time, $label, us, p50 / p99:" "" "" ""
	row "   direct" "$(m cn,$pinning,direct,p50) / $(m cn,$pinning,direct,p99)" "" ""
	row "   shim (session up through relayd)" "$(m cn,$pinning,shim,p50) / $(m cn,$pinning,shim,p99)" "" ""
	row "   added (shim - direct)" "$(m cn,$pinning,added,p50) / $(m cn,$pinning,added,p99)" "none set" "-"
done
# us -> ms, 3 decimals
ms() { awk -v x="$1" 'BEGIN { if (x ~ /^[0-9.]+$/) printf "%.3f", x / 1000; else print "-" }'; }
for series in ctl ipc; do
	HOS=${HO[$series]:-}
	hf() { ms "$(field "$1" "$HOS")"; }
	if [ "$series" = ctl ]; then
		row "4. handoff, \`migratectl migrate ID\`, $(field moves "$HOS") moves, ms:" "" "" ""
	else
		row "   the same command sent to the engine's socket," "" "" ""
		row "   no process start, $(field moves "$HOS") moves, ms:" "" "" ""
	fi
	v=$(hf engine_p50)
	row "   engine last_handoff_us p50 / p99" "$v / $(hf engine_p99)" "p50 <= 2" "$(met "$v" '<=' 2)"
	v=$(hf first_p50)
	row "   outside: command -> end of the gap p50 / p99" "$v / $(hf first_p99)" "p50 <= 2" "$(met "$v" '<=' 2)"
	row "   outside: largest read gap p50 / p99" "$(hf gap_p50) / $(hf gap_p99)" "" ""
	row "   outside: oldest record in the window p50 / p99" "$(hf age_p50) / $(hf age_p99)" "" ""
	if [ "$series" = ctl ]; then
		row "   migratectl run time (fork to exit) p50 / p99" "$(hf migratectl_p50) / $(hf migratectl_p99)" "" ""
	else
		row "   command's answer from the engine p50 / p99" "$(hf migratectl_p50) / $(hf migratectl_p99)" "" ""
	fi
	row "   moves whose engine figure < half the gap" "$(field engine_low "$HOS")" "" ""
	row "   steady state: read gap p50 / p99" "$(hf steady_gap_p50) / $(hf steady_gap_p99)" "" ""
done

echo
echo "How: 1. bench_shim bulk, $BYTES per run, 256 KiB writes/reads; the client runs with"
echo "   LD_PRELOAD=libmigrate.so for shim, plain otherwise.  Pinned: client (and engine,"
echo "   and the first of two socats) on CPU $CPU_M; server, relayd and the socat beside"
echo "   the server on CPU $CPU_F; direct: client on CPU $CPU_M, server on CPU $CPU_F."
for dir in up down; do
	printf '   runs %-4s direct [%s] socat [%s] socat2 [%s] shim [%s] unpinned [%s]\n' "$dir" \
	    "$(runs tp,$dir,direct)" "$(runs tp,$dir,socat)" "$(runs tp,$dir,socat2)" \
	    "$(runs tp,$dir,shim)" "$(runs tp,$dir,shimfree)"
	printf '   CPU (fraction of a core) over the shim runs, %-4s engine %s relayd %s; unpinned: engine %s relayd %s\n' \
	    "$dir" "$(m tpe,$dir,shim)" "$(m tpr,$dir,shim)" "$(m tpe,$dir,shimfree)" "$(m tpr,$dir,shimfree)"
done
echo "2. bench_shim pingpong: one connection (TCP_NODELAY), $RTT round trips of 1 byte after"
echo "   1000 untimed; client, engine, relayd, socat and the echo server all on CPU 0, then"
echo "   on any CPU."
for pinning in cpu0 free; do
	printf '   runs %-5s p50 direct [%s] socat [%s] shim [%s]; shim p99 [%s]; mean direct [%s] shim [%s]\n' \
	    "$pinning" "$(runs pp,$pinning,direct,p50)" "$(runs pp,$pinning,socat,p50)" \
	    "$(runs pp,$pinning,shim,p50)" "$(runs pp,$pinning,shim,p99)" \
	    "$(runs pp,$pinning,direct,mean)" "$(runs pp,$pinning,shim,mean)"
done
echo "3. bench_shim connect: $CONNS times socket(), connect() (timed), close(), 2 ms pause;"
echo "   20 untimed first; the engine already running.  Through the shim connect() returns"
echo "   once the session is established through relayd to the echo server."
for pinning in cpu0 free; do
	printf '   runs %-5s p50 direct [%s] shim [%s]; p99 direct [%s] shim [%s]; failed [%s]\n' \
	    "$pinning" "$(runs cn,$pinning,direct,p50)" "$(runs cn,$pinning,shim,p50)" \
	    "$(runs cn,$pinning,direct,p99)" "$(runs cn,$pinning,shim,p99)" "$(runs cn,$pinning,shim,failed)"
done
echo "4. bench_shim stream, under the shim, unpinned, reads a stream of 16-byte records"
echo "   (sequence number, time of writing) that the server writes every 100 us; bench_shim"
echo "   moves moves its session $MOVES times, 30-50 ms apart, and reads last_handoff_us"
echo "   (engine: from the command's arrival to the first byte delivered after it) from the"
echo "   list once the move count has grown.  Outside: in the window from the command to"
echo "   the driver's first list (20 ms later), the largest gap between two reads of the"
echo "   program, and the time from the command to the read that ends it."
for series in ctl ipc; do
	echo "   $series: ${HOSTREAM[$series]:-no stream}; ${HOMOVES[$series]:-moves failed}"
done
echo
echo "other processes on the machine: $RETRIES runs repeated because they took over 10% of the"
echo "CPUs; $NOISY_KEPT of $RUNS figures still come from such a run"
echo "uptime at start: $UPTIME_START"
echo "uptime at end:   $UPTIME_END"
nwarn=$(grep -c . "$TMP/engine.log" "$TMP/relayd.log" 2>/dev/null | awk -F: '{ s += $2 } END { print s + 0 }')
if [ "$nwarn" -gt 0 ]; then
	echo "engine and relayd logged $nwarn lines (warnings and up), the first:"
	cat "$TMP/engine.log" "$TMP/relayd.log" | head -5 | sed 's/^/   /'
fi
if grep -q '^bench_shim' "$TMP/run.log" 2>/dev/null; then
	echo "client errors:"; grep '^bench_shim' "$TMP/run.log" | head -5 | sed 's/^/   /'
fi
echo "elapsed: $(( $(date +%s) - T_START )) s"
