#!/bin/sh
# run.sh SECONDS BUILD_FUZZ_DIR SRC_FUZZ_DIR: `make fuzz` (--enable-fuzzing).
#
# Runs each libFuzzer target for SECONDS on a fresh corpus copied from
# SRC_FUZZ_DIR/seeds/<name>/, in a temporary directory under the build
# directory that is removed afterwards.  Inputs that fail are kept in
# BUILD_FUZZ_DIR/artifacts/<target>/ (crash-*, leak-*, timeout-*, oom-*).
# Exits nonzero if any target crashed, leaked, timed out or ran out of
# memory, and says which.
set -eu

if [ $# -ne 3 ]; then
	echo "usage: $0 SECONDS BUILD_FUZZ_DIR SRC_FUZZ_DIR" >&2
	exit 2
fi
secs=$1
bdir=$2
sdir=$3
case $secs in
''|*[!0-9]*)
	echo "run.sh: SECONDS must be a whole number, not '$secs'" >&2
	exit 2
	;;
esac

targets="fuzz_frame fuzz_server fuzz_client fuzz_conf fuzz_migrate_conf"

# Abort on the first UBSan report too (the build lets UBSan recover).
: "${UBSAN_OPTIONS:=halt_on_error=1:print_stacktrace=1}"
export UBSAN_OPTIONS

tmp=$(mktemp -d "$bdir/fuzz-run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

artifacts=$bdir/artifacts
mkdir -p "$artifacts"

# What went wrong, from a libFuzzer log.
classify() {
	if grep -q 'ERROR: LeakSanitizer' "$1"; then
		echo "memory leak"
	elif grep -q 'ERROR: libFuzzer: timeout' "$1"; then
		echo "timeout"
	elif grep -q 'ERROR: libFuzzer: out-of-memory' "$1"; then
		echo "out of memory"
	elif grep -q 'ERROR: AddressSanitizer' "$1"; then
		echo "AddressSanitizer: $(sed -n \
		    's/.*ERROR: AddressSanitizer: \([^ ]*\).*/\1/p' "$1" |
		    head -n 1)"
	elif grep -q 'runtime error:' "$1"; then
		echo "undefined behaviour"
	elif grep -q 'ERROR: libFuzzer: deadly signal' "$1"; then
		echo "crash"
	else
		echo "exit status $2"
	fi
}

failed=""
for t in $targets; do
	name=${t#fuzz_}
	bin=$bdir/$t
	log=$tmp/$t.log
	corpus=$tmp/corpus-$name
	mkdir -p "$corpus" "$artifacts/$t"
	nseeds=0
	for f in "$sdir/seeds/$name"/*; do
		if [ -f "$f" ]; then
			cp "$f" "$corpus/"
			nseeds=$((nseeds + 1))
		fi
	done
	if [ ! -x "$bin" ]; then
		echo "$t: $bin not built" >&2
		failed="$failed $t(not built)"
		continue
	fi
	echo "== $t: ${secs}s, $nseeds seeds"
	rc=0
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$artifacts/$t/" \
	    "$corpus" >"$log" 2>&1 || rc=$?
	# Last status line (cov:, ft:, exec/s) and the final stats.
	grep -E '^#[0-9]+' "$log" | tail -n 1 || true
	grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' \
	    "$log" || true
	if [ "$rc" -ne 0 ] ||
	    grep -q -e 'ERROR: ' -e 'runtime error:' "$log"; then
		why=$(classify "$log" "$rc")
		echo "---- $t FAILED ($why); end of its log:"
		tail -n 60 "$log"
		unit=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' \
		    "$log" | tail -n 1)
		if [ -n "$unit" ]; then
			echo "---- reproduce: $bin $unit"
		fi
		failed="$failed $t($why)"
	fi
done

if [ -n "$failed" ]; then
	echo "fuzz: FAILED:$failed" >&2
	exit 1
fi
echo "fuzz: all targets ran ${secs}s without a finding"
