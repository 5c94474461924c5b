// SPDX-License-Identifier: GPL-2.0-or-later
//
// IDE-R with Digest authentication (auth type 4) against vAMT's
// redirection port, driven by MeshCentral 1.1.55's own modules, loaded
// unmodified from the pinned npm package: amt/amt-ider-module.js (the
// IDE-R client MeshCentral's server runs) on meshcmd's
// agents/modules_meshcmd/amt-redir-duk.js (the transport).  The pair
// needs no shim beyond the transport's two (meshcmd-shims.js):
// amt-ider-module.js requires its own fs and opens the image itself
// (diskSetup), where meshcmd's agents/modules_meshcmd/amt-ider.js reads
// through a global fs node does not have and wants a hand-made
// { file: fd, size } - one more shim for the same code.  Its server-side
// transport, amt/amt-redir-mesh.js, would need MeshCentral's web server,
// domain and user objects; amt-redir-duk.js needs only a socket.
//
// Two VMs (run-meshcentral-ider.sh starts them): VM 1 runs Linux with the
// guest's IDE-R watcher (vamt.ider=watch), VM 2 only firmware.  The module
// serves an ISO (make-ider-iso.sh) to VM 1 with start mode "now"; the
// guest reads the ISO's hello.txt through the module's answers; the
// session stays up 16 s, past the ME's first heartbeat; then, while it is
// still open, a second module session with start mode "on reboot"
// (MeshCommander's default) on VM 2, AMT_BootSettingData UseIDER and a
// WS-Man reset (ider-wsman.sh) make SeaBIOS boot the ISO's boot sector;
// finally the module ends the first session (it closes its socket) and
// VM 1's guest sees the medium go.
//
// The environment: VAMT_REDIR_PORT, VAMT_SERIAL (VM 1), VAMT_REDIR_PORT2,
// VAMT_WSMAN_PORT2, VAMT_SERIAL2 (VM 2), VAMT_PASSWORD (the ME's),
// VAMT_CONSOLE_PASSWORD (what the module logs in with), VAMT_ISO,
// VAMT_WORD (hello.txt says "hello WORD"), VAMT_NODE_MODULES, VAMT_REPO;
// VAMT_REDIR_TRACE=1 adds every console's messages as TAP comments.
// Prints TAP; exits non-zero when a check fails.
'use strict';

const { execFile } = require('child_process');
const fs = require('fs');
const path = require('path');
const H = require('../clients/harness.js');
// first: the shims must be in place before the modules load
const { meshcentral, hex, tapWire } = require('./meshcmd-shims.js');

const host = '127.0.0.1';
const user = 'admin';
const password = H.env('VAMT_PASSWORD');
const consolePassword = H.env('VAMT_CONSOLE_PASSWORD');
const vm1 = { port: Number(H.env('VAMT_REDIR_PORT')), serial: H.env('VAMT_SERIAL') };
const vm2 = {
    port: Number(H.env('VAMT_REDIR_PORT2')),
    wsman: Number(H.env('VAMT_WSMAN_PORT2')),
    serial: H.env('VAMT_SERIAL2'),
};
const iso = H.env('VAMT_ISO');
const word = H.env('VAMT_WORD');
const nodeModules = H.env('VAMT_NODE_MODULES');
const repo = H.env('VAMT_REPO');
const tap = new H.Tap();

const CreateAmtRedirect = meshcentral(nodeModules, 'agents/modules_meshcmd/amt-redir-duk.js');
const { CreateAmtRemoteIder } = meshcentral(nodeModules, 'amt/amt-ider-module.js');

// ---- the console ------------------------------------------------------------

// The messages the ME sends, with their lengths: the login's (spec §1.1)
// and the IDE-R session's (§3), as amt-ider-module.js splits them
function deviceMessages(buf) {
    const msgs = [];
    let off = 0;
    while (off < buf.length) {
        const b = buf.subarray(off);
        let len = 0;
        switch (b[0]) {
        case 0x11: len = b.length >= 13 ? 13 + b[12] : 0; break;
        case 0x14: len = b.length >= 9 ? 9 + b.readUInt32LE(5) : 0; break;
        case 0x41: len = b.length >= 30 ? 30 + b[29] : 0; break;
        case 0x43: case 0x44: case 0x45: case 0x4b: len = 8; break;
        case 0x46: len = 9; break;
        case 0x49: len = 13; break;
        case 0x4a: len = 11; break;
        case 0x50: len = 28; break;
        case 0x53: len = b.length >= 14 ? 14 + b.readUInt16LE(9) : 0; break;
        default:
            msgs.push({ unknown: true, bytes: Buffer.from(b) });
            return msgs;
        }
        if (!len || len > b.length) break;      // incomplete at the end
        msgs.push({ bytes: Buffer.from(b.subarray(0, len)) });
        off += len;
    }
    return msgs;
}

