// SPDX-License-Identifier: GPL-2.0-or-later
//
// MeshCentral's own server and MeshCommander's Intel AMT tab in headless
// Chromium against a vAMT VM, as an administrator would use them
// (issue 13): the test starts MeshCentral 1.1.55 (the pinned npm package)
// on 127.0.0.1 with a fresh data folder, creates the administrator, an
// "Intel AMT only" device group and the VM as an Intel AMT computer by its
// address (port 16992, No TLS), waits for the server's sync, then opens
// the device's Intel AMT tab in Chromium (Chrome DevTools Protocol over
// the ws package MeshCentral ships), connects and opens each MeshCommander
// page, keeping a screenshot of each in the test logs.  Prints TAP.
//
// Environment: VAMT_AMT_HOST (the VM's listen address, port 16992),
// VAMT_PASSWORD, VAMT_NODE_MODULES, VAMT_LOGS (screenshots), VAMT_MC_PORT.
'use strict';

const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const H = require('./harness.js');

const tap = new H.Tap();
const modules = H.env('VAMT_NODE_MODULES');
const mcDir = path.join(modules, 'meshcentral');
const WebSocket = require(path.join(modules, 'ws'));
const amtHost = H.env('VAMT_AMT_HOST');
const amtPassword = H.env('VAMT_PASSWORD');
const logs = H.env('VAMT_LOGS');
const mcPort = Number(H.env('VAMT_MC_PORT'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vamt-meshcentral-'));
const mcUser = 'vamtadmin';
const mcPass = 'Vamt-UI-test-1!';
const children = [];

async function cleanup() {
    const exits = children.filter((c) => c.exitCode === null && c.signalCode === null)
        .map((c) => new Promise((resolve) => { c.once('exit', resolve); setTimeout(resolve, 5000); }));
    for (const c of children) { try { c.kill('SIGKILL'); } catch (e) { } }
    await Promise.all(exits);
    try { fs.rmSync(work, { recursive: true, force: true }); } catch (e) { }
}

function meshcentral(args, opts = {}) {
    return execFileSync(process.execPath, [path.join(mcDir, 'meshcentral.js'),
        '--datapath', path.join(work, 'data'), ...args],
        { cwd: mcDir, timeout: 120000, encoding: 'utf8', ...opts });
}

function meshctrl(...args) {
    return execFileSync(process.execPath, [path.join(mcDir, 'meshctrl.js'),
        '--url', `wss://127.0.0.1:${mcPort}`, '--loginuser', mcUser, '--loginpass', mcPass,
        ...args], { cwd: mcDir, timeout: 60000, encoding: 'utf8' });
}

function startServer() {
    const log = fs.openSync(path.join(logs, 'meshcentral-server.log'), 'a');
    const server = spawn(process.execPath, [path.join(mcDir, 'meshcentral.js'),
        '--datapath', path.join(work, 'data')], { cwd: mcDir, stdio: ['ignore', log, log] });
    children.push(server);
    return server;
}

function httpJson(url) {
    return new Promise((resolve, reject) => {
        http.get(url, (res) => {
            let body = '';
            res.on('data', (d) => { body += d; });
            res.on('end', () => { try { resolve(JSON.parse(body)); } catch (e) { reject(e); } });
        }).on('error', reject);
    });
}

// A minimal Chrome DevTools Protocol client on one page target
class Cdp {
    constructor(url) {
        this.ws = new WebSocket(url);
        this.id = 0;
        this.pending = new Map();
        this.ws.on('message', (m) => {
            const msg = JSON.parse(m);
            if (msg.id && this.pending.has(msg.id)) {
                const { resolve, reject } = this.pending.get(msg.id);
                this.pending.delete(msg.id);
                if (msg.error) reject(new Error(JSON.stringify(msg.error))); else resolve(msg.result);
            }
        });
    }
    open() { return new Promise((resolve, reject) => { this.ws.on('open', resolve); this.ws.on('error', reject); }); }
    send(method, params = {}) {
        const id = ++this.id;
        this.ws.send(JSON.stringify({ id, method, params }));
        return new Promise((resolve, reject) => {
            this.pending.set(id, { resolve, reject });
            setTimeout(() => { if (this.pending.delete(id)) reject(new Error(`${method}: timeout`)); }, 30000);
        });
    }
    async eval(expr) {
        const r = await this.send('Runtime.evaluate', { expression: expr, returnByValue: true, awaitPromise: true });
        if (r.exceptionDetails) throw new Error(`${expr}: ${JSON.stringify(r.exceptionDetails).slice(0, 400)}`);
        return r.result.value;
    }
    async screenshot(name) {
        const r = await this.send('Page.captureScreenshot', { format: 'png' });
        const file = path.join(logs, `meshcommander-${name}.png`);
        fs.writeFileSync(file, Buffer.from(r.data, 'base64'));
        return file;
    }
}

async function startChromium() {
    const port = mcPort + 1;
    const log = fs.openSync(path.join(logs, 'chromium.log'), 'a');
    const chrome = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
        '--no-first-run', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', `--user-data-dir=${path.join(work, 'chromium')}`,
        '--ignore-certificate-errors', '--window-size=1400,1000',
        `--remote-debugging-port=${port}`, 'about:blank'], { stdio: ['ignore', log, log] });
    children.push(chrome);
    const targets = await H.waitFor(async () => {
        try { return await httpJson(`http://127.0.0.1:${port}/json/list`); } catch (e) { return null; }
    }, 30000, 500);
    const page = targets && targets.find((t) => t.type === 'page');
    if (!page) throw new Error('chromium: no page target');
    const cdp = new Cdp(page.webSocketDebuggerUrl);
    await cdp.open();
    await cdp.send('Page.enable');
    await cdp.send('Runtime.enable');
    return cdp;
}

