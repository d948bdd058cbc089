#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ptnet-run - run an unmodified netmap program on ptnet: /dev/netmap is
# served by libptnet-netmap.so (LD_PRELOAD) over ptnetd.  See ptnet-run(1).
usage() {
	echo "usage: ptnet-run [-s SOCKET] [-d] [--] COMMAND [ARGS...]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	-s) [ $# -ge 2 ] || usage; PTNET_SOCKET=$2; export PTNET_SOCKET; shift 2 ;;
	-d) PTNET_DEBUG=1; export PTNET_DEBUG; shift ;;
	-h|--help) usage ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || usage
lib=${PTNET_NETMAP_LIB:-}
if [ -z "$lib" ]; then
	here=$(dirname "$0")
	for c in "$here/../lib/libptnet-netmap.so" "@LIBDIR@/libptnet-netmap.so"; do
		if [ -f "$c" ]; then lib=$c; break; fi
	done
fi
if [ -z "$lib" ] || [ ! -f "$lib" ]; then
	echo "ptnet-run: libptnet-netmap.so not found (set PTNET_NETMAP_LIB)" >&2
	exit 127
fi
case $lib in /*) ;; *) lib=$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib") ;; esac
LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
export LD_PRELOAD
exec "$@"
