// SPDX-License-Identifier: GPL-2.0-or-later
//
// MeshCentral's Intel AMT network scanner against vAMT's RMCP presence
// answers (UDP 623): amtscanner.js from the pinned npm package, unmodified,
// with a stand-in for the MeshCentral server object it reports to (its
// database and event dispatch) and no reverse DNS (none in the sandbox).
//
//   1. The VM under test (AMT 16, rmcp-port=0): the scanner's own ping
//      builder and pong parser on a socket of ours, as the port is not 623.
//   2. A second VM on UDP port 623 and TCP 16992 of another loopback
//      address (AMT 11.8, whose version fits the pong; 16992, the port
//      MeshCentral takes for "no TLS"): MeshCentral's "Scan Network"
//      (performRangeScan) and its periodic presence check of a known
//      device (checkAmtPresenceEx), each as the server runs them.
//
// What the scanner decodes is compared with query-vamt and with what the
// ME reports over WS-Management (AMT_SetupAndConfigurationService).
// Prints TAP.
'use strict';

const dgram = require('dgram');
const path = require('path');
const H = require('./harness.js');

const vm = H.vmUnderTest();
const tap = new H.Tap();
const mcDir = path.join(vm.nodeModules, 'meshcentral');
const amtDir = path.join(mcDir, 'amt');
const CreateWsmanComm = require(path.join(amtDir, 'amt-wsman-comm.js'));
const WsmanStackCreateService = require(path.join(amtDir, 'amt-wsman.js'));
const AmtStackCreateService = require(path.join(amtDir, 'amt.js'));
const { CreateAmtScanner } = require(path.join(mcDir, 'amtscanner.js'));

// The second VM, when run-client-tests.sh could start it (root only)
const scanHost = process.env.VAMT_RMCP_HOST || '';
const scanQmp = process.env.VAMT_RMCP_QMP || '';

// What the scanner reports to the MeshCentral server: recorded
function fakeServer(records) {
    // the database holds its own copies, as MeshCentral's does
    const copy = (x) => JSON.parse(JSON.stringify(x));
    const stored = copy(records);
    const server = {
        events: [], connectivity: [], saved: [],
        DispatchEvent(targets, source, event) { server.events.push(event); },
        SetConnectivityState(meshid, nodeid, time, conn, power) {
            server.connectivity.push({ nodeid, conn, power });
        },
        ClearConnectivityState() {},
        db: {
            Get(id, callback) { callback(null, stored[id] ? [copy(stored[id])] : []); },
            Set(node) { stored[node._id] = copy(node); server.saved.push(copy(node)); },
            getLocalAmtNodes(callback) { callback(null, []); },
        },
        webserver: { CloneSafeNode: (node) => node },
        amtManager: null,
        mpsserver: null,
    };
    return server;
}

function newScanner(server) {
    const scanner = CreateAmtScanner(server);
    // no reverse DNS here: the scanner then names the device by address
    scanner.dns = {
        reverse: (addr, cb) => cb(new Error('no DNS in the test')),
        lookup: (host, cb) => cb(null, host, 4),
    };
    return scanner;
}

async function queryVamt(socketPath) {
    const reply = await H.qmp(socketPath, 'query-vamt');
    return reply.return && reply.return[0];
}

// major.minor as the pong can carry it: AMT 16 and later do not fit
function expectedNibbles(fwVersion) {
    const [major, minor] = fwVersion.split('.').map(Number);
    return major > 15 || minor > 15 ? { major: 0, minor: 0 } : { major, minor };
}

// ProvisioningState as the ME reports it over WS-Management
function provisioningState(host, port) {
    const comm = CreateWsmanComm(host, port, vm.user, vm.password, 0);
    const stack = AmtStackCreateService(WsmanStackCreateService(comm));
    return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), 30000);
        stack.Get('AMT_SetupAndConfigurationService', (s, name, rsp, status) => {
            clearTimeout(timer);
            resolve(status === 200 ? Number(rsp.Body.ProvisioningState) : null);
        });
    });
}

// Send the scanner's ping to host:port; the datagrams that come back
// within ms, and what the scanner's parser makes of each
function pingWithScannerParser(scanner, host, port, tag, ms = 1500) {
    return new Promise((resolve) => {
        const sock = dgram.createSocket('udp4');
        const got = [];
        sock.on('message', (data, rinfo) => {
            const entry = { len: data.length, hex: data.toString('hex'), decoded: null };
            scanner.parseRmcpPacket(data, rinfo, 0,
                (t, minor, major, state, openPort, dualPorts) => {
                    entry.decoded = { tag: t, minor, major, state, openPort, dualPorts };
                });
            got.push(entry);
        });
        sock.bind(0, () => {
            sock.send(scanner.buildRmcpPing(tag), port, host);
            setTimeout(() => { sock.close(); resolve(got); }, ms);
        });
    });
}

