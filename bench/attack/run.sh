#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# QMP latency while attackers hammer the ME, beside QMP latency with no
# attacker (bench/attack/qmp-latency.py).  Figures, not a test.
#
# Usage: bench/attack/run.sh [ATTACKERS [SAMPLES]]
set -euo pipefail
. "$(dirname "$0")/../../scripts/vamt/common.sh"

"$VAMT_REPO/scripts/vamt/build.sh" > /dev/null
python3 "$VAMT_REPO/bench/attack/qmp-latency.py" "$QEMU_BIN" "$@"
