// SPDX-License-Identifier: GPL-2.0-or-later
//
// What the node client tests share: the VM under test (from the
// environment run-client-tests.sh sets), TAP output, and the two
// independent witnesses of what really happened to the VM: QEMU's own run
// state over QMP and the guest's "VAMT-GUEST: BOOT" lines on its serial log.
'use strict';

const fs = require('fs');
const net = require('net');

function env(name) {
    const value = process.env[name];
    if (value === undefined || value === '') {
        throw new Error(`${name} is not set (run through run-client-tests.sh)`);
    }
    return value;
}

// The VM as run-client-tests.sh started it
function vmUnderTest() {
    return {
        host: '127.0.0.1',
        port: Number(env('VAMT_PORT')),
        user: 'admin',
        password: env('VAMT_PASSWORD'),
        uuid: env('VAMT_UUID').toLowerCase(),
        fwVersion: env('VAMT_FW_VERSION'),
        memoryMiB: Number(env('VAMT_MEM_MB')),
        cpuSockets: Number(env('VAMT_CPU_SOCKETS')),
        qmpSocket: env('VAMT_QMP'),
        serialLog: env('VAMT_SERIAL'),
        nodeModules: env('VAMT_NODE_MODULES'),
        // where the ME reaches this machine's alert listener: itself
        // (alert-egress=host), or libslirp's gateway, which leads to the
        // host's loopback (alert-egress=nic on -netdev user)
        alertHost: process.env.VAMT_ALERT_HOST || '127.0.0.1',
        // WS-Management on the VM's TLS port (16993): its host, the CA
        // certificate (PEM) its certificate must chain to, and that
        // certificate's SHA-256 (hex), which MeshCentral pins
        tlsHost: process.env.VAMT_TLS_HOST || '',
        tlsCa: process.env.VAMT_TLS_CA ? fs.readFileSync(process.env.VAMT_TLS_CA, 'utf8') : '',
        tlsFingerprint: (process.env.VAMT_TLS_FINGERPRINT || '').toLowerCase(),
        // "connect": only the read-only part of a scenario (connect, pages)
        scenario: process.env.VAMT_SCENARIO || 'all',
    };
}

class Tap {
    constructor() {
        this.count = 0;
        this.failures = 0;
    }

    // ok(condition, description, diagnostic...): one TAP line; on failure the
    // diagnostics (what was sent / received) follow as "# " comments
    ok(condition, description, ...diagnostics) {
        this.count++;
        if (condition) {
            console.log(`ok ${this.count} - ${description}`);
            return true;
        }
        this.failures++;
        console.log(`not ok ${this.count} - ${description}`);
        for (const d of diagnostics) {
            const text = typeof d === 'string' ? d : JSON.stringify(d, null, 1);
            for (const line of String(text).split('\n')) {
                console.log(`#   ${line}`);
            }
        }
        return false;
    }

    comment(text) {
        for (const line of String(text).split('\n')) {
            console.log(`# ${line}`);
        }
    }

    finish() {
        console.log(`1..${this.count}`);
        process.exitCode = this.failures ? 1 : 0;
    }
}

// One QMP command on a fresh connection; resolves to the reply object
function qmp(socketPath, command, args) {
    return new Promise((resolve, reject) => {
        const sock = net.createConnection(socketPath);
        let buffer = '';
        let stage = 0;
        const timer = setTimeout(() => {
            sock.destroy();
            reject(new Error(`QMP ${command}: no answer`));
        }, 10000);
        const send = (msg) => sock.write(JSON.stringify(msg) + '\n');
        sock.on('error', (e) => { clearTimeout(timer); reject(e); });
        sock.on('data', (data) => {
            buffer += data.toString();
            let nl;
            while ((nl = buffer.indexOf('\n')) >= 0) {
                const line = buffer.slice(0, nl);
                buffer = buffer.slice(nl + 1);
                if (!line.trim()) continue;
                const msg = JSON.parse(line);
                if (msg.event) continue;
                if (stage === 0) {              // greeting
                    stage = 1;
                    send({ execute: 'qmp_capabilities' });
                } else if (stage === 1) {
                    stage = 2;
                    send(args ? { execute: command, arguments: args }
                              : { execute: command });
                } else {
                    clearTimeout(timer);
                    sock.end();
                    resolve(msg);
                }
            }
        });
    });
}

async function runState(vm) {
    const reply = await qmp(vm.qmpSocket, 'query-status');
    return reply.return ? reply.return.status : `error ${JSON.stringify(reply)}`;
}

// How many times the guest has started (its init prints one BOOT line)
function bootCount(vm) {
    let text = '';
    try {
        text = fs.readFileSync(vm.serialLog, 'latin1');
    } catch (e) {
        return -1;
    }
    return (text.match(/^VAMT-GUEST: BOOT /mg) || []).length;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Poll probe() until it returns something truthy or timeoutMs passes;
// returns the last value either way so failures can show it
async function waitFor(probe, timeoutMs, intervalMs = 250) {
    const end = Date.now() + timeoutMs;
    let value;
    for (;;) {
        value = await probe();
        if (value || Date.now() >= end) return value;
        await sleep(intervalMs);
    }
}

// MeshCentral and Linux show SMBIOS UUIDs with the first three groups
// byte-swapped relative to the raw 16 bytes AMT reports as PlatformGUID
function platformGuidToUuid(g) {
    if (typeof g !== 'string' || !/^[0-9A-Fa-f]{32}$/.test(g)) return null;
    const b = (i) => g.substring(2 * i, 2 * i + 2);
    return (b(3) + b(2) + b(1) + b(0) + '-' + b(5) + b(4) + '-' + b(7) + b(6) +
            '-' + g.substring(16, 20) + '-' + g.substring(20)).toLowerCase();
}

module.exports = {
    env, vmUnderTest, Tap, qmp, runState, bootCount, sleep, waitFor,
    platformGuidToUuid,
};
