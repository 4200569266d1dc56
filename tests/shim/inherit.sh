#!/bin/sh
# inherit.sh: a routed connection kept by other processes than the one
# that made it, through moves, under the shim, via relayd to the echo
# backend.
#
#   1. bash: `exec 3<>/dev/tcp/127.0.0.1/PORT`, then lines written and
#      read back, each line written before a move and read after it.
#   2. fork: a Python program connects, forks and exits; the child goes
#      on with the inherited descriptor, through moves, after its parent
#      is gone (the engine must not take the parent's exit for the end).
#   3. exec (pass_fds): a Python program passes its connection to a new
#      python3 (subprocess with pass_fds), which knows nothing of it: its
#      shim asks the engine.  getpeername is the original destination,
#      getsockname an IPv4 address, SO_TYPE/SO_DOMAIN/SO_PROTOCOL a TCP
#      socket; echo rounds through moves; then the parent uses it again.
#   4. exec (bash): bash opens /dev/tcp on descriptor 3 and execs python3,
#      which does the same checks and rounds on descriptor 3.
#
# Checks: every echo is exact; each move resumed (migratectl) before the
# data crossing it is read; the engine logged the inherited descriptors
# and closed every session as done; relayd holds no session at the end.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/shim/lib.sh"

shim_init 150
require_cmd bash
start_backend echo echo
EPORT=$(port_of echo)
shim_relay <<EOF
allow 127.0.0.1 port $EPORT
EOF
engine_for_tests
MIGRATE_RELAY=127.0.0.1:$RELAY_PORT
export MIGRATE_RELAY EPORT

# ---- 1. bash /dev/tcp ----------------------------------------------------
MOVES=6
mig timeout -k 5 60 bash -c '
set -eu
exec 3<>/dev/tcp/127.0.0.1/$EPORT
moves_are() {	# the one session has moved $1 times and is attached
	"$MIGRATECTL" --json list | tr -d "\n" |
	    grep -q "\"state\": \"ATTACHED\", .*\"moves\": $1,"
}
i=0
while [ $i -lt '"$MOVES"' ]; do
	i=$((i + 1))
	line="line $i of bash $$ $RANDOM$RANDOM"
	printf "%s\n" "$line" >&3
	"$MIGRATECTL" migrate --all >/dev/null
	n=0
	until moves_are $i; do
		n=$((n + 1))
		[ $n -lt 200 ] || { echo "move $i not seen" >&2; exit 1; }
		sleep 0.05
	done
	IFS= read -r reply <&3
	[ "$reply" = "$line" ] || { echo "got [$reply], sent [$line]" >&2; exit 1; }
	printf "%s\n" "after move $i" >&3
	IFS= read -r reply <&3
	[ "$reply" = "after move $i" ] || { echo "got [$reply]" >&2; exit 1; }
done
echo "bash: $i moves, every line back"
exec 3>&-
' > "$T/bash.out" 2>&1 || { cat "$T/bash.out" >&2; fail "bash /dev/tcp"; }
cat "$T/bash.out"
grep -q "bash: $MOVES moves, every line back" "$T/bash.out" ||
    fail "bash did not finish its rounds"

# ---- 2. fork, the parent exits ----------------------------------------
mig timeout -k 5 60 python3 "$CLIENT" fork-child "$EPORT" "$MOVES" \
    "$T/fork.json" > "$T/fork.out" 2>"$T/fork.err" ||
    { cat "$T/fork.err" >&2; fail "the forking parent failed"; }
wait_for 60 "the forked child's result" test -s "$T/fork.json"
cat "$T/fork.json" "$T/fork.err"
python3 - "$T/fork.json" "$MOVES" "$EPORT" <<'EOF' || fail "fork child result"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["ok"] and r["moves"] >= int(sys.argv[2]), r
assert r["peer"] == "127.0.0.1:%s" % sys.argv[3], r
assert r["parent"] != r["child"], r
EOF
PARENT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["parent"])' \
    "$T/fork.json")
wait_for 10 "the forked child's session to end" \
    grep -q "python3\[$PARENT\]: closed: done" "$SHIM_LOG"

# ---- 3. exec with pass_fds ---------------------------------------------
MIGRATE_LOG_LEVEL=debug mig timeout -k 5 60 python3 "$CLIENT" exec-parent \
    "$EPORT" "$MOVES" > "$T/exec.out" 2>"$T/exec.err" ||
    { cat "$T/exec.out" "$T/exec.err" >&2; fail "exec with pass_fds"; }
cat "$T/exec.out"
python3 - "$T/exec.out" "$MOVES" "$EPORT" <<'EOF' || fail "exec child result"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["ok"] and r["moves"] >= int(sys.argv[2]), r
assert r["peer"] == "127.0.0.1:%s" % sys.argv[3], r
assert r["parent_after"] == "ok", r
EOF
CHILD=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' \
    "$T/exec.out")
grep -q "libmigrate\[$CHILD\]: fdtab_find_fd: descriptor [0-9]* is session [0-9]* (inherited)" \
    "$SHIM_LOG" || fail "the exec'd program's shim did not ask the engine"

# ---- 4. bash execs python3 on descriptor 3 ----------------------------------
MIGRATE_LOG_LEVEL=debug mig timeout -k 5 60 bash -c '
set -eu
exec 3<>/dev/tcp/127.0.0.1/$EPORT
echo "before exec" >&3
IFS= read -r reply <&3
[ "$reply" = "before exec" ]
exec python3 "$0" exec-child 3 "$EPORT" "$1"
' "$CLIENT" "$MOVES" > "$T/bexec.out" 2>"$T/bexec.err" ||
    { cat "$T/bexec.out" "$T/bexec.err" >&2; fail "bash exec python3"; }
cat "$T/bexec.out"
python3 - "$T/bexec.out" "$MOVES" "$EPORT" <<'EOF' || fail "bash exec result"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["ok"] and r["moves"] >= int(sys.argv[2]), r
assert r["peer"] == "127.0.0.1:%s" % sys.argv[3], r
EOF

# ---- the engine's and relayd's view -----------------------------------
wait_for 10 "every session to end" sh -c \
    "[ \"\$(grep -c 'closed: ' '$SHIM_LOG')\" -ge 4 ]"
if grep 'closed: ' "$SHIM_LOG" | grep -v 'closed: done'; then
	fail "a session ended otherwise than done"
fi
expect_eq "sessions closed" "$(grep -c 'closed: done' "$SHIM_LOG")" 4
NRES=$(grep -c ': resumed (move ' "$SHIM_LOG" || :)
expect_ge "resumes in the engine's log" "$NRES" $((4 * MOVES))
wait_for 10 "relayd to hold no session" stat_is sessions 0
expect_eq "relayd sessions_opened" "$(stat_get sessions_opened)" 4
expect_eq "relayd protocol_errors" "$(stat_get protocol_errors)" 0
engine_stop
stop_relayd
shim_finish