const consoles = [];
const START_MODE = { onReboot: 0, graceful: 1, now: 2 };

// One IDE-R console as MeshCentral runs it: CreateAmtRedirect over
// CreateAmtRemoteIder, diskSetup(null, ISO), iderStart, then
// Start(host, port, user, pass, tls=false).  We only watch: the state
// callback and (tapWire) the bytes on the wire.
class IderConsole {
    constructor(name, port, pass, iderStart) {
        this.name = name;
        this.states = [];
        this.t0 = Date.now();
        this.ider = CreateAmtRemoteIder();
        this.setup = this.ider.diskSetup(null, iso);
        this.ider.iderStart = iderStart;
        this.redir = CreateAmtRedirect(this.ider);
        this.redir.onStateChanged = (r, state) => {
            this.states.push(state);
            if (state === 3 && !this.up) this.up = Date.now();
            if (state === 0 && !this.down) this.down = Date.now();
        };
        this.wire = tapWire(this.redir);
        this.redir.Start(host, port, user, pass, false);
        consoles.push(this);
    }

    get state() { return this.redir.State; }
    get ended() { return this.states.includes(0); }
    fromDevice() { return deviceMessages(this.wire.received); }
    // the IDE-R session's messages from the ME (after the login)
    session() { return this.fromDevice().filter((m) => m.bytes[0] >= 0x40); }
    sessionOf(cmd) { return this.session().filter((m) => m.bytes[0] === cmd); }
    sentOf(cmd) { return this.wire.sent.filter((m) => m[0] === cmd); }
    reads() { return this.sessionOf(0x50).filter((m) => m.bytes[16] === 0x28); }
    // the ME's sequence numbers must be 0, 1, 2, ... or the module leaves
    badSeq() {
        return this.session().map((m, i) => ({ i, seq: m.bytes.readUInt32LE(4), m }))
            .filter((x) => x.seq !== x.i);
    }
    stop() { this.redir.Stop(); }

    transcript() {
        const brief = (b) => (b.length > 48 ? `${hex(b.subarray(0, 48))} ... (${b.length} bytes)` : hex(b));
        return [`${this.name}: sent:`, ...this.wire.sent.map((m) => '  C ' + brief(m)),
                'received:', ...this.fromDevice().map((m) => '  D ' + brief(m.bytes)),
                `states: ${this.states.join(' ')}`];
    }

    // only the last lines of a long session, for a failure's diagnostics
    tail(n = 24) {
        const t = this.transcript();
        return t.length > n ? [`... (${t.length - n} lines before)`, ...t.slice(-n)] : t;
    }
}

function serialHas(file, re) {
    try {
        return re.test(fs.readFileSync(file, 'latin1').replace(/\r/g, ''));
    } catch (e) {
        return false;
    }
}

// Put UseIDER and reset VM 2 through WS-Man (tests/redir/ider-wsman.sh)
function bootFromIder() {
    const script = `. "${repo}/tests/lib.sh"; . "${repo}/tests/redir/ider-wsman.sh"
                    echo "use=$(ider_put_use_ider)"; echo "power=$(ider_power 10)"`;
    return new Promise((resolve) => {
        execFile('bash', ['-c', script], {
            timeout: 30000,
            env: { ...process.env, port: String(vm2.wsman), password },
        }, (err, stdout) => resolve(String(stdout || '') + (err ? `error: ${err.message}` : '')));
    });
}

// ---- the scenario -----------------------------------------------------------

async function sessionStarts(c, mode) {
    await H.waitFor(() => c.ended || c.sessionOf(0x49).length, 10000, 100);
    const open = c.sessionOf(0x41)[0];
    const toggle = c.sentOf(0x48)[0];
    const reply = c.sessionOf(0x49)[0];
    tap.ok(c.setup === 0 && c.state === 3 && !c.ended && open && c.badSeq().length === 0 &&
           c.sentOf(0x13).filter((m) => m[4] === 4).length === 2 &&
           c.fromDevice().some((m) => m.bytes.equals(Buffer.from('140000000400000000', 'hex'))) &&
           toggle && toggle[8] === 3 && toggle.readUInt32LE(9) === mode &&
           reply && reply.bytes[8] === 3 && reply.bytes.readUInt32LE(9) === 1,
           `${c.name}: the module logs in with Digest (type 4), its session starts ` +
           `(0x40 -> 0x41 seq 0, 0x48 03 ${hex(Buffer.from([mode]))} -> 0x49 03 01), ` +
           'the ME\'s sequence numbers pass its strict check',
           `diskSetup: ${c.setup}`, `bad seq: ${JSON.stringify(c.badSeq().map((x) => [x.i, x.seq]))}`,
           ...c.transcript());
    return c.state === 3 && !c.ended;
}

