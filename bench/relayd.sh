#!/bin/sh
# bench/relayd.sh: relayd's benchmark on loopback (make bench-relayd).
#
#   bench/relayd.sh [BUILDDIR]
#
# Starts relayd with a generated configuration on free loopback ports, the
# servers of bench_relayd (sink, source, holding servers), socat as a plain
# relay, runs the measurements and prints a table.  Like bench_session it
# asserts nothing: it prints figures.  Every process it starts is stopped
# by PID on exit.
#
#   1. bulk throughput each way: direct TCP, socat -b 262144, relayd
#   2. user-space memory per idle session (relayd's VmRSS growth)
#   3. handshakes and resumes per second, relayd pinned to one core
#
# Each figure is the median of BENCH_REPS runs (3).  Environment:
#   BENCH_REPS   runs per figure (3)
#   BENCH_BYTES  bytes per bulk run (2G)
#   BENCH_SECS   seconds per handshake/resume measurement (3)
#   BENCH_CONC   sessions in flight for handshakes/resumes (128)
# Needs root only to install socat when it is missing; raising the
# descriptor limit for 100,000 sessions needs CAP_SYS_RESOURCE.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u

BUILD=${1:-.}
RELAYD=$BUILD/relayd/relayd
BR=$BUILD/bench/bench_relayd
REPS=${BENCH_REPS:-3}
BYTES=${BENCH_BYTES:-2G}
SECS=${BENCH_SECS:-3}
CONC=${BENCH_CONC:-128}
T_START=$(date +%s)

for f in "$RELAYD" "$BR"; do
	if [ ! -x "$f" ]; then
		echo "relayd.sh: $f is missing: build first (make bench-relayd)" >&2
		exit 1
	fi
done

TMP=$(mktemp -d /tmp/bench-relayd.XXXXXX) || exit 1
PIDS=""

note() { echo "relayd.sh: $*" >&2; }

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
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'note interrupted; exit 130' INT TERM

