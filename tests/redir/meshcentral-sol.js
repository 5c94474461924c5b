// SPDX-License-Identifier: GPL-2.0-or-later
//
// Serial-over-LAN with Digest authentication (auth type 4) against vAMT's
// redirection port, driven by MeshCentral 1.1.55's own console modules:
// meshcmd's agents/modules_meshcmd/amt-redir-duk.js (the transport) under
// amt-sol.js (the terminal), loaded unmodified from the pinned npm package
// (docs: /work/shared/spec/redirection.md §7.3).  The guest runs the echo
// service of tests/guest/init (vamt.sol=echo), so whatever is typed comes
// back as "guest got: LINE", and the guest also logs "VAMT-GUEST: SOL-RX
// LINE" on its own console - a witness that does not go through the ME.
//
// The environment (run-meshcentral-sol.sh sets it): VAMT_REDIR_PORT,
// VAMT_PASSWORD, VAMT_SERIAL (the guest's serial log), VAMT_NODE_MODULES;
// VAMT_REDIR_TRACE=1 adds every console's messages as TAP comments.  With
// VAMT_REDIR_TLS_FINGERPRINT (the SHA-1 of the ME's certificate, hex) the
// module connects with TLS (16995) and pins it, as meshcmd does; the
// host is then VAMT_REDIR_HOST.
// Prints TAP; exits non-zero when a check fails.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const tls = require('tls');
const H = require('../clients/harness.js');
// first: the shims must be in place before the modules load
const { meshcentral, hex, tapWire } = require('./meshcmd-shims.js');

const host = process.env.VAMT_REDIR_HOST || '127.0.0.1';
const tlsFingerprint = (process.env.VAMT_REDIR_TLS_FINGERPRINT || '').toLowerCase() || null;
const port = Number(H.env('VAMT_REDIR_PORT'));
const user = 'admin';
const password = H.env('VAMT_PASSWORD');
const serialLog = H.env('VAMT_SERIAL');
const nodeModules = H.env('VAMT_NODE_MODULES');
const tap = new H.Tap();

const CreateAmtRedirect = meshcentral(nodeModules, 'agents/modules_meshcmd/amt-redir-duk.js');
const CreateAmtRemoteSol = meshcentral(nodeModules, 'agents/modules_meshcmd/amt-sol.js');

// ---- the console ------------------------------------------------------------