// MeshCommander's pages (commander.htm go(n)), what each must show
const PAGES = [
    [1, 'system-status', 'System Status'],
    [2, 'hardware', 'Hardware Information'],
    [6, 'event-log', 'Event Log'],
    [15, 'audit-log', 'Audit Log'],
    [8, 'network', 'Network Settings'],
    [16, 'security', 'Security Settings'],
    [11, 'users', 'User Accounts'],
    [23, 'wake-alarms', 'Wake Alarms'],
    [22, 'subscriptions', 'Event Subscriptions'],
    [14, 'remote-desktop', 'Remote Desktop'],
];

async function main() {
    // 1. MeshCentral's server, fresh
    fs.mkdirSync(path.join(work, 'data'), { recursive: true });
    fs.writeFileSync(path.join(work, 'data', 'config.json'), JSON.stringify({
        settings: {
            datapath: path.join(work, 'data'), filespath: path.join(work, 'files'),
            cert: '127.0.0.1', port: mcPort, aliasPort: mcPort, redirPort: 0, exactPorts: true,
            LANonly: true, selfUpdate: false, autoBackup: false, mpsPort: 0,
        },
        domains: { '': { newAccounts: false } },
    }));
    // accounts are made with the server stopped; the first run makes the
    // certificates too
    let up = true;
    try {
        meshcentral(['--createaccount', mcUser, '--pass', mcPass, '--email', 'admin@example.org']);
        meshcentral(['--adminaccount', mcUser]);
    } catch (e) { up = false; }
    fs.writeFileSync(path.join(logs, 'meshcentral-server.log'), '');
    startServer();
    up = up && await H.waitFor(() => /HTTPS server running/.test(
        fs.readFileSync(path.join(logs, 'meshcentral-server.log'), 'utf8')), 120000, 500);
    tap.ok(Boolean(up), `meshcentral: the server runs on 127.0.0.1:${mcPort} with an administrator`);
    if (!up) return;

    // 2. an Intel AMT only group and the VM in it, by address, No TLS
    let nodeId = null;
    try {
        meshctrl('adddevicegroup', '--name', 'vAMT', '--amtonly');
        const groups = JSON.parse(meshctrl('listdevicegroups', '--json'));
        const group = groups.find((g) => g.name === 'vAMT');
        const out = meshctrl('addamtdevice', '--id', group._id, '--devicename', 'vamt-vm',
            '--hostname', amtHost, '--user', 'admin', '--pass', amtPassword, '--notls');
        tap.ok(/ok/i.test(out), `meshcentral: the VM is added as an Intel AMT computer at ${amtHost}, No TLS`, out);
    } catch (e) {
        tap.ok(false, 'meshcentral: the VM is added as an Intel AMT computer', String(e));
        return;
    }

    // 3. the server's sync: the device shows Intel AMT's version and state
    const synced = await H.waitFor(() => {
        try {
            const list = JSON.parse(meshctrl('listdevices', '--json'));
            const dev = list.find((d) => d.name === 'vamt-vm');
            if (dev && dev.intelamt && dev.intelamt.ver && (dev.conn & 4)) { nodeId = dev._id; return dev; }
        } catch (e) { }
        return null;
    }, 120000, 3000);
    tap.ok(Boolean(synced), 'meshcentral: the server connects to the VM and syncs (Intel AMT version, connected)',
        synced);
    if (!synced) return;

    // 4. MeshCommander's Intel AMT tab in Chromium
    const cdp = await startChromium();
    await cdp.send('Page.navigate', { url: `https://127.0.0.1:${mcPort}/` });
    await H.waitFor(() => cdp.eval('!!document.getElementById("username")').catch(() => false), 30000, 500);
    await cdp.eval(`document.getElementById("username").value = ${JSON.stringify(mcUser)};
        document.getElementById("password").value = ${JSON.stringify(mcPass)};
        document.getElementById("loginButton").click(); true`);
    await H.sleep(4000);
    // the device list loaded, go to the device's Intel AMT tab (14)
    const listed = await H.waitFor(() => cdp.eval(`typeof getNodeFromId === 'function' &&
        getNodeFromId(${JSON.stringify(nodeId)}) != null`).catch(() => false), 60000, 1000);
    if (!listed) { await cdp.screenshot('login'); }
    await cdp.eval(`gotoDevice(${JSON.stringify(nodeId)}, 14); true`);
    await H.waitFor(() => cdp.eval(`typeof currentNode !== 'undefined' && currentNode != null &&
        currentNode._id === ${JSON.stringify(nodeId)}`).catch(() => false), 30000, 500);
    const frame = 'document.getElementById("p14iframe").contentWindow';
    const tab = await H.waitFor(() => cdp.eval(`(${frame} && ${frame}.connectButtonfunctionEx) ? true : false`)
        .catch(() => false), 60000, 1000);
    await cdp.screenshot('device');
    tap.ok(Boolean(tab), 'meshcommander: the device\'s Intel AMT tab opens with MeshCommander in it');
    if (!tab) return;
    await cdp.eval(`${frame}.connectButtonfunctionEx(); true`);
    const connected = await H.waitFor(() => cdp.eval(`${frame}.amtversion > 0`).catch(() => false), 60000, 1000);
    tap.ok(Boolean(connected), 'meshcommander: connects to the VM through MeshCentral');
    if (!connected) { await cdp.screenshot('connect'); return; }

    for (const [n, name, title] of PAGES) {
        await cdp.eval(`${frame}.go(${n}); true`);
        const loaded = await H.waitFor(() => cdp.eval(`(function () {
            const d = ${frame}.document.getElementById('p${n}');
            if (!d || d.offsetParent === null && getComputedStyle(d).display === 'none') return false;
            return !/Loading\\.\\.\\./.test(d.innerText);
        })()`).catch(() => false), 30000, 1000);
        const text = await cdp.eval(`(${frame}.document.getElementById('p${n}') || {}).innerText || ''`)
            .catch(() => '');
        const shot = await cdp.screenshot(name);
        tap.ok(Boolean(loaded), `meshcommander: the ${title} page loads (screenshot ${path.basename(shot)})`,
            text.slice(0, 600));
    }
}

main().catch((e) => tap.ok(false, `meshcentral-ui scenario ran to completion (${e.message})`, e.stack))
    .finally(async () => { await cleanup(); tap.finish(); setTimeout(() => process.exit(), 100); });