# Median of the numbers given (non-numbers are ignored).
median() {
	printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g | awk '
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

# Is 127.0.0.1:PORT (or *:PORT) listening?  From /proc/net/tcp, no probe.
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

# Before a measurement: wait (a few seconds at most, 20 s in all) until
# other processes leave the CPUs alone.
QUIET_BUDGET=66	# samples of 0.3 s: 20 s in all
wait_quiet() {
	for _ in $(seq 1 20); do
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
# The kernel's softirq threads mostly carry our own loopback traffic.
KSOFTIRQD=$(grep -l '^ksoftirqd/' /proc/[0-9]*/comm 2>/dev/null | cut -d/ -f3 | tr '\n' ' ')
sys_ticks() { awk '/^cpu / { print $2 + $3 + $4 }' /proc/stat; }

# one_run "RELAY_PID OTHER_PIDS..." CMD...: runs CMD, its output in
# RUN_OUT; RUN_RELAY the relay's CPU ticks over the run (first PID, "-"
# for none); RUN_FOREIGN the share (%) of all CPUs that processes other
# than ours (those PIDs, ksoftirqd and CMD, which prints cpu=SECONDS) took
# meanwhile: user+nice+system ticks of the machine minus ours.
one_run() {
	local own=$1 p s0 s1 t0 t1 r0=0 r1=0 o0=0 o1=0 first
	shift
	first=${own%% *}
	own="$own $KSOFTIRQD"
	t0=$(date +%s%N)
	s0=$(sys_ticks)
	for p in $own; do [ "$p" = - ] || o0=$(( o0 + $(cpu_ticks "$p") )); done
	[ "$first" = - ] || r0=$(cpu_ticks "$first")
	RUN_OUT=$("$@" 2>>"$TMP/run.log")
	sleep 0.2		# socat reaps its child
	[ "$first" = - ] || r1=$(cpu_ticks "$first")
	for p in $own; do [ "$p" = - ] || o1=$(( o1 + $(cpu_ticks "$p") )); done
	s1=$(sys_ticks)
	t1=$(date +%s%N)
	RUN_RELAY=$(( r1 - r0 ))
	[ "$first" = - ] && RUN_RELAY=-
	RUN_FOREIGN=$(awk -v s=$(( s1 - s0 )) -v o=$(( o1 - o0 )) \
	    -v c="$(field cpu "$RUN_OUT")" -v hz="$HZ" -v n="$NCPU" \
	    -v w=$(( (t1 - t0) / 1000000 )) 'BEGIN {
		f = s - o - c * hz;
		if (f < 0 || w <= 0) f = 0;
		printf "%d\n", 100 * f / (w / 1000 * hz * n) }')
}

# checked_run: one_run, again (twice at most, 20 runs in all) while other
# processes took more than 10% of the CPUs; keeps the quietest run.
RETRY_BUDGET=20
RETRIES=0
NOISY_KEPT=0
RUNS=0
checked_run() {
	local bo="" br=- bf=1000 try
	RUNS=$(( RUNS + 1 ))
	for try in 1 2 3; do
		wait_quiet
		one_run "$@"
		# a failure is a result too: it stands, and is not retried
		[ -z "$RUN_OUT" ] && return 0
		if [ "$RUN_FOREIGN" -lt "$bf" ]; then
			bo=$RUN_OUT; br=$RUN_RELAY; bf=$RUN_FOREIGN
		fi
		[ "$RUN_FOREIGN" -le 10 ] && break
		if [ "$try" -eq 3 ] || [ "$RETRY_BUDGET" -le 0 ]; then
			break
		fi
		RETRY_BUDGET=$(( RETRY_BUDGET - 1 ))
		RETRIES=$(( RETRIES + 1 ))
		note "  (other processes took $RUN_FOREIGN% of the CPUs during that run: again)"
	done
	RUN_OUT=$bo; RUN_RELAY=$br; RUN_FOREIGN=$bf
	if [ "$bf" -gt 10 ]; then
		NOISY_KEPT=$(( NOISY_KEPT + 1 ))
	fi
	return 0
}

# ------------------------------------------------------------------
# The machine: CPUs, descriptors, socat.

NCPU=$(nproc 2>/dev/null || echo 1)
if [ "$NCPU" -ge 2 ]; then
	CPU_RELAY=0
	CPU_LOAD=1
else
	CPU_RELAY=0
	CPU_LOAD=0
	note "one CPU only: relay and load share it"
fi

# 100,000 sessions take 200,000 descriptors in relayd (path + backend).
WANT_FD=210000
NR_OPEN=$(cat /proc/sys/fs/nr_open 2>/dev/null || echo 1048576)
[ "$WANT_FD" -gt "$NR_OPEN" ] && WANT_FD=$NR_OPEN
HARD0=$(ulimit -Hn)
if [ "$HARD0" != unlimited ] && [ "$HARD0" -lt "$WANT_FD" ]; then
	ulimit -Hn "$WANT_FD" 2>/dev/null || true
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
HARD=$(ulimit -Hn)
[ "$HARD" = unlimited ] && HARD=$NR_OPEN
CAPEFF=$(awk '/^CapEff/ { print $2 }' /proc/self/status)
FILE_MAX=$(cat /proc/sys/fs/file-max 2>/dev/null || echo "?")

HAVE_SOCAT=1
if ! command -v socat >/dev/null 2>&1; then
	note "installing socat"
	apt-get install -y socat >"$TMP/apt.log" 2>&1 ||
	    { apt-get update >>"$TMP/apt.log" 2>&1 &&
	      apt-get install -y socat >>"$TMP/apt.log" 2>&1; }
	command -v socat >/dev/null 2>&1 ||
	    { note "socat could not be installed: its column is left out"; HAVE_SOCAT=0; }
fi

# ------------------------------------------------------------------
# Ports, servers, relayd configurations.

read -r -a P <<<"$("$BR" ports 16)" || { note "no free ports"; exit 1; }
[ "${#P[@]}" -eq 16 ] || { note "no free ports"; exit 1; }
RPORTS=("${P[@]:0:4}")		# relayd listens
SINK=${P[4]}
SOURCE=${P[5]}
HOLDS=("${P[@]:6:8}")		# holding servers
SOCAT_UP=${P[14]}
SOCAT_DOWN=${P[15]}
RELAYS=$(printf '127.0.0.1:%s,' "${RPORTS[@]}"); RELAYS=${RELAYS%,}
DESTS=$(printf '127.0.0.1:%s,' "${HOLDS[@]}"); DESTS=${DESTS%,}
HOLDLIST=$(printf '%s,' "${HOLDS[@]}"); HOLDLIST=${HOLDLIST%,}
SRCS=127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8,127.0.0.9
CTL=$TMP/relayd.sock

taskset -c "$CPU_LOAD" "$BR" serve -s "$SINK" -o "$SOURCE" -n "$BYTES" \
    -H "$HOLDLIST" -R "$TMP/serve.ready" -T 1200 2>"$TMP/serve.log" &
SERVE_PID=$!
PIDS="$PIDS $SERVE_PID"
wait_file "$TMP/serve.ready" 50 || { note "the servers did not start"; cat "$TMP/serve.log" >&2; exit 1; }

# gen_conf FILE LOGLEVEL [extra lines...]
gen_conf() {
	local f=$1 level=$2 p
	shift 2
	{
		echo "# generated by bench/relayd.sh"
		for p in "${RPORTS[@]}"; do echo "listen 127.0.0.1:$p"; done
		echo "allow 127.0.0.1 port $SINK"
		echo "allow 127.0.0.1 port $SOURCE"
		for p in "${HOLDS[@]}"; do echo "allow 127.0.0.1 port $p"; done
		echo "control $CTL"
		echo "log-level $level"
		for p in "$@"; do echo "$p"; done
	} >"$f"
}

RELAYD_PID=
start_relayd() {
	rm -f "$CTL"
	taskset -c "$CPU_RELAY" "$RELAYD" -d -f "$1" 2>>"${2:-$TMP/relayd.log}" &
	RELAYD_PID=$!
	PIDS="$PIDS $RELAYD_PID"
	wait_listen "${RPORTS[@]}" || { tail -5 "$TMP/relayd.log" >&2; exit 1; }
}

stop_relayd() {
	[ -n "$RELAYD_PID" ] && stop_pid "$RELAYD_PID"
	RELAYD_PID=
}

rss_kb() {
	awk '/^VmRSS/ { print $2 }' /proc/"$1"/status 2>/dev/null
}

relayd_memory() {
	[ "$HAVE_SOCAT" = 1 ] || { echo "-"; return; }
	echo stats | timeout 5 socat - UNIX-CONNECT:"$CTL" 2>/dev/null |
	    sed -n 's/.*"memory": \([0-9]*\).*/\1/p'
}

gen_conf "$TMP/relayd.conf" warn
gen_conf "$TMP/relayd-info.conf" info

declare -A R		# results: key -> "v1 v2 v3"
add() { R[$1]="${R[$1]:-} $2"; }

# ------------------------------------------------------------------
# 1. Bulk throughput.

note "1/3 bulk throughput, $BYTES per run, $REPS runs"
start_relayd "$TMP/relayd.conf"
if [ "$HAVE_SOCAT" = 1 ]; then
	taskset -c "$CPU_RELAY" socat -b 262144 \
	    TCP-LISTEN:"$SOCAT_UP",bind=127.0.0.1,reuseaddr,fork \
	    TCP:127.0.0.1:"$SINK" 2>>"$TMP/socat.log" &
	SOCAT1=$!
	taskset -c "$CPU_RELAY" socat -b 262144 \
	    TCP-LISTEN:"$SOCAT_DOWN",bind=127.0.0.1,reuseaddr,fork \
	    TCP:127.0.0.1:"$SOURCE" 2>>"$TMP/socat.log" &
	SOCAT2=$!
	PIDS="$PIDS $SOCAT1 $SOCAT2"
	wait_listen "$SOCAT_UP" "$SOCAT_DOWN" || exit 1
fi

# bulk PATH DIR: one checked transfer; sets BULK="Gbit/s
# Gbit/s-per-relay-CPU-second relay-CPU-fraction other-processes-%"
# ("fail" first when the run failed, "-" for what does not apply).
bulk() {
	local path=$1 dir=$2 srv cpu args relay=- gbps secs
	if [ "$dir" = up ]; then srv=$SINK; else srv=$SOURCE; fi
	case $path in
	direct)	cpu=$CPU_RELAY	# client and server on different CPUs
		args="-m direct -c 127.0.0.1:$srv" ;;
	socat)	cpu=$CPU_LOAD
		if [ "$dir" = up ]; then
			args="-m direct -c 127.0.0.1:$SOCAT_UP"; relay=$SOCAT1
		else
			args="-m direct -c 127.0.0.1:$SOCAT_DOWN"; relay=$SOCAT2
		fi ;;
	relayd)	cpu=$CPU_LOAD
		args="-m migrate -c 127.0.0.1:${RPORTS[0]} -d 127.0.0.1:$srv"
		relay=$RELAYD_PID ;;
	esac
	# shellcheck disable=SC2086
	checked_run "$relay $SERVE_PID" timeout 150 taskset -c "$cpu" "$BR" \
	    bulk $args -u "$dir" -n "$BYTES" -T 120
	gbps=$(field gbps "$RUN_OUT")
	secs=$(field seconds "$RUN_OUT")
	if [ -z "$gbps" ]; then
		BULK="fail - - $RUN_FOREIGN"
	elif [ "$RUN_RELAY" = - ] || [ "$RUN_RELAY" -le 0 ]; then
		BULK="$gbps - - $RUN_FOREIGN"
	else
		BULK=$(awk -v g="$gbps" -v s="$secs" -v t="$RUN_RELAY" -v hz="$HZ" \
		    -v f="$RUN_FOREIGN" 'BEGIN { c = t / hz;
		    printf "%s %.2f %.2f %s\n", g, g * s / c, c / s, f }')
	fi
}

