#!/bin/sh
# errors.sh: every way opening a session can fail reaches the client as
# the right error code, before the session is established.
#
# On loopback:
#   - a destination no allow rule names          -> 3 destination not allowed
#   - a closed port on 127.0.0.1 (allowed)        -> 4 backend refused
# In a network namespace made here (only lo up, `unreachable
# 198.51.100.0/24`, no other route), relayd and mclient both inside it:
#   - 198.51.100.7 (unreachable route)            -> 5 backend host unreachable
#   - 192.0.2.7 (no route at all)                 -> 6 backend network unreachable
#   - 203.0.113.7, once `203.0.113.0/24 dev lo` is routed (added after the
#     two cases above): the SYN loops back through lo to a namespace that
#     does not forward and is dropped without an answer, and with
#     `connect-timeout 1s`                       -> 7 backend timed out,
#     after about a second
# relayd counts the refusals, keeps no session, stays up, exits 0.
# shellcheck disable=SC2046,SC2119
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/relayd/lib.sh"

t_init 120
require_root
require_cmd ip

# ---- loopback: denied and refused ------------------------------------
start_backend echo echo
EPORT=$(port_of echo)
set -- $(free_ports 3)
LPORT=$1
CLOSED=$2	# nothing listens there: bound and released by free_ports
DENIED=$3
relayd_conf "$T/relayd.conf" <<EOF
listen 127.0.0.1:$LPORT
allow 127.0.0.1 port $EPORT
allow 127.0.0.1 port $CLOSED
EOF
start_relayd "$T/relayd.conf"

# a sanity check that the relay works at all
run_mclient "$T/ok.out" 30 -r "127.0.0.1:$LPORT" -d "127.0.0.1:$EPORT" \
    -n 64k echo
mc_check_all "$T/ok.out" 1

expect_error() {	# name out relay dest code [prefix]
	MCLIENT_PREFIX=${6:-} run_mclient "$T/$2" 30 -r "$3" -d "$4" -e "$5" \
	    -T 20 error
	cat "$T/$2"
	[ "$MC_RC" -eq 0 ] || fail "$1: mclient exited with $MC_RC"
	mc_check_all "$T/$2" 1
	expect_eq "$1: code" "$(mc_get "$T/$2" 0 code)" "$5"
	expect_eq "$1: sent by relayd" "$(mc_get "$T/$2" 0 remote)" 1
}

expect_error "denied port" denied.out "127.0.0.1:$LPORT" \
    "127.0.0.1:$DENIED" 3
expect_error "denied address" denied2.out "127.0.0.1:$LPORT" \
    "127.0.0.2:$EPORT" 3
expect_error "refused" refused.out "127.0.0.1:$LPORT" "127.0.0.1:$CLOSED" 4
expect_eq "denied counter" "$(stat_get denied)" 2
expect_eq "handshakes_refused" "$(stat_get handshakes_refused)" 3
log_has "destination 127.0.0.1 port $DENIED not allowed" ||
    fail "relayd did not log the denied destination"
log_has 'backend connect: Connection refused' ||
    fail "relayd did not log the refused backend"
wait_for 5 "no session left" stat_is sessions 0
stop_relayd

# ---- in a namespace: unreachable, no route, timeout --------------------
NS=migrate-err-$$
netns_add "$NS"
ip netns exec "$NS" ip route add unreachable 198.51.100.0/24 ||
    fail "cannot add the unreachable route in $NS"
ip netns exec "$NS" ip -4 route show table main > "$T/routes.out"
expect_eq "routes in $NS" "$(cat "$T/routes.out")" "unreachable 198.51.100.0/24 "
RELAYD_LOG=$T/relayd-ns.log
relayd_conf "$T/relayd-ns.conf" <<EOF
listen 127.0.0.1:$LPORT
allow 198.51.100.0/24 port any
allow 192.0.2.0/24 port any
allow 203.0.113.0/24 port 80
connect-timeout 1s
EOF
start_relayd "$T/relayd-ns.conf" ip netns exec "$NS"

expect_error "host unreachable" unreach.out "127.0.0.1:$LPORT" \
    198.51.100.7:80 5 "ip netns exec $NS"
expect_error "network unreachable" nonet.out "127.0.0.1:$LPORT" \
    192.0.2.7:80 6 "ip netns exec $NS"

# A black hole for 203.0.113.0/24 with nothing but lo: route it to lo; the
# SYN comes back in on lo for an address that is not local, and a
# namespace that does not forward drops it without a word (no ICMP).
ip netns exec "$NS" sh -e -c '
    echo 0 > /proc/sys/net/ipv4/ip_forward
    ip route add 203.0.113.0/24 dev lo' ||
    fail "cannot route 203.0.113.0/24 to lo in $NS"
t0=$(date +%s%N)
expect_error "backend timeout" timeout.out "127.0.0.1:$LPORT" \
    203.0.113.7:80 7 "ip netns exec $NS"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
say "backend timeout reported after $ms ms (connect-timeout 1s)"
expect_ge "time to the timeout error (ms)" "$ms" 900
expect_le "time to the timeout error (ms)" "$ms" 6000
log_has 'closed: backend: backend connection timed out' ||
    fail "relayd did not log the connect timeout"
expect_eq "handshakes_refused in $NS" "$(stat_get handshakes_refused)" 3
expect_eq "sessions left in the namespace relayd" "$(stat_get sessions)" 0
expect_eq "protocol errors" "$(stat_get protocol_errors)" 0
relayd_alive || fail "relayd (in $NS) died"
stop_relayd
