# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared by the shell tests: source it for TAP output and, for tests that
# start a VM, a scratch directory that goes away with the VM.
#
#   check DESCRIPTION COMMAND...   run COMMAND, print "ok N" / "not ok N"
#   tap_plan                       print "1..N"; status 1 if a check failed
#   free_port                      a TCP port on 127.0.0.1 nobody holds now
#   scratch_vm PREFIX              $work: a fresh directory; at exit, kill
#                                  $vm_pid (if set) and remove $work

testno=0
tap_failures=0

check() {
    local desc=$1
    shift
    testno=$((testno + 1))
    if "$@"; then
        echo "ok $testno - $desc"
    else
        echo "not ok $testno - $desc"
        tap_failures=$((tap_failures + 1))
    fi
}

tap_plan() {
    echo "1..$testno"
    [ "$tap_failures" = 0 ]
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])'
}

scratch_vm_cleanup() {
    if [ -n "${vm_pid:-}" ]; then
        kill "$vm_pid" 2>/dev/null
        wait "$vm_pid" 2>/dev/null
    fi
    rm -rf "$work"
}

scratch_vm() {
    work=$(mktemp -d "/tmp/$1.XXXXXX")
    vm_pid=
    trap scratch_vm_cleanup EXIT
}