PATHS="direct relayd"
[ "$HAVE_SOCAT" = 1 ] && PATHS="direct socat relayd"
for rep in $(seq 1 "$REPS"); do
	for dir in up down; do
		declare -A last=() lasteff=()
		for path in $PATHS; do
			bulk "$path" "$dir"
			read -r v eff util foreign <<<"$BULK"
			add "tp,$dir,$path" "$v"
			add "tpe,$dir,$path" "$eff"
			add "tpu,$dir,$path" "$util"
			add "tpf,$dir,$path" "$foreign"
			last[$path]=$v
			lasteff[$path]=$eff
			note "  run $rep $dir $path: $v Gbit/s (relay: $eff Gbit/s per CPU-second, CPU $util; other processes $foreign%)"
		done
		add "tp,$dir,rd" "$(ratio "${last[relayd]}" "${last[direct]}")"
		if [ "$HAVE_SOCAT" = 1 ]; then
			add "tp,$dir,rs" "$(ratio "${last[relayd]}" "${last[socat]}")"
			add "tpe,$dir,rs" "$(ratio "${lasteff[relayd]}" "${lasteff[socat]}")"
		fi
	done
done
[ "$HAVE_SOCAT" = 1 ] && { stop_pid "$SOCAT1"; stop_pid "$SOCAT2"; }
stop_relayd

