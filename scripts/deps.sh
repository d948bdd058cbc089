#!/usr/bin/env bash
# deps.sh - install what ptnet needs to build, test and benchmark (Debian 12).
# Only packages that are missing are installed; run as root (or with sudo).
set -euo pipefail

PKGS=(gcc make libc6-dev libmnl-dev libpcap-dev libinih-dev libsystemd-dev pkgconf bash-completion
	tcpdump tshark python3 iproute2 procps psmisc iperf3 iputils-ping)
PKGS+=(curl tmux prometheus)	# integ/88-metrics (curl, promtool), integ/89-top (tmux)
PKGS+=(gnuplot-nox)	# bench/plot.py: the benchmark tables as pictures
PKGS+=(sockperf)	# bench/tcp.sh: the TCP request/response rate
# bench/run.sh --memif: the pipes' peer, DPDK memif zero-copy (only when asked for)
[ "${PTNET_DEPS_MEMIF:-}" ] && PKGS+=(dpdk dpdk-dev librte-net-memif23)
# the vhost-user reference (dpdk-testpmd net_vhost): bench/vm/run.sh, VHOST_BACKEND=dpdk tests/vm/vhost.sh
[ "${PTNET_DEPS_PEERS:-}" ] && PKGS+=(dpdk dpdk-dev librte-net-vhost23)
[ "${PTNET_DEPS_EXTRA:-}" ] && read -r -a extra <<<"$PTNET_DEPS_EXTRA" && PKGS+=("${extra[@]}")

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
