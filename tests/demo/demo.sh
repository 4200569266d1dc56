#!/bin/sh
# demo.sh: a live TCP connection moved while it transfers, shown working.
#
#   tests/demo/demo.sh [BUILDDIR]
#
# relayd and a web server run on a "fixed" host; curl, under migrate,
# downloads a file from it through relayd.  As root, the hosts are network
# namespaces and the mobile host really changes address several times
# (nobody tells migrate: the engine sees the change and moves the
# session).  Otherwise everything runs on loopback and the moves are
# forced with migratectl.  At the end the file is checked against the
# original, byte for byte.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src}" && pwd)
relayd=$build/relayd/relayd
lib=$build/shim/.libs/libmigrate.so
engine=$build/shim/engine/migrate-engine
migrate=$build/shim/tools/migrate
ctl=$build/shim/tools/migratectl
size_mb=${DEMO_MB:-48}
moves=${DEMO_MOVES:-6}

for f in "$relayd" "$lib" "$engine" "$migrate" "$ctl"; do
	[ -x "$f" ] || [ -f "$f" ] || { echo "demo: $f is missing: build first (make)" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "demo: curl is needed" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/migrate-demo.XXXXXX")
pids=""
. "$src/tests/netns/topo.sh"
mode=loopback
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	[ "$mode" = netns ] && topo_down
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if topo_check 2>/dev/null; then
	mode=netns
	topo_up
	# The access links are slow enough for the download to take a while.
	for l in ra rb; do
		in_router tc qdisc add dev "${TOPO_ID}$l" root tbf rate 40mbit \
		    burst 64kb latency 100ms
	done
	fixed="ip netns exec $TOPO_F"
	mobile="ip netns exec $TOPO_M"
	host=203.0.113.10
	curl_rate=""
else
	fixed=""
	mobile=""
	host=127.0.0.1
	curl_rate="--limit-rate 8M"
fi
free_port() {
	$fixed python3 -c 'import socket; s=socket.socket(); s.bind(("'"$host"'", 0)); print(s.getsockname()[1])'
}
relay_port=$(free_port)
web_port=$(free_port)

echo "== migrate demo ($mode) =="
head -c $((size_mb * 1024 * 1024)) /dev/urandom > "$tmp/data.bin"
want=$(sha256sum < "$tmp/data.bin" | cut -d' ' -f1)
cat > "$tmp/relayd.conf" <<CONF
listen $host:$relay_port
allow $host port $web_port
linger 2m
control $tmp/relayd.sock
CONF
$fixed "$relayd" -d -f "$tmp/relayd.conf" 2> "$tmp/relayd.log" &
pids="$pids $!"
(cd "$tmp" && exec $fixed python3 -m http.server --bind "$host" "$web_port") \
    > "$tmp/web.log" 2>&1 &
pids="$pids $!"
i=0
until $fixed python3 -c "import socket; socket.create_connection(('$host', $web_port), 1); socket.create_connection(('$host', $relay_port), 1)" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 50 ] || { echo "demo: servers did not start" >&2; exit 1; }
	sleep 0.1
done
echo "relayd on $host:$relay_port, a web server on $host:$web_port serving ${size_mb} MB"
if [ "$mode" = netns ]; then
	echo "the mobile host is on network a (192.0.2.2), routing through 192.0.2.1"
fi

export MIGRATE_ENGINE="$engine" MIGRATE_LIB="$lib" MIGRATE_LOG="$tmp/migrate.log"
echo "curl, under migrate, downloads http://$host:$web_port/data.bin through relayd"
# shellcheck disable=SC2086
$mobile "$migrate" -r "$host:$relay_port" -l "$tmp/migrate.log" \
    curl -s $curl_rate -o "$tmp/got.bin" "http://$host:$web_port/data.bin" &
curl_pid=$!
pids="$pids $curl_pid"

sleep 1.5
n=0
net=a
while [ $n -lt "$moves" ] && kill -0 "$curl_pid" 2>/dev/null; do
	n=$((n + 1))
	if [ "$mode" = netns ]; then
		if [ "$net" = a ]; then net=b; else net=a; fi
		if [ $((n % 2)) -eq 1 ]; then
			topo_move "$net"
			kind="break-before-make"
		else
			topo_move_mbb "$net"
			kind="make-before-break"
		fi
		addr=$(ip -n "$TOPO_M" -4 -o addr show scope global | awk '{print $4}')
		echo "move $n: the mobile host is now $addr on network $net ($kind)"
	else
		$mobile "$ctl" migrate --all > /dev/null
		echo "move $n: migratectl migrate --all"
	fi
	sleep 1.2
done
if ! wait "$curl_pid"; then
	echo "demo: curl failed" >&2
	tail -20 "$tmp/migrate.log" >&2
	exit 1
fi
got=$(sha256sum < "$tmp/got.bin" | cut -d' ' -f1)
bytes=$(wc -c < "$tmp/got.bin")
resumes=$(grep -c ": resumed (move" "$tmp/migrate.log" || true)
handoffs=$(grep -c "resumed" "$tmp/relayd.log" || true)
echo
echo "curl finished: $bytes bytes, sha256 $got"
echo "               the original's sha256 $want"
echo "moves made: $n; the session resumed $resumes times (relayd logged $handoffs resumes)"
sed -n 's/.*resumed (move \([0-9]*\), \([0-9.]*\) ms.*/  move \1: resumed \2 ms after it began/p' "$tmp/migrate.log"
if [ "$got" = "$want" ] && [ "$resumes" -ge 1 ]; then
	echo "OK: the connection survived every move and every byte arrived intact"
	exit 0
fi
echo "FAILED" >&2
exit 1