# ------------------------------------------------------------------
# 2. Memory per idle session.

note "2/3 memory per idle session, $REPS runs"
gen_conf "$TMP/relayd-mem.conf" warn "max-sessions 1000000" "max-memory 8G" \
    "max-handshakes 4096" "max-handshakes-per-source 1024"
MEM_LEVELS=""
MEM_NMAX=
MEM_BASEFD=
IDLE_PIDS=""
for rep in $(seq 1 "$REPS"); do
	wait_quiet
	start_relayd "$TMP/relayd-mem.conf"
	sleep 0.5
	base_fd=$(find /proc/"$RELAYD_PID"/fd -mindepth 1 | wc -l)
	# two descriptors a session, a few spare
	nmax=$(( (HARD - base_fd - 16) / 2 ))
	[ "$nmax" -gt 100000 ] && nmax=100000
	MEM_NMAX=$nmax
	MEM_BASEFD=$base_fd
	levels="1000"
	for n in 10000 100000; do
		[ "$n" -gt "$nmax" ] && n=$nmax
		case " $levels " in *" $n "*) ;; *) levels="$levels $n" ;; esac
	done
	MEM_LEVELS=$levels
	rss0=$(rss_kb "$RELAYD_PID")
	add "mem,0,rss" "$rss0"
	have=0
	prev_rss=
	prev_have=0
	for n in $levels; do
		more=$(( n - have ))
		rm -f "$TMP/idle.ready"
		taskset -c "$CPU_LOAD" "$BR" load -k idle -g real -r "$RELAYS" \
		    -d "$DESTS" -b "$SRCS" -n "$more" -c 256 -R "$TMP/idle.ready" \
		    -T 300 >>"$TMP/idle.log" 2>&1 &
		ip=$!
		PIDS="$PIDS $ip"
		IDLE_PIDS="$IDLE_PIDS $ip"
		if ! wait_file "$TMP/idle.ready" 900; then
			note "  $n sessions: not established in 90 s"
			break
		fi
		ok=$(sed -n 's/^ok=\([0-9]*\).*/\1/p' "$TMP/idle.ready")
		have=$(( have + ok ))
		sleep 1.5		# established, then idle
		rss=$(rss_kb "$RELAYD_PID")
		mem=$(relayd_memory)
		fds=$(find /proc/"$RELAYD_PID"/fd -mindepth 1 | wc -l)
		per=$(awk -v a="$rss" -v b="$rss0" -v n="$have" \
		    'BEGIN { printf "%.0f", (a - b) * 1024 / n }')
		acct=$(awk -v m="$mem" -v n="$have" \
		    'BEGIN { if (m ~ /^[0-9]+$/) printf "%.0f", m / n; else print "-" }')
		if [ -n "${prev_rss:-}" ]; then
			add "mem,$n,marg" "$(awk -v a="$rss" -v b="$prev_rss" -v n=$(( have - prev_have )) \
			    'BEGIN { if (n > 0) printf "%.0f", (a - b) * 1024 / n; else print "-" }')"
		fi
		prev_rss=$rss
		prev_have=$have
		add "mem,$n,rss" "$rss"
		add "mem,$n,per" "$per"
		add "mem,$n,acct" "$acct"
		add "mem,$n,have" "$have"
		add "mem,$n,fds" "$fds"
		note "  run $rep: $have sessions: VmRSS $rss kB, $per bytes/session (relayd's count $acct), $fds descriptors"
	done
	for ip in $IDLE_PIDS; do stop_pid "$ip"; done
	IDLE_PIDS=""
	stop_relayd
