#!/usr/bin/env bash
# test.sh - install dependencies, build (release, ASan+UBSan, TSan) and run
# the whole test suite.  Ends with "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
make -s -j"$jobs" WERROR=1
make -s -j"$jobs" WERROR=1 SANITIZE=address
make -s -j"$jobs" WERROR=1 SANITIZE=thread
exec env BUILD=build ASAN=build-asan TSAN=build-tsan tests/runtests.sh "$@"
