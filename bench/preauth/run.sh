#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Pre-authentication cost benchmark: build (release, no sanitizers) and
# print the CPU time per unauthenticated request for the costliest
# bodies beside a small Identify.  Figures, not a test.
#
# Usage: bench/preauth/run.sh [-n ITERATIONS]
# Environment: VAMT_BENCH_BUILD (default build/bench)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${VAMT_BENCH_BUILD:-$repo/build/bench}
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$repo" -Db_sanitize=none -Dbuildtype=release
fi
ninja -C "$build" bench/preauth-bench >/dev/null
"$build/bench/preauth-bench" "$@"