done

# ------------------------------------------------------------------
# 3. Handshakes and resumes per second, relayd on one core.

note "3/3 handshakes and resumes, relayd on CPU $CPU_RELAY, $CONC in flight, $SECS s, $REPS runs"
# load KIND GEN -> the result line (or nothing)
# load KIND GEN: one checked run; its result line in LOAD (or nothing)
load() {
	checked_run "$RELAYD_PID $SERVE_PID" timeout 60 taskset -c "$CPU_LOAD" \
	    "$BR" load -k "$1" -g "$2" -r "$RELAYS" -d "$DESTS" -b "$SRCS" \
	    -c "$CONC" -t "$SECS" -W 1 -p "$RELAYD_PID" -T 40
	LOAD=$(echo "$RUN_OUT" | grep '^load ')
	[ -n "$LOAD" ] && LOAD="$LOAD other=$RUN_FOREIGN"
}
start_relayd "$TMP/relayd.conf"
for rep in $(seq 1 "$REPS"); do
	for kind in hs resume; do
		for gen in lean real; do
			load "$kind" "$gen"
			line=$LOAD
			for k in rate relayd_cpu per_core gen_cpu cpu0_busy fails other; do
				add "ld,$kind,$gen,$k" "$(field "$k" "$line")"
			done
			add "ld,$kind,$gen,errors" "$(field errors "$line")"
			note "  run $rep $kind $gen: ${line:-failed}"
		done
	done