async function main() {
    // 1. VM 1, start mode now: the guest sees the medium and reads it
    const one = new IderConsole('VM 1', vm1.port, consolePassword, START_MODE.now);
    if (!await sessionStarts(one, 0x19)) return;
    const medium = await H.waitFor(() => serialHas(vm1.serial, /^VAMT-GUEST: IDER-MEDIUM \/dev\/sr\d+ CD001$/m),
                                   30000, 200);
    tap.ok(medium && one.reads().length > 0 && one.sentOf(0x54).length > 0,
           `VM 1: the guest sees the medium (IDER-MEDIUM /dev/srN CD001) through the module's answers ` +
           `(${one.reads().length} READ(10)s, ${one.sentOf(0x54).length} DataToHost)`, ...one.tail());
    const file = await H.waitFor(() => serialHas(vm1.serial, new RegExp(`^VAMT-GUEST: IDER-FILE hello ${word}$`, 'm')),
                                 15000, 200);
    tap.ok(file, `VM 1: the guest mounts the ISO and reads hello.txt ("hello ${word}")`, ...one.tail());

    // 2. the session stays open past the ME's first heartbeat (the module
    // asks for 20 s, the ME sends them every 15 s at most; the module
    // sends no keep-alives of its own, and checks the heartbeat's seq too)
    const held = 16000 - (Date.now() - one.up);
    if (held > 0) await H.sleep(held);
    const upFor = (Date.now() - one.up) / 1000;
    const heartbeats = one.sessionOf(0x4b).length;
    tap.ok(one.state === 3 && !one.ended && one.badSeq().length === 0 && upFor >= 12 && heartbeats >= 1,
           `VM 1: the module's session stays open ${upFor.toFixed(1)} s, through ${heartbeats} heartbeat(s) ` +
           `of the ME's, every one of its ${one.session().length} messages in sequence`, ...one.tail());

    // 3. VM 2, start mode on reboot, while VM 1's session is open:
    // UseIDER, a reset, and SeaBIOS boots the ISO's boot sector
    const two = new IderConsole('VM 2', vm2.port, consolePassword, START_MODE.onReboot);
    if (await sessionStarts(two, 0x09)) {
        const wsman = await bootFromIder();
        tap.ok(/use=[1-9]/.test(wsman) && /power=0\b/.test(wsman),
               'VM 2: AMT_BootSettingData Put UseIDER=true IDERBootDevice=1, then RequestPowerStateChange 10 answers 0',
               wsman);
        const booted = await H.waitFor(() => serialHas(vm2.serial, /VAMT-IDER-BOOT: booted from the IDE-R CD/),
                                       40000, 200);
        tap.ok(booted && two.reads().length > 0 && two.state === 3 && two.badSeq().length === 0,
               `VM 2: SeaBIOS boots the ISO's boot sector through the module's answers ` +
               `(${two.reads().length} READ(10)s; ${two.sessionOf(0x46).length} RESETOCCURED, ` +
               `${two.sentOf(0x47).length} answered)`, ...two.tail());
    }
    tap.ok(one.state === 3 && !one.ended && one.badSeq().length === 0,
           `VM 1: the first session is still open after VM 2's phase (${((Date.now() - one.up) / 1000).toFixed(1)} s)`,
           ...one.tail());

    // 4. the module ends its sessions (it closes the socket: no 0x42)
    one.stop();
    const gone = await H.waitFor(() => serialHas(vm1.serial, /^VAMT-GUEST: IDER-GONE \/dev\/sr\d+$/m), 15000, 200);
    tap.ok(gone, 'VM 1: the module ends its session and the guest sees the medium go (IDER-GONE)', ...one.tail(8));
    two.stop();
}

const watchdog = setTimeout(() => {
    tap.ok(false, 'the scenario finished within 110 s');
    tap.finish();
    process.exit(1);
}, 110000);

main().catch((e) => {
    tap.ok(false, 'the scenario ran without an exception', e.stack || String(e));
}).finally(() => {
    clearTimeout(watchdog);
    consoles.forEach((c) => c.stop());
    if (process.env.VAMT_REDIR_TRACE) {
        consoles.forEach((c) => tap.comment(c.transcript().join('\n')));
    }
    tap.finish();
    setTimeout(() => process.exit(process.exitCode), 200);
});