// The messages the ME sends on a SOL session, with their lengths
// (spec §1.1, §2.1), to split what we received for the checks.
function deviceMessages(buf) {
    const msgs = [];
    let off = 0;
    while (off < buf.length) {
        const b = buf.subarray(off);
        let len = 0;
        switch (b[0]) {
        case 0x11: len = b.length >= 13 ? 13 + b[12] : 0; break;
        case 0x14: len = b.length >= 9 ? 9 + b.readUInt32LE(5) : 0; break;
        case 0x21: len = 23; break;
        case 0x23: case 0x25: case 0x2b: len = 8; break;
        case 0x29: len = 10; break;
        case 0x2a: len = b.length >= 10 ? 10 + b.readUInt16LE(8) : 0; break;
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

// One SOL console as meshcmd's "amtterm" runs it: CreateAmtRedirect over
// CreateAmtRemoteSol, Start(host, port, user, pass, tls, fingerprint).  We only
// watch: the module's state callback, its data callback, and - by wrapping
// its xxSend and socket-data entry points, which it calls through its own
// object - the bytes it sends and receives.
const consoles = [];

class SolConsole {
    constructor(pass) {
        this.states = [];
        this.text = '';
        this.sol = CreateAmtRemoteSol();
        this.sol.onData = (s, data) => { this.text += Buffer.from(data).toString('latin1'); };
        this.redir = CreateAmtRedirect(this.sol);
        this.redir.onStateChanged = (r, state) => this.states.push(state);
        this.wire = tapWire(this.redir);
        this.redir.Start(host, port, user, pass, Boolean(tlsFingerprint), tlsFingerprint);
        consoles.push(this);
    }

    get state() { return this.redir.State; }
    get ended() { return this.states.includes(0); }
    reachedSol() { return this.states.includes(3); }
    get sent() { return this.wire.sent; }
    fromDevice() { return deviceMessages(this.wire.received); }
    fromDeviceOf(cmd) { return this.fromDevice().filter((m) => m.bytes[0] === cmd); }
    sentOf(cmd) { return this.sent.filter((m) => m[0] === cmd); }
    type(text) { this.sol.Send(text); }
    stop() { this.redir.Stop(); }

    transcript() {
        return ['sent:', ...this.sent.map((m) => '  C ' + hex(m)),
                'received:', ...this.fromDevice().map((m) => '  D ' + hex(m.bytes)),
                `states: ${this.states.join(' ')}`];
    }
}

function serialHas(line) {
    try {
        return fs.readFileSync(serialLog, 'latin1').split(/\r?\n/).includes(line);
    } catch (e) {
        return false;
    }
}

// Type a fresh line on console and wait for the guest's answer to come
// back through the module, and for the guest's own log line
async function echoes(term, what) {
    const token = `mcsol-${crypto.randomBytes(4).toString('hex')}`;
    const before = term.text.length;
    term.type(`${token}\r`);
    const answer = `guest got: ${token}`;
    const back = await H.waitFor(() => term.text.slice(before).includes(answer), 10000, 100);
    const logged = await H.waitFor(() => serialHas(`VAMT-GUEST: SOL-RX ${token}`), 5000, 100);
    tap.ok(back, `${what}: "${token}\\r" typed through the module comes back as "${answer}" in its data callback`,
           `data since typing: ${JSON.stringify(term.text.slice(before))}`, ...term.transcript());
    tap.ok(logged, `${what}: the guest's serial log has "VAMT-GUEST: SOL-RX ${token}"`);
    return back && logged;
}

// A bare 0x10 'SOL ': what comes back before the ME closes (or 3 s pass)
function rawStartSol() {
    return new Promise((resolve) => {
        let got = Buffer.alloc(0);
        let closed = false;
        // over TLS as the module is, its certificate pinned the same
        const sock = tlsFingerprint ?
            tls.connect({ host, port, rejectUnauthorized: false }) :
            net.createConnection({ host, port });
        const timer = setTimeout(() => { sock.destroy(); resolve({ got, closed }); }, 3000);
        sock.on(tlsFingerprint ? 'secureConnect' : 'connect', () => {
            const cert = tlsFingerprint && sock.getPeerCertificate();
            if (cert && cert.fingerprint.split(':').join('').toLowerCase() !== tlsFingerprint) {
                sock.destroy();
                return;
            }
            sock.write(Buffer.from('10000000534f4c20', 'hex'));
        });
        sock.on('data', (d) => { got = Buffer.concat([got, d]); });
        sock.on('error', () => {});
        sock.on('close', () => { closed = true; clearTimeout(timer); resolve({ got, closed }); });
    });
}

// ---- the scenario -----------------------------------------------------------

async function main() {
    // A wrong password first, while no SOL session is open: otherwise the
    // ME would (rightly) refuse it as busy before authentication
    const bad = new SolConsole(`${password}-wrong`);
    await H.waitFor(() => bad.ended, 8000, 100);
    const badReplies = bad.fromDeviceOf(0x14);
    const badFinal = badReplies[badReplies.length - 1];
    tap.ok(bad.ended && !bad.reachedSol() && bad.text === '' && !bad.fromDeviceOf(0x21).length &&
           bad.fromDeviceOf(0x11).some((m) => m.bytes[1] === 0) &&
           badReplies.length === 3 && badFinal.bytes.equals(Buffer.from('140100000400000000', 'hex')),
           'a wrong password: the ME answers the Digest response with 14 01 00 00 04 (failure, no data), ' +
           'the module ends without reaching SOL and no SOL data arrives', ...bad.transcript());
    bad.stop();

    // 1. the session
    const sol = new SolConsole(password);
    await H.waitFor(() => sol.reachedSol() || sol.ended, 10000, 100);
    const query = sol.fromDeviceOf(0x14)[0];
    const digest = sol.sentOf(0x13).filter((m) => m[4] === 4);
    const authOk = sol.fromDeviceOf(0x14).find((m) => m.bytes.equals(Buffer.from('140000000400000000', 'hex')));
    tap.ok(query && query.bytes[4] === 0 && query.bytes.subarray(9).includes(4),
           'the ME offers Digest with qop (type 4) in its answer to the auth query', ...sol.transcript());
    tap.ok(digest.length === 2 && digest[1].length > 9 + 32 && authOk &&
           sol.fromDeviceOf(0x14).every((m) => m.bytes[4] !== 1 && m.bytes[4] !== 3),
           'the module authenticates with Digest type 4 (initial request, challenge, response; ' +
           'the ME answers 14 00 00 00 04)', ...sol.transcript());
    tap.ok(sol.state === 3 && !sol.ended && sol.fromDeviceOf(0x21).some((m) => m.bytes[1] === 0),
           'the module reaches its SOL state (3) after a successful 0x21', ...sol.transcript());
    if (sol.state !== 3) return;

    // 2. typing
    await echoes(sol, 'SOL');

    // 3. 12 s on the module's own keep-alives (it asks the ME for no
    // heartbeats and a 10 s receive timeout, so only its 0x2B keep the
    // session), then typing again
    const keepalivesBefore = sol.sentOf(0x2b).length;
    const deviceHeartbeatsBefore = sol.fromDeviceOf(0x2b).length;
    await H.sleep(12500);
    const keepalives = sol.sentOf(0x2b).length - keepalivesBefore;
    tap.ok(sol.state === 3 && !sol.ended && keepalives >= 5,
           `the session stays up for 12.5 s on the module's keep-alives (${keepalives} sent)`,
           ...sol.transcript());
    tap.ok(sol.fromDeviceOf(0x2b).length === deviceHeartbeatsBefore,
           'the ME sends no heartbeats (the module asked for interval 0) and does not answer its keep-alives',
           ...sol.transcript());
    await echoes(sol, 'SOL after 12 s');

    // 5. a second SOL session while this one is open: busy
    const second = new SolConsole(password);
    await H.waitFor(() => second.ended, 5000, 100);
    const start2 = second.fromDeviceOf(0x11)[0];
    tap.ok(second.ended && !second.reachedSol() && start2 && start2.bytes[1] === 2 &&
           !second.sentOf(0x13).length,
           'a second SOL session through the module while the first is open: 0x11 status 2 (busy), ' +
           'the module stops before authenticating', ...second.transcript());
    const raw = await rawStartSol();
    tap.ok(raw.got.length === 13 && raw.got[0] === 0x11 && raw.got[1] === 2 && raw.closed,
           'a bare 0x10 "SOL " while the first session is open: exactly 13 bytes 0x11 status 2, then the ME closes',
           `received: ${hex(raw.got)}`, `closed by the ME: ${raw.closed}`);
    await echoes(sol, 'SOL after the refused sessions');

    // Ending the session frees SOL for the next console
    sol.stop();
    const next = await H.waitFor(async () => {
        const c = new SolConsole(password);
        await H.waitFor(() => c.reachedSol() || c.ended, 5000, 100);
        const busy = c.fromDeviceOf(0x11).some((m) => m.bytes[1] === 2);
        if (!busy || c.reachedSol()) return c;
        c.stop();
        return null;
    }, 3000, 200);
    tap.ok(next && next.reachedSol(), 'after the module stops the first session, a new one reaches SOL',
           ...(next ? next.transcript() : []));
    if (next) next.stop();
}

const watchdog = setTimeout(() => {
    tap.ok(false, 'the scenario finished within 55 s');
    tap.finish();
    process.exit(1);
}, 55000);

main().catch((e) => {
    tap.ok(false, 'the scenario ran without an exception', e.stack || String(e));
}).finally(() => {
    clearTimeout(watchdog);
    // VAMT_REDIR_TRACE=1: every console's bytes, for looking at the ME
    if (process.env.VAMT_REDIR_TRACE) {
        consoles.forEach((c, i) => tap.comment([`console ${i}`, ...c.transcript()].join('\n')));
    }
    tap.finish();
    // the module's sockets and timers are stopped, but do not wait on them
    setTimeout(() => process.exit(process.exitCode), 200);
});