done
stop_relayd
# relayd's default log level (info), to a file: one run
start_relayd "$TMP/relayd-info.conf" "$TMP/relayd-info.log"
for kind in hs resume; do
	load "$kind" lean
	line=$LOAD
	for k in rate relayd_cpu per_core; do
		add "info,$kind,$k" "$(field "$k" "$line")"
	done
	note "  log-level info: $kind lean: ${line:-failed}"
done
stop_relayd

# ------------------------------------------------------------------
# The table.

# shellcheck disable=SC2086 # the runs are words
m() { median ${R[$1]:-}; }
# shellcheck disable=SC2086
runs() { echo ${R[$1]:-} ; }

echo
echo "relayd benchmark, loopback, $(nproc) CPUs ($(uname -r)), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "relayd: $RELAYD; libevent $(pkg-config --modversion libevent 2>/dev/null || echo '?'), $(openssl version 2>/dev/null | awk '{print "OpenSSL " $2}')"
echo "each figure: median of $REPS runs (all runs listed in brackets)"
echo
echo "1. Bulk throughput, $BYTES per run, Gbit/s"
echo "   relayd and socat pinned to CPU $CPU_RELAY, client and server on CPU $CPU_LOAD;"
echo "   direct: client on CPU $CPU_RELAY, server on CPU $CPU_LOAD.  Ratios are per run (same run), then median."
printf '   %-18s %9s %9s %9s %15s %14s\n' "" direct socat relayd relayd/direct relayd/socat
for dir in up down; do
	if [ "$dir" = up ]; then label="client -> server"; else label="server -> client"; fi
	printf '   %-18s %9s %9s %9s %15s %14s\n' "$label" "$(m tp,$dir,direct)" \
	    "$(m tp,$dir,socat)" "$(m tp,$dir,relayd)" "$(m tp,$dir,rd)" "$(m tp,$dir,rs)"
done
for dir in up down; do
	printf '   runs %-4s direct [%s]  socat [%s]  relayd [%s]\n' "$dir" \
	    "$(runs tp,$dir,direct)" "$(runs tp,$dir,socat)" "$(runs tp,$dir,relayd)"
done
for dir in up down; do
	printf '   other processes, %% of the CPUs, %-4s direct [%s]  socat [%s]  relayd [%s]\n' "$dir" \
	    "$(runs tpf,$dir,direct)" "$(runs tpf,$dir,socat)" "$(runs tpf,$dir,relayd)"
done
echo "   Per relay core: Gbit/s per CPU-second of the relay process (utime+stime, socat's"
echo "   child included), and the relay's CPU fraction over the transfer (1.00: CPU-bound)"
printf '   %-18s %9s %9s %14s %12s %12s\n' "" socat relayd relayd/socat "socat CPU" "relayd CPU"
for dir in up down; do
	if [ "$dir" = up ]; then label="client -> server"; else label="server -> client"; fi
	printf '   %-18s %9s %9s %14s %12s %12s\n' "$label" "$(m tpe,$dir,socat)" \
	    "$(m tpe,$dir,relayd)" "$(m tpe,$dir,rs)" "$(m tpu,$dir,socat)" "$(m tpu,$dir,relayd)"
done
echo
echo "2. User-space memory per idle session: (relayd VmRSS - VmRSS before any session) / sessions"
echo "   measured 1.5 s after the last session is established; relayd's own accounting (control"
echo "   socket \"memory\": SESSION_OVERHEAD + msession_memory) alongside"
echo "   (marginal: growth from the previous line / sessions added)"
printf '   %-9s %10s %14s %10s %15s %12s\n' sessions "VmRSS kB" "bytes/session" marginal "relayd's count" descriptors
printf '   %-9s %10s %14s %10s %15s %12s\n' 0 "$(m mem,0,rss)" - - - "$MEM_BASEFD"
for n in $MEM_LEVELS; do
	printf '   %-9s %10s %14s %10s %15s %12s   [%s]\n' "$(m "mem,$n,have")" \
	    "$(m "mem,$n,rss")" "$(m "mem,$n,per")" "$(m "mem,$n,marg")" \
	    "$(m "mem,$n,acct")" "$(m "mem,$n,fds")" "$(runs "mem,$n,per")"
