# topo.sh: a mobile host with two access networks, a router, and a fixed
# host, in network namespaces made for one run.  Sourced by the demo and
# the mobility tests; every name carries a per-run prefix, and topo_down
# removes everything (call it from a trap).
#
#   mobile (M) --veth a: 192.0.2.0/24 ----\
#                                          router (R) -- 203.0.113.0/24 -- fixed (F)
#   mobile (M) --veth b: 198.51.100.0/24 --/
#
# Addresses: M 192.0.2.2 on a, 198.51.100.2 on b; R .1 on each; F 203.0.113.10.
# IPv6 (topo_up 6): 2001:db8:a::/64, 2001:db8:b::/64, 2001:db8:f::/64 likewise.
#
# Functions: topo_up, topo_down, topo_move NET (break-before-make to a|b),
# topo_move_mbb NET (make-before-break), topo_offline, in_mobile/in_fixed/
# in_router CMD...

TOPO_ID=${TOPO_ID:-mg$$}
TOPO_M=${TOPO_ID}m
TOPO_R=${TOPO_ID}r
TOPO_F=${TOPO_ID}f
TOPO_NET=none
TOPO_V6=0

in_mobile() { ip netns exec "$TOPO_M" "$@"; }
in_router() { ip netns exec "$TOPO_R" "$@"; }
in_fixed() { ip netns exec "$TOPO_F" "$@"; }

topo_check() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "topo: network namespaces need root" >&2
		return 1
	fi
	if ! ip netns add "${TOPO_ID}probe" 2>/dev/null; then
		echo "topo: cannot create network namespaces here" >&2
		return 1
	fi
	ip netns del "${TOPO_ID}probe"
}

topo_up() {
	TOPO_V6=0
	[ "${1:-}" = 6 ] && TOPO_V6=1
	topo_check || return 1
	for ns in "$TOPO_M" "$TOPO_R" "$TOPO_F"; do
		ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
	done
	ip link add "${TOPO_ID}ma" netns "$TOPO_M" type veth peer name "${TOPO_ID}ra" netns "$TOPO_R" || return 1
	ip link add "${TOPO_ID}mb" netns "$TOPO_M" type veth peer name "${TOPO_ID}rb" netns "$TOPO_R" || return 1
	ip link add "${TOPO_ID}rf" netns "$TOPO_R" type veth peer name "${TOPO_ID}fr" netns "$TOPO_F" || return 1
	ip -n "$TOPO_R" addr add 192.0.2.1/24 dev "${TOPO_ID}ra"
	ip -n "$TOPO_R" addr add 198.51.100.1/24 dev "${TOPO_ID}rb"
	ip -n "$TOPO_R" addr add 203.0.113.1/24 dev "${TOPO_ID}rf"
	ip -n "$TOPO_F" addr add 203.0.113.10/24 dev "${TOPO_ID}fr"
	for l in ra rb rf; do ip -n "$TOPO_R" link set "${TOPO_ID}$l" up; done
	for l in ma mb; do ip -n "$TOPO_M" link set "${TOPO_ID}$l" up; done
	ip -n "$TOPO_F" link set "${TOPO_ID}fr" up
	ip -n "$TOPO_F" route add default via 203.0.113.1
	in_router sysctl -qw net.ipv4.ip_forward=1
	if [ "$TOPO_V6" = 1 ]; then
		for ns in "$TOPO_M" "$TOPO_R" "$TOPO_F"; do
			in_router true
			ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0
			ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
		done
		in_router sysctl -qw net.ipv6.conf.all.forwarding=1
		ip -n "$TOPO_R" addr add 2001:db8:a::1/64 dev "${TOPO_ID}ra" nodad
		ip -n "$TOPO_R" addr add 2001:db8:b::1/64 dev "${TOPO_ID}rb" nodad
		ip -n "$TOPO_R" addr add 2001:db8:f::1/64 dev "${TOPO_ID}rf" nodad
		ip -n "$TOPO_F" addr add 2001:db8:f::10/64 dev "${TOPO_ID}fr" nodad
		ip -n "$TOPO_F" -6 route add default via 2001:db8:f::1
	fi
	topo_attach a
}

# Give the mobile host its address on network NET and route through it.
topo_attach() {
	case $1 in
	a) ip -n "$TOPO_M" addr add 192.0.2.2/24 dev "${TOPO_ID}ma"
	   ip -n "$TOPO_M" route replace default via 192.0.2.1 dev "${TOPO_ID}ma"
	   if [ "$TOPO_V6" = 1 ]; then
		ip -n "$TOPO_M" addr add 2001:db8:a::2/64 dev "${TOPO_ID}ma" nodad
		ip -n "$TOPO_M" -6 route replace default via 2001:db8:a::1 dev "${TOPO_ID}ma"
	   fi ;;
	b) ip -n "$TOPO_M" addr add 198.51.100.2/24 dev "${TOPO_ID}mb"
	   ip -n "$TOPO_M" route replace default via 198.51.100.1 dev "${TOPO_ID}mb"
	   if [ "$TOPO_V6" = 1 ]; then
		ip -n "$TOPO_M" addr add 2001:db8:b::2/64 dev "${TOPO_ID}mb" nodad
		ip -n "$TOPO_M" -6 route replace default via 2001:db8:b::1 dev "${TOPO_ID}mb"
	   fi ;;
	esac
	TOPO_NET=$1
}

# Take the mobile host's address off network NET.
topo_detach() {
	case $1 in
	a) ip -n "$TOPO_M" addr flush dev "${TOPO_ID}ma" scope global ;;
	b) ip -n "$TOPO_M" addr flush dev "${TOPO_ID}mb" scope global ;;
	esac
	[ "$TOPO_NET" = "$1" ] && TOPO_NET=none
	return 0
}

# Break-before-make: the old address goes, then the new one comes.
topo_move() {
	old=$TOPO_NET
	[ "$old" != none ] && topo_detach "$old"
	topo_attach "$1"
}

# Make-before-break: the new address and route first, the old one after.
topo_move_mbb() {
	old=$TOPO_NET
	topo_attach "$1"
	[ "$old" != none ] && [ "$old" != "$1" ] && topo_detach "$old"
	return 0
}

# No network at all.
topo_offline() {
	topo_detach a
	topo_detach b
}

topo_down() {
	for ns in "$TOPO_M" "$TOPO_R" "$TOPO_F"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
	done
	for ns in "$TOPO_M" "$TOPO_R" "$TOPO_F"; do
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}