async function main() {
    // --- 1. the VM under test, with the scanner's builder and parser
    const info = await queryVamt(vm.qmpSocket);
    const rmcpPort = info && info['rmcp-port'];
    tap.ok(Number.isInteger(rmcpPort) && rmcpPort > 0,
           `query-vamt reports the RMCP port (${rmcpPort})`, info);
    const state = await provisioningState('127.0.0.1', vm.port);
    tap.ok(state === 2, `WS-Man: ProvisioningState ${state} (post-provisioning)`);

    const scanner = newScanner(fakeServer({}));
    const ping = scanner.buildRmcpPing(7);
    tap.comment(`MeshCentral's ping: ${ping.toString('hex')}`);
    const got = await pingWithScannerParser(scanner, '127.0.0.1', rmcpPort, 7);
    const pongs = got.filter((g) => g.decoded);
    const acks = got.filter((g) => g.len === 4);
    got.forEach((g) => tap.comment(`answer: ${g.hex}`));
    const d = pongs.length === 1 ? pongs[0].decoded : {};
    tap.ok(pongs.length === 1 && acks.length === 1,
           'one pong that MeshCentral\'s parser accepts, after an RMCP ACK', got);
    const want = expectedNibbles(info['fw-version']);
    tap.ok(d.tag === 7 && d.major === want.major && d.minor === want.minor,
           `pong: tag 7, version ${want.major}.${want.minor} for fw ${info['fw-version']} ` +
           '(0.0: "not reported", AMT 16 does not fit)', d);
    tap.ok(d.state === state,
           `pong: provisioning state ${d.state}, as WS-Man reports`, d);
    tap.ok(d.openPort === vm.port && d.dualPorts === false,
           `pong: open port ${d.openPort} is the listener's, no TLS (not dual)`, d);

    // garbage and a pong of our own get nothing back
    const junk = await new Promise((resolve) => {
        const sock = dgram.createSocket('udp4');
        let n = 0;
        sock.on('message', () => n++);
        sock.bind(0, () => {
            sock.send(Buffer.from('06000006000011be4007000000', 'hex'), rmcpPort, '127.0.0.1');
            sock.send(Buffer.from('hello, port 623'), rmcpPort, '127.0.0.1');
            sock.send(Buffer.concat([ping, Buffer.alloc(1)]), rmcpPort, '127.0.0.1');
            setTimeout(() => { sock.close(); resolve(n); }, 1000);
        });
    });
    tap.ok(junk === 0, `a pong, text and a long ping get no answer (${junk})`);

    // --- 2. a VM on port 623: MeshCentral's scans as the server runs them
    if (!scanHost) {
        tap.ok(true, '# SKIP no second VM on UDP port 623 (needs root)');
        tap.finish();
        return;
    }
    const scanInfo = await queryVamt(scanQmp);
    const scanWant = expectedNibbles(scanInfo['fw-version']);
    tap.ok(scanInfo['rmcp-port'] === 623 && scanWant.major > 0,
           `the second VM answers on ${scanHost} UDP 623, fw ${scanInfo['fw-version']}`,
           scanInfo);
    const portReply = await H.qmp(scanQmp, 'qom-get',
                                  { path: 'amt', property: 'listen-port' });
    const scanState = await provisioningState(scanHost, portReply.return);
    tap.ok(scanState === 2, `WS-Man on ${scanHost}:${portReply.return}: ` +
           `ProvisioningState ${scanState}`);

    // "Scan Network": performRangeScan reports after 3 s
    const rangeServer = fakeServer({});
    const rangeScanner = newScanner(rangeServer);
    rangeScanner.performRangeScan('user//admin', scanHost);
    const scan = await H.waitFor(() => rangeServer.events.find(
        (e) => e.action === 'scanamtdevice'), 10000);
    const found = scan && scan.results[scanHost];
    tap.ok(found && found.ver === `${scanWant.major}.${scanWant.minor}`,
           `Scan Network finds ${scanHost}: Intel AMT ${found && found.ver}`, scan);
    tap.ok(found && found.state === scanState && found.tls === 0,
           `Scan Network: provisioning state ${found && found.state} as WS-Man ` +
           'reports, no TLS', found);

    // the presence check of a device the server knows
    const node = {
        _id: 'node//vamt', meshid: 'mesh//test', name: 'vamt', host: scanHost,
        intelamt: {},
    };
    const presenceServer = fakeServer({
        [node._id]: node, [node.meshid]: { _id: node.meshid, name: 'test' },
    });
    const presence = newScanner(presenceServer);
    presence.scanTableTags[0] = presence.scanTable[node._id] =
        { nodeinfo: node, present: true, tag: 0, state: 0 };
    presence.checkAmtPresenceEx(scanHost, 0);
    const saved = await H.waitFor(() => presenceServer.saved[0], 5000);
    presence.stop();
    tap.ok(presenceServer.connectivity.some((c) => c.nodeid === node._id && c.power === 7),
           'presence check: the device is reported present (power state 7)',
           presenceServer.connectivity);
    const amt = saved ? saved.intelamt : {};
    tap.ok(amt.ver === `${scanWant.major}.${scanWant.minor}` &&
           amt.state === scanState && amt.tls === 0,
           `presence check: the device record says AMT ${amt.ver}, state ${amt.state}, ` +
           `tls ${amt.tls}`, saved);
    tap.finish();
}

main().catch((e) => {
    tap.ok(false, `scenario failed: ${e.stack}`);
    tap.finish();
});