done
for n in 10000 100000; do
	if [ "${MEM_NMAX:-0}" -lt "$n" ]; then
		echo "   $n sessions: not reachable here: relayd holds 2 descriptors per session (client path"
		echo "     + backend) and its RLIMIT_NOFILE hard limit is $HARD (nr_open $NR_OPEN, file-max $FILE_MAX);"
		echo "     raising it needs CAP_SYS_RESOURCE (CapEff $CAPEFF).  Largest count: $MEM_NMAX sessions."
	fi
done
echo
echo "3. Handshakes and resumes per second, relayd pinned to CPU $CPU_RELAY; load generator and"
echo "   holding server on CPU $CPU_LOAD; $CONC in flight; $SECS s after 1 s of warm-up; key-reuse 1024"
echo "   (default), log-level warn.  per relayd core = rate / relayd CPU fraction (utime+stime)."
echo "   gen lean: one client key pair, shared secret cached per server key (relayd's work"
echo "   unchanged); gen real: common/session.c client, fresh X25519 pair each time."
printf '   %-10s %-5s %10s %11s %16s %9s %8s %6s %7s\n' op gen "achieved/s" "relayd CPU" \
    "per relayd core" "CPU0 busy" "gen CPU" fails "other%"
for kind in hs resume; do
	for gen in lean real; do
		if [ "$kind" = hs ]; then label=handshake; else label=resume; fi
		printf '   %-10s %-5s %10s %11s %16s %9s %8s %6s %7s\n' "$label" "$gen" \
		    "$(m "ld,$kind,$gen,rate")" "$(m "ld,$kind,$gen,relayd_cpu")" \
		    "$(m "ld,$kind,$gen,per_core")" "$(m "ld,$kind,$gen,cpu0_busy")" \
		    "$(m "ld,$kind,$gen,gen_cpu")" "$(m "ld,$kind,$gen,fails")" \
		    "$(m "ld,$kind,$gen,other")"
	done
done
for kind in hs resume; do
	for gen in lean real; do
		printf '   runs %-6s %-4s rate [%s]  per core [%s]\n' "$kind" "$gen" \
		    "$(runs ld,$kind,$gen,rate)" "$(runs ld,$kind,$gen,per_core)"
	done
done
printf '   log-level info (the default), one run, lean: handshakes %s/s (%s per core), resumes %s/s (%s per core)\n' \
    "$(m info,hs,rate)" "$(m info,hs,per_core)" "$(m info,resume,rate)" "$(m info,resume,per_core)"
echo
echo "Targets: throughput >= socat -b 262144 (relayd/socat >= 1); <= 16384 bytes per idle session;"
echo "         >= 10000 handshakes/s and >= 10000 resumes/s per relayd core."
nwarn=$(grep -c -v -e 'listening on' -e 'control socket' -e 'started (' -e 'stopping' -e exiting \
    "$TMP/relayd.log" 2>/dev/null || true)
if [ "${nwarn:-0}" -gt 0 ] && grep -q . "$TMP/relayd.log"; then
	echo "relayd logged $nwarn other lines (log-level warn runs show only warnings), the first:"
	grep -v -e 'listening on' -e 'control socket' -e 'started (' -e 'stopping' -e exiting \
	    "$TMP/relayd.log" | grep -v ' session ' | head -5 | sed 's/^/   /'
fi
if grep -q '^bench_relayd:' "$TMP/run.log" 2>/dev/null; then
	echo "client errors:"; grep '^bench_relayd:' "$TMP/run.log" | head -5 | sed 's/^/   /'
fi
echo "other processes on the machine: $RETRIES runs repeated because they took over 10% of the"
echo "CPUs; $NOISY_KEPT of $RUNS figures still come from such a run (see \"other\" above)"
echo "elapsed: $(( $(date +%s) - T_START )) s"
