# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
#
# netns.sh - network namespaces for the kernel baseline of bench/run.sh.
#
# Source it from bash, then:
#
#	ptb_netns_veth [SUFFIX]    two namespaces joined by one veth pair:
#	                           $PTB_VETH_A (10.250.0.1/24) <-> $PTB_VETH_B (10.250.0.2/24)
#	ptb_netns_bridge [SUFFIX]  two namespaces, each with a veth into a Linux bridge
#	                           living in a third namespace $PTB_BR:
#	                           $PTB_BR_A (10.250.1.1/24) - br0 - $PTB_BR_B (10.250.1.2/24)
#	ptb_netns_cleanup          delete every namespace created above (idempotent;
#	                           call it from the caller's EXIT trap)
#
# Every name starts with "ptb_" and ends with SUFFIX (default: the shell's
# PID), so concurrent runs do not collide, and ptb_netns_cleanup deletes only
# what this shell created.  Only 10.250.x.y addresses are used, and only
# inside these namespaces.  Static neighbour entries avoid ARP during runs.
#
# Run directly ("bash bench/netns.sh selftest [KUDP]") to build both
# topologies, exchange a few UDP requests/responses across each with kudp
# (default build/bench/kudp) and tear them down.

PTB_NETNS_CREATED=${PTB_NETNS_CREATED:-}

# Addresses of the two endpoints, per topology.
PTB_VETH_IP_A=10.250.0.1
PTB_VETH_IP_B=10.250.0.2
PTB_BR_IP_A=10.250.1.1
PTB_BR_IP_B=10.250.1.2
PTB_MAC_A=02:50:00:00:00:01
PTB_MAC_B=02:50:00:00:00:02

ptb__add_ns() {
	ip netns add "$1" || return 1
	PTB_NETNS_CREATED="$PTB_NETNS_CREATED $1"
	ip -n "$1" link set lo up || return 1
	# No IPv6: no router solicitations or DAD packets during measurements.
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1 || true
}

# ptb__endpoint NS IFACE MAC IP PEER_IP PEER_MAC
ptb__endpoint() {
	ip -n "$1" link set "$2" address "$3" || return 1
	ip -n "$1" addr add "$4/24" dev "$2" || return 1
	ip -n "$1" link set "$2" up || return 1
	ip -n "$1" neigh replace "$5" lladdr "$6" dev "$2" nud permanent || return 1
}

# shellcheck disable=SC2120
ptb_netns_veth() {
	local sfx=${1:-$$}
	PTB_VETH_A=ptb_a_$sfx
	PTB_VETH_B=ptb_b_$sfx
	ptb__add_ns "$PTB_VETH_A" || return 1
	ptb__add_ns "$PTB_VETH_B" || return 1
	ip -n "$PTB_VETH_A" link add eth0 type veth peer name eth0 netns "$PTB_VETH_B" || return 1
	ptb__endpoint "$PTB_VETH_A" eth0 $PTB_MAC_A $PTB_VETH_IP_A $PTB_VETH_IP_B $PTB_MAC_B || return 1
	ptb__endpoint "$PTB_VETH_B" eth0 $PTB_MAC_B $PTB_VETH_IP_B $PTB_VETH_IP_A $PTB_MAC_A || return 1
}

# shellcheck disable=SC2120
ptb_netns_bridge() {
	local sfx=${1:-$$} side ns
	PTB_BR=ptb_br_$sfx
	PTB_BR_A=ptb_ba_$sfx
	PTB_BR_B=ptb_bb_$sfx
	ptb__add_ns "$PTB_BR" || return 1
	ptb__add_ns "$PTB_BR_A" || return 1
	ptb__add_ns "$PTB_BR_B" || return 1
	# STP off and no forward delay: ports forward as soon as they are up.
	ip -n "$PTB_BR" link add br0 type bridge stp_state 0 forward_delay 0 || return 1
	ip -n "$PTB_BR" link set br0 up || return 1
	for side in a b; do
		if [ $side = a ]; then ns=$PTB_BR_A; else ns=$PTB_BR_B; fi
		ip -n "$PTB_BR" link add "p$side" type veth peer name eth0 netns "$ns" || return 1
		ip -n "$PTB_BR" link set "p$side" master br0 || return 1
		ip -n "$PTB_BR" link set "p$side" up || return 1
	done
	ptb__endpoint "$PTB_BR_A" eth0 $PTB_MAC_A $PTB_BR_IP_A $PTB_BR_IP_B $PTB_MAC_B || return 1
	ptb__endpoint "$PTB_BR_B" eth0 $PTB_MAC_B $PTB_BR_IP_B $PTB_BR_IP_A $PTB_MAC_A || return 1
}

ptb_netns_cleanup() {
	local ns
	for ns in $PTB_NETNS_CREATED; do
		# Deleting a namespace takes its veth ends (and their peers) with it.
		ip netns del "$ns" 2>/dev/null || true
	done
	PTB_NETNS_CREATED=
}

# ptb__selftest_path KUDP NS_CLIENT NS_SERVER SERVER_IP
ptb__selftest_path() {
	local pid rc
	ip netns exec "$3" timeout 10 "$1" pong --bind "$4:9999" -d 5 >/dev/null &
	pid=$!
	sleep 0.3
	ip netns exec "$2" timeout 10 "$1" ping --to "$4:9999" -n 5 -w 1 >/dev/null
	rc=$?
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return $rc
}

# Direct execution: a self-test of both topologies.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	if [ "${1:-}" != selftest ]; then
		echo "usage: bash $0 selftest [KUDP]   (or source it; see the header)" >&2
		exit 2
	fi
	kudp=${2:-$(dirname "$0")/../build/bench/kudp}
	if [ "$(id -u)" -ne 0 ]; then
		echo "netns.sh: needs root" >&2
		exit 77
	fi
	if [ ! -x "$kudp" ]; then
		echo "netns.sh: no kudp binary at $kudp" >&2
		exit 77
	fi
	trap ptb_netns_cleanup EXIT
	trap 'exit 130' INT TERM
	rc=0
	ptb_netns_veth || { echo "veth setup failed" >&2; exit 1; }
	ptb_netns_bridge || { echo "bridge setup failed" >&2; exit 1; }
	if ptb__selftest_path "$kudp" "$PTB_VETH_A" "$PTB_VETH_B" $PTB_VETH_IP_B; then
		echo "veth:   $PTB_VETH_A $PTB_VETH_IP_A -> $PTB_VETH_B $PTB_VETH_IP_B ok"
	else
		echo "veth:   UDP ping-pong failed"; rc=1
	fi
	if ptb__selftest_path "$kudp" "$PTB_BR_A" "$PTB_BR_B" $PTB_BR_IP_B; then
		echo "bridge: $PTB_BR_A $PTB_BR_IP_A -> $PTB_BR (br0) -> $PTB_BR_B $PTB_BR_IP_B ok"
	else
		echo "bridge: UDP ping-pong failed"; rc=1
	fi
	exit $rc
fi
