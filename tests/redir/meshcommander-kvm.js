// SPDX-License-Identifier: GPL-2.0-or-later
//
// KVM redirection (AMT's KVMR) against vAMT's redirection port, seen
// through MeshCommander's own Remote Desktop: the browser modules of
// MeshCentral 1.1.55 (public/scripts/amt-redir-ws-0.1.0.js, the
// transport, under amt-desktop-0.0.2.js, the viewer and its RFB decoder,
// with common-0.0.1.js, amt-0.2.0.js's hex_md5 and the zlib inflater the
// page loads beside them), run unmodified in a node vm context per
// "browser tab" with a canvas stand-in that keeps real RGBA pixels.
// The viewer's canvas is compared pixel for pixel with QMP screendump,
// keys typed into the page and clicks on the canvas are checked where the
// guest's evdev reports them (tests/guest/kvmguest.c), and the guest's
// mode changes must reach the canvas.
//
// The environment (run-meshcommander-kvm.sh sets it): VAMT_REDIR_PORT,
// VAMT_PASSWORD, VAMT_QMP, VAMT_SERIAL (the guest's console log),
// VAMT_CONSOLE (the pipe into the guest's shell), VAMT_WORK (scratch for
// screendumps), VAMT_LOG_DIR (the viewer's canvas as PPM when a
// comparison fails), VAMT_NODE_MODULES.  The VM starts paused (-S): the
// scenario connects first and then lets it run, to see the firmware's
// first screen.  VAMT_KVM_TRACE=1 adds each viewer's wire summary as TAP
// comments and keeps every compared picture in VAMT_LOG_DIR.  Prints
// TAP; exits non-zero when a check fails.
'use strict';

const fs = require('fs');
const net = require('net');
const path = require('path');
const vm = require('vm');
const H = require('../clients/harness.js');
const { meshcentralPath, hex } = require('./meshcmd-shims.js');

const host = '127.0.0.1';
const port = Number(H.env('VAMT_REDIR_PORT'));
const user = 'admin';
const password = H.env('VAMT_PASSWORD');
const qmpSocket = H.env('VAMT_QMP');
const serialLog = H.env('VAMT_SERIAL');
const consolePipe = H.env('VAMT_CONSOLE');
const work = H.env('VAMT_WORK');
const logDir = H.env('VAMT_LOG_DIR');
const nodeModules = H.env('VAMT_NODE_MODULES');
const tap = new H.Tap();

// The scripts MeshCentral's page loads for Intel AMT's Remote Desktop
// (views/default.handlebars), in its order, minus the unrelated ones
const PAGE_SCRIPTS = [
    'public/scripts/common-0.0.1.js',       // Q(), QS(), QV(), IntToStr()...
    'public/scripts/amt-0.2.0.js',          // hex_md5 for the Digest login
    'public/scripts/amt-desktop-0.0.2.js',
    'public/scripts/zlib.js',               // ZLIB.inflateInit(-15) of the viewer
    'public/scripts/zlib-inflate.js',
    'public/scripts/zlib-adler32.js',
    'public/scripts/zlib-crc32.js',
    'public/scripts/amt-redir-ws-0.1.0.js',
].map((f) => ({ file: f, code: fs.readFileSync(meshcentralPath(nodeModules, f), 'utf8') }));

// ---- the browser: a canvas with real pixels ---------------------------------

// What amt-desktop-0.0.2.js draws with: createImageData, putImageData,
// fillRect with fillStyle 'rgb(r,g,b)' or '#rrggbb', and - for rotation
// only - drawImage.  Setting width or height clears the bitmap to
// transparent black, as in a browser, so undrawn pixels show as alpha 0.
class Canvas {
    constructor() {
        this.w = 300;               // a browser canvas's default size
        this.h = 150;
        this.pixels = new Uint8ClampedArray(this.w * this.h * 4);
        this.style = {};
        this.sizes = [];            // every size set, in order
        this.offsetLeft = 0;        // shown at 1:1 at the page's origin
        this.offsetTop = 0;
        this.offsetParent = null;
        this.context = new Context2D(this);
    }

    get width() { return this.w; }
    set width(v) { this.resize(v, this.h); }
    get height() { return this.h; }
    set height(v) { this.resize(this.w, v); }
    get offsetWidth() { return this.w; }
    get offsetHeight() { return this.h; }

    resize(w, h) {
        this.w = Math.max(0, Math.floor(w));
        this.h = Math.max(0, Math.floor(h));
        this.pixels = new Uint8ClampedArray(this.w * this.h * 4);
        this.sizes.push(`${this.w}x${this.h}`);
    }

    getContext(type) { return type === '2d' ? this.context : null; }
}

class Context2D {
    constructor(canvas) {
        this.canvas = canvas;
        this.fill = [0, 0, 0];
        this.style = '#000000';
        this.calls = { createImageData: 0, putImageData: 0, fillRect: 0, drawImage: 0 };
    }

    get fillStyle() { return this.style; }
    set fillStyle(s) {
        // what a browser accepts of what the module writes; others are ignored
        let m = /^rgb\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(s);
        if (m) {
            this.fill = [Number(m[1]), Number(m[2]), Number(m[3])].map((v) => Math.min(v, 255));
        } else if ((m = /^#([0-9a-f]{6})$/i.exec(s))) {
            const v = parseInt(m[1], 16);
            this.fill = [v >> 16, (v >> 8) & 255, v & 255];
        } else {
            return;
        }
        this.style = s;
    }

    createImageData(w, h) {
        this.calls.createImageData++;
        return { width: w, height: h, data: new Uint8ClampedArray(w * h * 4) };
    }

    // putImageData replaces pixels, alpha included, clipped to the canvas
    putImageData(img, dx, dy) {
        this.calls.putImageData++;
        const c = this.canvas;
        for (let y = Math.max(0, -dy); y < img.height && dy + y < c.h; y++) {
            const x0 = Math.max(0, -dx), x1 = Math.min(img.width, c.w - dx);
            if (x1 <= x0) continue;
            c.pixels.set(img.data.subarray((y * img.width + x0) * 4, (y * img.width + x1) * 4),
                         ((dy + y) * c.w + dx + x0) * 4);
        }
    }

    fillRect(x, y, w, h) {
        this.calls.fillRect++;
        const c = this.canvas;
        const x0 = Math.max(0, Math.floor(x)), y0 = Math.max(0, Math.floor(y));
        const x1 = Math.min(c.w, Math.floor(x + w)), y1 = Math.min(c.h, Math.floor(y + h));
        for (let yy = y0; yy < y1; yy++) {
            for (let xx = x0; xx < x1; xx++) {
                const p = (yy * c.w + xx) * 4;
                c.pixels[p] = this.fill[0];
                c.pixels[p + 1] = this.fill[1];
                c.pixels[p + 2] = this.fill[2];
                c.pixels[p + 3] = 255;
            }
        }
    }

    // setRotation's copy; no transform is modelled, so a rotation would fail loudly
    drawImage(src, dx, dy) {
        this.calls.drawImage++;
        this.putImageData({ width: src.w, height: src.h, data: src.pixels }, dx, dy);
    }
}

// ---- the browser: MeshCentral's relay as a WebSocket ------------------------

// amt-redir-ws-0.1.0.js opens "wss://SERVER/webrelay.ashx?p=2&host=H&port=P"
// and MeshCentral's relay (webserver.js handleRelayWebSocket, a direct
// non-TLS connection with the console's own credentials, so no
// interceptor) opens a TCP socket to the AMT's redirection port and
// copies bytes both ways: each WebSocket message is written to the
// socket, each chunk read from it is sent as one binary message.  This
// class does exactly that, in the page, and keeps both directions.
function relayWebSocketClass(wire) {
    return class RelayWebSocket {
        static CONNECTING = 0;
        static OPEN = 1;
        static CLOSING = 2;
        static CLOSED = 3;

        constructor(url) {
            const q = new URL(url).searchParams;
            wire.urls.push(url);
            this.url = url;
            this.readyState = RelayWebSocket.CONNECTING;
            this.binaryType = 'blob';
            this.sock = net.createConnection({ host: q.get('host'), port: Number(q.get('port')) });
            this.sock.on('connect', () => {
                this.readyState = RelayWebSocket.OPEN;
                if (this.onopen) this.onopen({ type: 'open' });
            });
            this.sock.on('data', (d) => {
                wire.chunks.push(d);
                wire.receivedBytes += d.length;
                wire.lastData = Date.now();
                // a fresh ArrayBuffer per message, as binaryType 'arraybuffer' gives
                const ab = d.buffer.slice(d.byteOffset, d.byteOffset + d.length);
                if (this.readyState === RelayWebSocket.OPEN && this.onmessage) this.onmessage({ data: ab });
            });
            this.sock.on('error', (e) => { wire.error = e.message; });
            this.sock.on('close', () => {
                this.readyState = RelayWebSocket.CLOSED;
                wire.closed = true;
                if (this.onclose) this.onclose({ type: 'close' });
            });
        }

        send(data) {
            if (this.readyState === RelayWebSocket.CONNECTING) throw new Error('InvalidStateError');
            if (this.readyState !== RelayWebSocket.OPEN) return;
            const b = Buffer.from(new Uint8Array(data));
            wire.sent.push(b);
            this.sock.write(b);
        }

        close() {
            if (this.readyState >= RelayWebSocket.CLOSING) return;
            this.readyState = RelayWebSocket.CLOSING;
            wire.closedByViewer = true;
            this.sock.end();
        }
    };
}

// One tab: a fresh global object with the page's scripts loaded into it
function openTab(name) {
    const canvas = new Canvas();
    const elements = { Desk: canvas };
    const wire = { urls: [], sent: [], chunks: [], receivedBytes: 0, lastData: 0, closed: false };
    const logged = [];
    const win = {
        document: {
            getElementById: (id) => elements[id] || null,
            createElement: (tag) => (tag === 'canvas' ? new Canvas() : { style: {} }),
        },
        location: { protocol: 'https:', host: 'meshcentral.test', pathname: '/commander.htm',
                    href: 'https://meshcentral.test/commander.htm' },
        navigator: { userAgent: 'node' },
        console: { log: (...a) => logged.push(a.join(' ')), error: (...a) => logged.push(a.join(' ')) },
        setTimeout, clearTimeout, setInterval, clearInterval,
        WebSocket: relayWebSocketClass(wire),
    };
    win.window = win;
    const ctx = vm.createContext(win);
    for (const s of PAGE_SCRIPTS) vm.runInContext(s.code, ctx, { filename: `${name}:${s.file}` });
    return { name, ctx, canvas, document: win.document, wire, logged };
}

// ---- the wire, decoded for the checks -----------------------------------------

// The ME's redirection messages before RFB (0x11, 0x14, 0x41), then the
// RFB stream from the ME
function splitReceived(buf) {
    const msgs = [];
    let off = 0;
    while (off < buf.length) {
        const b = buf.subarray(off);
        let len = 0;
        if (b[0] === 0x11) len = b.length >= 13 ? 13 + b[12] : 0;
        else if (b[0] === 0x14) len = b.length >= 9 ? 9 + b.readUInt32LE(5) : 0;
        else if (b[0] === 0x41) len = 8;
        else return { msgs, rfb: b, rfbAt: off, unknown: true };
        if (!len || len > b.length) break;
        msgs.push(Buffer.from(b.subarray(0, len)));
        off += len;
        if (b[0] === 0x41) return { msgs, rfb: buf.subarray(off), rfbAt: off };
    }
    return { msgs, rfb: Buffer.alloc(0), rfbAt: off };
}

// What the ME sent over RFB: the handshake, then the updates, each rect's
// encoding and, for encoding 16, its stored-deflate framing and
// sub-encoding.  bpp follows the viewer's SetPixelFormat.
function parseServerRfb(b, bpp) {
    const r = { version: '', updates: 0, rects: 0, encodings: {}, subencodings: {}, maxTile: [0, 0],
                badFraming: [], sizes: [], serverInit: null, partial: false };
    if (b.length < 12) { r.partial = true; return r; }
    r.version = b.subarray(0, 12).toString('latin1');
    let off = 12;
    const nsec = b[off];
    r.security = [...b.subarray(off + 1, off + 1 + nsec)];
    off += 1 + nsec + 4;
    if (b.length < off + 24) { r.partial = true; return r; }
    const nameLen = b.readUInt32BE(off + 20);
    r.serverInit = { width: b.readUInt16BE(off), height: b.readUInt16BE(off + 2),
                     format: hex(b.subarray(off + 4, off + 20)),
                     name: b.subarray(off + 24, off + 24 + nameLen).toString('latin1') };
    off += 24 + nameLen;
    while (off < b.length) {
        if (b[off] !== 0) { r.other = `message type ${b[off]} at ${off}`; return r; }
        if (b.length < off + 4) { r.partial = true; return r; }
        const n = b.readUInt16BE(off + 2);
        off += 4;
        r.updates++;
        for (let i = 0; i < n; i++) {
            if (b.length < off + 12) { r.partial = true; return r; }
            const w = b.readUInt16BE(off + 4), h = b.readUInt16BE(off + 6);
            const enc = b.readInt32BE(off + 8);
            r.rects++;
            r.encodings[enc] = (r.encodings[enc] || 0) + 1;
            off += 12;
            if (enc === -223) {
                r.sizes.push(`${w}x${h}`);
            } else if (enc === 0) {
                off += w * h * bpp;
            } else if (enc === 16) {
                const len = b.readUInt32BE(off);
                const blk = b.subarray(off + 4, off + 4 + len);
                if (blk[0] !== 0 || blk.readUInt16LE(1) !== len - 5 ||
                    blk.readUInt16LE(3) !== (~(len - 5) & 0xffff)) {
                    r.badFraming.push(`rect ${r.rects}: ${hex(blk.subarray(0, 5))} for ${len} bytes`);
                }
                const sub = blk[5];
                const key = sub === 0 ? 'raw' : sub === 1 ? 'solid' : sub <= 16 ? 'packed' :
                    sub === 128 ? 'rle' : 'palette-rle';
                r.subencodings[key] = (r.subencodings[key] || 0) + 1;
                off += 4 + len;
            } else {
                r.other = `encoding ${enc}`;
                return r;
            }
            if (enc !== -223) r.maxTile = [Math.max(r.maxTile[0], w), Math.max(r.maxTile[1], h)];
        }
    }
    return r;
}

// What the viewer sent over RFB, message by message
function parseClientRfb(b) {
    const r = { version: b.subarray(0, 12).toString('latin1'), security: b[12], shared: b[13],
                encodings: [], formats: [], requests: 0, keys: [], pointers: [], cutText: [] };
    let off = 14;
    while (off < b.length) {
        const t = b[off];
        if (t === 0) { r.formats.push(hex(b.subarray(off + 4, off + 20))); off += 20; }
        else if (t === 2) {
            const n = b.readUInt16BE(off + 2);
            for (let i = 0; i < n; i++) r.encodings.push(b.readInt32BE(off + 4 + 4 * i));
            off += 4 + 4 * n;
        } else if (t === 3) { r.requests++; off += 10; }
        else if (t === 4) { r.keys.push([b.readUInt32BE(off + 4), b[off + 1]]); off += 8; }
        else if (t === 5) { r.pointers.push([b[off + 1], b.readUInt16BE(off + 2), b.readUInt16BE(off + 4)]); off += 6; }
        else if (t === 6) {
            const len = b.readUInt32BE(off + 4);
            r.cutText.push(b.subarray(off + 8, off + 8 + len).toString('latin1'));
            off += 8 + len;
        } else { r.unknown = `type ${t} at ${off}`; break; }
    }
    return r;
}

// ---- a viewer ---------------------------------------------------------------

// MeshCommander's "Remote Desktop" connect (commander.htm connectDesktop)
// for this ME: Intel AMT 16, whose IPS_KVMRedirectionSettingData has no
// grey, zlib or decimation support, so only encflags' RLE and colour
// depth count; kvmExtChanged is set because the version is above 15.
// encflags 1 is MeshCommander's default ("RLE8, 256 Colors"), 3 "RLE16,
// 64k Colors".
class Viewer {
    constructor(name, { pass = password, encflags = 3 } = {}) {
        this.tab = openTab(name);
        this.states = [];
        this.sizeChanges = [];
        const ctx = this.tab.ctx;
        const desk = ctx.CreateAmtRedirect(ctx.CreateAmtRemoteDesktop('Desk'));
        desk.m.useRLE = (encflags & 1) !== 0;
        desk.m.bpp = (encflags & 2) ? 2 : 1;
        desk.m.lowcolor = false;
        desk.m.graymode = false;
        desk.m.useZLib = false;
        desk.m.decimationMode = 0;
        desk.m.showmouse = true;
        desk.m.onScreenSizeChange = (m, w, h) => this.sizeChanges.push(`${m.width}x${m.height}`);
        desk.m.kvmExtChanged = () => {};
        desk.m.frameRateDelay = 0;
        desk.onStateChanged = (d, state) => {
            this.states.push(state);
            // MeshCommander announces itself on the KVM data channel at once
            if (state === 3) desk.m.sendKvmData(JSON.stringify({ action: 'present', ver: 1 }));
        };
        this.desk = desk;
        desk.Start(host, port, user, pass, 0);
    }

    get m() { return this.desk.m; }
    get canvas() { return this.tab.canvas; }
    get wire() { return this.tab.wire; }
    connected() { return this.desk.State === 3; }
    ended() { return this.states.includes(0); }
    received() { return Buffer.concat(this.wire.chunks); }
    sent() { return this.wire.sent; }
    redirReplies() { return splitReceived(this.received()).msgs; }

    clientRfb() {
        const at = this.sent().findIndex((m) => m[0] === 0x40 && m.length === 8);
        return at < 0 ? null : parseClientRfb(Buffer.concat(this.sent().slice(at + 1)));
    }

    serverRfb() {
        const c = this.clientRfb();
        const bpp = c && c.formats.length ? parseInt(c.formats[c.formats.length - 1], 16) / 8 : 2;
        return parseServerRfb(splitReceived(this.received()).rfb, bpp);
    }

    rfbBytes() { return this.wire.receivedBytes - splitReceived(this.received()).rfbAt; }

    // between updates (not inside one) and nothing received for quietMs
    async quiet(quietMs, timeoutMs) {
        return H.waitFor(() => this.m.state === 4 && this.m.acc == null &&
                         Date.now() - this.wire.lastData >= quietMs, timeoutMs, 100);
    }

    // A user's key: keydown, keypress, keyup on the document, as the page
    // hands them to the viewer once it grabbed the keyboard
    key(keyCode, code, { shiftKey = false, down = true, up = true } = {}) {
        const ev = { keyCode, which: keyCode, code, shiftKey, ctrlKey: false, altKey: false,
                     preventDefault() {}, stopPropagation() {} };
        const doc = this.tab.document;
        this.m.GrabKeyInput();
        if (down) this.dispatch(doc, 'onkeydown', ev);
        if (down && up) this.dispatch(doc, 'onkeypress', ev);
        if (up) this.dispatch(doc, 'onkeyup', ev);
    }

    // A mouse event on the canvas at pixel (x, y); the viewer reads the
    // position from window.event, as browsers set it during dispatch
    mouse(type, x, y, button = 0) {
        this.m.GrabMouseInput();
        this.dispatch(this.canvas, type, { pageX: x, pageY: y, button, preventDefault() {}, stopPropagation() {} });
    }

    dispatch(target, handler, ev) {
        this.tab.ctx.event = ev;
        try {
            if (target[handler]) target[handler](ev);
        } finally {
            this.tab.ctx.event = undefined;
        }
    }

    stop() { this.desk.Stop(); }

    transcript() {
        const sent = this.sent();
        const at = sent.findIndex((m) => m[0] === 0x40 && m.length === 8);
        const s = splitReceived(this.received());
        return [`${this.tab.name}: states ${this.states.join(' ')}, canvas ${this.canvas.w}x${this.canvas.h}, ` +
                `drawn with ${JSON.stringify(this.canvas.context.calls)}`,
                'sent before RFB:',
                ...sent.slice(0, at < 0 ? sent.length : at + 1).map((m) => '  C ' + hex(m.subarray(0, 80))),
                'received before RFB:', ...s.msgs.map((m) => '  D ' + hex(m)),
                `RFB from the ME: ${JSON.stringify(this.serverRfb())}`,
                `RFB from the viewer: ${JSON.stringify(this.clientRfb())}`,
                `closed: ${this.wire.closed}${this.wire.closedByViewer ? ' (by the viewer)' : ''}` +
                    (this.wire.error ? `, error ${this.wire.error}` : ''),
                ...this.tab.logged.map((l) => `page console: ${l}`)];
    }
}

// ---- QEMU's side ------------------------------------------------------------

async function qmp(command, args) {
    const reply = await H.qmp(qmpSocket, command, args);
    if (reply.error) throw new Error(`QMP ${command}: ${JSON.stringify(reply.error)}`);
    return reply.return;
}

async function kvmInfo() {
    const devs = await qmp('query-vamt');
    return devs[0].kvm;
}

function readPpm(file) {
    const data = fs.readFileSync(file);
    const fields = [];
    let pos = 0;
    while (fields.length < 4) {
        while (/\s/.test(String.fromCharCode(data[pos]))) pos++;
        if (data[pos] === 0x23) { pos = data.indexOf(0x0a, pos) + 1; continue; }
        let end = pos;
        while (!/\s/.test(String.fromCharCode(data[end]))) end++;
        fields.push(data.subarray(pos, end).toString('latin1'));
        pos = end;
    }
    pos++;
    if (fields[0] !== 'P6' || fields[3] !== '255') throw new Error(`${file}: not a P6 PPM with maxval 255`);
    const w = Number(fields[1]), h = Number(fields[2]);
    return { w, h, rgb: data.subarray(pos, pos + w * h * 3) };
}

function writePpm(file, canvas) {
    const rgb = Buffer.alloc(canvas.w * canvas.h * 3);
    for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
        rgb[i] = canvas.pixels[j];
        rgb[i + 1] = canvas.pixels[j + 1];
        rgb[i + 2] = canvas.pixels[j + 2];
    }
    fs.writeFileSync(file, Buffer.concat([Buffer.from(`P6\n${canvas.w} ${canvas.h}\n255\n`), rgb]));
}

// What the viewer can show of a screendump's pixel: the ME converts
// by truncation and the module decodes RGB565 as r=(v>>8)&248,
// g=(v>>3)&252, b=(v&31)<<3, and RGB332 as r=v&224, g=(v&28)<<3,
// b=_fixColor((v&3)<<6) (64 -> 64, 128 -> 160, 192 -> 224)
const QUANTISE = {
    2: (r, g, b) => [r & 0xf8, g & 0xfc, b & 0xf8],
    1: (r, g, b) => [r & 0xe0, g & 0xe0, [0, 64, 160, 224][b >> 6]],
};

// The viewer's canvas against a screendump taken with the VM stopped
async function compareWithScreendump(viewer, label) {
    const file = path.join(work, `${label}.ppm`);
    await qmp('screendump', { filename: file, format: 'ppm' });
    const dump = readPpm(file);
    const c = viewer.canvas;
    const q = QUANTISE[viewer.m.bpp];
    const res = { label, dump: `${dump.w}x${dump.h}`, canvas: `${c.w}x${c.h}`, mismatches: 0, undrawn: 0, first: null };
    if (dump.w !== c.w || dump.h !== c.h) {
        res.sizeMismatch = true;
    } else {
        for (let i = 0, p = 0; i < dump.w * dump.h; i++, p += 3) {
            const want = q(dump.rgb[p], dump.rgb[p + 1], dump.rgb[p + 2]);
            const px = c.pixels.subarray(i * 4, i * 4 + 4);
            const bad = px[3] !== 255 || px[0] !== want[0] || px[1] !== want[1] || px[2] !== want[2];
            if (px[3] !== 255) res.undrawn++;
            if (bad) {
                res.mismatches++;
                if (!res.first) {
                    res.first = { x: i % dump.w, y: Math.floor(i / dump.w), viewer: [...px],
                                  screendump: [dump.rgb[p], dump.rgb[p + 1], dump.rgb[p + 2]], expected: want };
                }
            }
        }
    }
    res.ok = !res.sizeMismatch && res.mismatches === 0;
    // both pictures are kept for a look when they differ (or with the trace)
    if (!res.ok || process.env.VAMT_KVM_TRACE) {
        writePpm(path.join(logDir, `mckvm-${label}-viewer.ppm`), c);
        fs.copyFileSync(file, path.join(logDir, `mckvm-${label}-screendump.ppm`));
    }
    return res;
}

// Stop the VM, let the viewer drain what the ME still has, screendump,
// compare, run on (unless it was paused before).  With the VM stopped
// both see the same moment (the text cursor blinks on the virtual clock,
// which stops too).
async function frameCheck(viewer, label, what, { resume = true } = {}) {
    await qmp('stop');
    let res;
    try {
        const drained = await viewer.quiet(2000, 20000);
        res = await compareWithScreendump(viewer, label);
        res.drained = !!drained;
        const s = viewer.serverRfb();
        tap.ok(drained && res.ok && viewer.connected(),
               `${what}: with the VM stopped and the viewer drained, its ${res.canvas} canvas equals ` +
               `QMP screendump (${res.dump}) pixel for pixel after ` +
               `${viewer.m.bpp === 2 ? 'RGB565' : 'RGB332'} quantisation`,
               `drained: ${res.drained}, mismatching pixels: ${res.mismatches}, of them never drawn: ${res.undrawn}` +
               (res.sizeMismatch ? ', the sizes differ' : ''),
               `first mismatch: ${JSON.stringify(res.first)}`,
               `so far ${s.updates} updates, ${s.rects} rects ${JSON.stringify(s.encodings)}, ` +
               `sub-encodings ${JSON.stringify(s.subencodings)}`,
               `canvas and screendump kept in ${logDir}/mckvm-${label}-*.ppm`);
    } finally {
        if (resume) await qmp('cont');
    }
    return res;
}

// ---- the guest's shell ------------------------------------------------------

// Commands go into the pipe of the guest's serial console, the answers
// come back in its log; only what came after the command counts
class GuestShell {
    constructor() {
        this.fd = fs.openSync(consolePipe, 'r+');   // never waits for a reader
        this.since = 0;
    }

    log() {
        try { return fs.readFileSync(serialLog); } catch (e) { return Buffer.alloc(0); }
    }

    // everything since the last command, or since a mark() of the log
    output(from = this.since) { return this.log().subarray(from).toString('latin1').replace(/\r/g, ''); }
    lines(from) { return this.output(from).split('\n'); }
    said(line, from) { return this.lines(from).includes(line); }
    mark() { return this.log().length; }

    // busybox's prompt, after which its line editing asks for the cursor (ESC [6n)
    prompt() {
        const tail = this.log().subarray(-16).toString('latin1').replace(/[\r\n]/g, '').replace(/\x1b\[6n$/, '');
        return tail.endsWith('/ # ');
    }

    run(cmd) {
        this.since = this.log().length;
        fs.writeSync(this.fd, `${cmd}\n`);
    }

    async command(cmd, done, timeoutMs) {
        this.run(cmd);
        const ok = await H.waitFor(() => this.said(done), timeoutMs, 200);
        await H.waitFor(() => this.prompt(), 10000, 200);
        return ok;
    }
}

// ---- the scenario -----------------------------------------------------------

const viewers = [];

function newViewer(name, opts) {
    const v = new Viewer(name, opts);
    viewers.push(v);
    return v;
}

async function main() {
    const startedAt = Date.now();

    // 1. a wrong password first: with a session open it would be refused as busy
    const bad = newViewer('wrong-password', { pass: `${password}-wrong` });
    await H.waitFor(() => bad.ended(), 8000, 100);
    const badReplies = bad.redirReplies();
    tap.ok(bad.ended() && !bad.states.includes(3) && bad.wire.closed &&
           badReplies.some((m) => m.equals(Buffer.from('140100000400000000', 'hex'))) &&
           !badReplies.some((m) => m[0] === 0x41) && !bad.sent().some((m) => m[0] === 0x40),
           'a wrong password: the ME answers the Digest response with 14 01 00 00 04 (failure), ' +
           'the viewer never asks for KVM (0x40) and ends without reaching its connected state',
           ...bad.transcript());
    bad.stop();
    const afterBad = await kvmInfo();
    tap.ok(!afterBad.session, 'after the refused login, query-vamt kvm.session is false', JSON.stringify(afterBad));

    // 2. the session, with the VM not started yet (-S)
    const view = newViewer('viewer');
    await H.waitFor(() => view.connected() || view.ended(), 10000, 100);
    const replies = view.redirReplies();
    const digest = view.sent().filter((m) => m[0] === 0x13 && m[4] === 4);
    tap.ok(view.tab.wire.urls[0].includes(`host=${host}&port=${port}&tls=0`) &&
           view.sent()[0].equals(Buffer.from('100100004b564d52', 'hex')) &&
           replies[0] && replies[0][0] === 0x11 && replies[0][1] === 0 && replies[0].length === 13,
           'the viewer opens KVMR through the relay (10 01 00 00 "KVMR") and the ME accepts it ' +
           '(13-byte 0x11, status 0)',
           ...view.transcript());
    tap.ok(digest.length === 2 && replies.some((m) => m[0] === 0x14 && m[4] === 0 && [...m.subarray(9)].includes(4)) &&
           replies.some((m) => m.equals(Buffer.from('140000000400000000', 'hex'))),
           'the viewer logs in with Digest type 4 as MeshCommander does (query, initial request, response; ' +
           'the ME answers 14 00 00 00 04)', ...view.transcript());
    tap.ok(view.sent().some((m) => m.equals(Buffer.from('4000000000000000', 'hex'))) &&
           replies.some((m) => m.equals(Buffer.from('4100000000000000', 'hex'))) &&
           view.connected() && view.m.state === 4,
           'then 40 00 00 00 00 00 00 00 is answered with 41 00 00 00 00 00 00 00, and RFB takes the viewer ' +
           'to its connected state (3)', ...view.transcript());
    if (!view.connected()) return;

    await H.waitFor(() => view.serverRfb().updates > 0, 10000, 100);
    await view.quiet(1000, 10000);
    const info = await kvmInfo();
    const srv = view.serverRfb();
    const cli = view.clientRfb();
    tap.ok(srv.version === 'RFB 003.008\n' && JSON.stringify(srv.security) === '[1]' &&
           cli.version === 'RFB 003.008\n' && cli.security === 1 &&
           srv.serverInit && srv.serverInit.format === '10 10 00 01 00 1f 00 3f 00 1f 0b 05 00 00 00 00',
           'RFB 3.8 with security None, ServerInit in RGB565 little-endian ' +
           '(16 bpp, depth 16, max 31/63/31, shifts 11/5/0)',
           ...view.transcript());
    tap.ok(JSON.stringify(cli.encodings) === '[16,0,1092,-223]' && cli.formats.length === 0 &&
           JSON.stringify(cli.cutText) === '["\\u0000KvmExtCmd\\u0000\\u0004\\u0000"]',
           'MeshCommander asks for encodings 16, RAW, 1092 and DesktopSize (-223), keeps RGB565 (no SetPixelFormat) ' +
           'and sends its KvmExtCmd "zlib off" as ClientCutText, which the ME takes without closing',
           JSON.stringify(cli));
    tap.ok(info.session && srv.serverInit.width === info.width && srv.serverInit.height === info.height &&
           view.canvas.w === info.width && view.canvas.h === info.height,
           `query-vamt kvm: session true, ${info.width}x${info.height}, which is ServerInit's size and the canvas's`,
           JSON.stringify(info), JSON.stringify(srv.serverInit), `canvas ${view.canvas.w}x${view.canvas.h}`);
    tap.ok(srv.rects > 0 && (srv.encodings[16] || 0) === srv.rects - (srv.encodings[-223] || 0) &&
           srv.maxTile[0] <= 64 && srv.maxTile[1] <= 64 && srv.badFraming.length === 0 && !srv.other && !srv.partial,
           `the ME sends encoding 16 tiles of at most 64x64 in stored deflate blocks (${srv.rects} rects, ` +
           `sub-encodings ${JSON.stringify(srv.subencodings)})`, JSON.stringify(srv));
    // Not started yet (-S) is soft-off to the ME, and a powered-off PC's
    // monitor is black (docs/system/devices/vamt.rst), whatever QEMU's
    // placeholder surface (screendump) says
    const black = view.canvas.pixels.every((v, i) => (i & 3) === 3 ? v === 255 : v === 0);
    tap.ok(black && view.canvas.w === info.width && view.canvas.h === info.height,
           `before the VM starts (-S: soft-off to the ME) the viewer shows a black ${info.width}x${info.height} screen`,
           `canvas ${view.canvas.w}x${view.canvas.h}, all opaque black: ${black}`);

    // 3. the firmware's text screen: SeaBIOS switches to 720x400
    const sizesBefore = view.canvas.sizes.length;
    await qmp('cont');
    const text = await H.waitFor(() => view.canvas.sizes.slice(sizesBefore).includes('720x400') &&
                                 view.canvas.w === 720, 20000, 50);
    tap.ok(text && view.serverRfb().sizes.includes('720x400'),
           'the firmware\'s text mode reaches the viewer as a DesktopSize rect and the canvas becomes 720x400',
           `canvas sizes: ${view.canvas.sizes.join(' ')}`, JSON.stringify(view.serverRfb().sizes));
    await frameCheck(view, 'firmware-text', 'the firmware\'s text screen');

    // 4. a second session while this one is open: busy
    const second = newViewer('second');
    await H.waitFor(() => second.ended(), 8000, 100);
    const start2 = second.redirReplies()[0];
    tap.ok(second.ended() && !second.states.includes(3) && start2 && start2[0] === 0x11 && start2[1] === 2 &&
           !second.sent().some((m) => m[0] === 0x13),
           'a second KVM session from another MeshCommander while the first is open: 0x11 status 2 (busy), ' +
           'the viewer stops before logging in', ...second.transcript());
    second.stop();
    tap.ok(view.connected() && !view.wire.closed && (await kvmInfo()).session,
           'the first viewer is still connected and query-vamt still reports its session');

    // 5. the guest: Linux's text console, then kvmguest's graphics modes
    const shell = new GuestShell();
    const booted = await H.waitFor(() => shell.log().toString('latin1').includes('VAMT-GUEST: DONE') && shell.prompt(),
                                   90000, 250);
    tap.ok(booted, 'the guest boots to its shell while the viewer watches',
           `serial tail: ${JSON.stringify(shell.log().subarray(-300).toString('latin1'))}`);
    if (!booted) return;
    await frameCheck(view, 'linux-text', 'the text screen once Linux booted');

    const have = (line) => shell.said(line);
    const modeSet = async (w, h) => {
        const before = view.canvas.sizes.length;
        const ok = await shell.command(`kvmguest mode ${w} ${h}`, `KVMGUEST mode ${w}x${h}`, 60000);
        const followed = await H.waitFor(() => view.canvas.w === w && view.canvas.h === h &&
                                         view.canvas.sizes.slice(before).includes(`${w}x${h}`), 15000, 100);
        tap.ok(ok && followed && view.serverRfb().sizes.includes(`${w}x${h}`),
               `kvmguest mode ${w} ${h}: the DesktopSize reaches the viewer and its canvas becomes ${w}x${h}`,
               `guest output: ${JSON.stringify(shell.output())}`, `canvas sizes: ${view.canvas.sizes.join(' ')}`,
               `viewer size changes: ${view.sizeChanges.join(' ')}`);
        return ok && followed;
    };

    if (await modeSet(800, 600)) await frameCheck(view, 'mode-800x600', 'the guest\'s 800x600 32-bpp mode');

    // 6. input: keys typed into the page and a click on the canvas
    shell.run('kvmguest input 20');
    const ready = await H.waitFor(() => have('KVMGUEST input ready'), 30000, 100);
    tap.ok(ready && have('KVMGUEST absrange 32767 32767'),
           'kvmguest input opens the guest\'s keyboard and the usb-tablet (absrange 32767 32767)',
           `guest output: ${JSON.stringify(shell.output())}`);
    const eventsBefore = (await kvmInfo())['input-events'];
    const keysBefore = view.clientRfb().keys.length;
    view.key(65, 'KeyA');                                   // 'a'
    const aSeen = await H.waitFor(() => have('KVMGUEST key 30 1') && have('KVMGUEST key 30 0'), 10000, 100);
    tap.ok(aSeen && JSON.stringify(view.clientRfb().keys.slice(keysBefore)) === '[[97,1],[97,0]]',
           'typing "a" in the viewer (keysym 0x61 down, up) reaches the guest as KEY_A press and release ' +
           '(key 30 1, key 30 0)',
           `sent keys: ${JSON.stringify(view.clientRfb().keys.slice(keysBefore))}`,
           `guest output: ${JSON.stringify(shell.output())}`);
    // autorepeat (value 2) is the guest's own, should a release come late
    const keyLines = () => shell.lines().filter((l) => l.startsWith('KVMGUEST key ') && !l.endsWith(' 2'));
    const keysSoFar = keyLines().length;
    view.key(16, 'ShiftLeft', { up: false });               // Shift+a: "A"
    view.key(65, 'KeyA', { shiftKey: true });
    view.key(16, 'ShiftLeft', { down: false, shiftKey: true });
    view.key(49, 'Digit1');                                 // '1'
    view.key(13, 'Enter');
    const want = ['42 1', '30 1', '30 0', '42 0', '2 1', '2 0', '28 1', '28 0'].map((k) => `KVMGUEST key ${k}`);
    const newKeys = () => keyLines().slice(keysSoFar);
    const seq = await H.waitFor(() => want.every((k) => newKeys().includes(k)), 10000, 100);
    tap.ok(seq && JSON.stringify(newKeys()) === JSON.stringify(want),
           'Shift+"a", "1" and Enter typed in the viewer arrive as exactly LeftShift, A, 1, Enter ' +
           'presses and releases ' +
           'in order (no extra shift for the keysym "A")',
           `sent keys: ${JSON.stringify(view.clientRfb().keys.slice(keysBefore))}`,
           `guest key lines: ${JSON.stringify(newKeys())}`);

    // clicks on the canvas: move (the viewer sends it after its 50 ms
    // nagle), press, release; the guest's position maps back to the pixel
    // as QEMU scales it (x * 32767 / width)
    const pointersBefore = view.clientRfb().pointers.length;
    const click = async (x, y, button, name, code) => {
        const from = shell.mark(), sentFrom = view.clientRfb().pointers.length;
        view.mouse('onmousemove', x, y);
        await H.sleep(150);
        view.mouse('onmousedown', x, y, button);
        view.mouse('onmouseup', x, y, button);
        const absAt = () => shell.lines(from).map((l) => /^KVMGUEST abs (\d+) (\d+)$/.exec(l)).filter(Boolean).pop();
        const seen = await H.waitFor(() => absAt() && shell.said(`KVMGUEST key ${code} 1`, from) &&
                                     shell.said(`KVMGUEST key ${code} 0`, from), 10000, 100);
        const abs = absAt();
        const gx = abs ? Number(abs[1]) * 800 / 32767 : NaN, gy = abs ? Number(abs[2]) * 600 / 32767 : NaN;
        tap.ok(seen && Math.abs(gx - x) <= 1 && Math.abs(gy - y) <= 1,
               `a ${name} click on canvas pixel (${x},${y}) reaches the usb-tablet at abs ` +
               `${abs ? abs[1] + ' ' + abs[2] : '?'}, pixel (${gx.toFixed(2)},${gy.toFixed(2)}) of 800x600, ` +
               `within 1 pixel, with its button pressed and released (key ${code} 1, key ${code} 0)`,
               `sent pointer events: ${JSON.stringify(view.clientRfb().pointers.slice(sentFrom))}`,
               `guest output: ${JSON.stringify(shell.output(from))}`);
    };
    await click(200, 450, 0, 'left', 272);              // BTN_LEFT
    await click(799, 599, 2, 'right', 273);             // BTN_RIGHT, in the far corner
    await H.sleep(300);
    const c = view.clientRfb();
    const eventsAfter = (await kvmInfo())['input-events'];
    tap.ok(eventsAfter - eventsBefore === (c.keys.length - keysBefore) + (c.pointers.length - pointersBefore),
           `query-vamt kvm.input-events grew by the viewer's key and pointer events (${eventsAfter - eventsBefore})`,
           `input-events ${eventsBefore} -> ${eventsAfter}, keys ${c.keys.length - keysBefore}, ` +
           `pointer events ${c.pointers.length - pointersBefore}`);
    await H.waitFor(() => have('KVMGUEST input end') && shell.prompt(), 30000, 200);

    // 7. a bigger mode: the canvas follows again
    if (await modeSet(1024, 768)) await frameCheck(view, 'mode-1024x768', 'the guest\'s 1024x768 mode after 800x600');

    // the ME's counters against what the viewer received, the VM stopped
    await qmp('stop');
    await view.quiet(2000, 20000);
    const k = await kvmInfo();
    const s = view.serverRfb();
    await qmp('cont');
    tap.ok(k.updates === s.updates && k.bytes === view.rfbBytes() && k.width === 1024 && k.height === 768,
           `query-vamt kvm.updates (${k.updates}) and kvm.bytes (${k.bytes}) are the FramebufferUpdates ` +
           'and RFB bytes ' +
           'the viewer received, width and height the mode\'s',
           JSON.stringify(k), `viewer: ${s.updates} updates, ${view.rfbBytes()} RFB bytes`);

    const whole = view.serverRfb();
    tap.comment(`the session: ${whole.updates} updates, ${whole.rects} rects ${JSON.stringify(whole.encodings)}, ` +
                `sub-encodings ${JSON.stringify(whole.subencodings)}, ${view.rfbBytes()} RFB bytes; ` +
                `the viewer's screen sizes: ${view.sizeChanges.join(' ')}`);

    // 8. the viewer disconnects: the session is over
    view.stop();
    const closed = await H.waitFor(async () => !(await kvmInfo()).session, 5000, 100);
    tap.ok(closed && view.wire.closed && view.ended(),
           'after the viewer disconnects, query-vamt kvm.session is false', JSON.stringify(await kvmInfo()));

    // 9. MeshCommander's default, RLE8 (256 colours), on the same screen
    const rle8 = newViewer('rle8', { encflags: 1 });
    await H.waitFor(() => rle8.connected() || rle8.ended(), 10000, 100);
    await H.waitFor(() => rle8.serverRfb().updates > 0, 10000, 100);
    const c8 = rle8.clientRfb();
    const rgb332 = '["08 08 00 01 00 07 00 07 00 03 05 02 00 00 00 00"]';
    tap.ok(rle8.connected() && c8 && JSON.stringify(c8.formats) === rgb332 &&
           rle8.canvas.w === 1024 && rle8.canvas.h === 768,
           'a new viewer with MeshCommander\'s default encoding (RLE8) connects and asks for RGB332 ' +
           '(SetPixelFormat 8 bpp, max 7/7/3, shifts 5/2/0) at 1024x768', ...rle8.transcript());
    if (rle8.connected()) await frameCheck(rle8, 'rle8-1024x768', 'RLE8 viewer');
    rle8.stop();
    const closed8 = await H.waitFor(async () => !(await kvmInfo()).session, 5000, 100);
    tap.ok(closed8, 'after it disconnects too, query-vamt kvm.session is false');
    tap.comment(`scenario took ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
}

const watchdog = setTimeout(() => {
    tap.ok(false, 'the scenario finished within 280 s');
    viewers.forEach((v) => tap.comment(v.transcript().join('\n')));
    tap.finish();
    process.exit(1);
}, 280000);

main().catch((e) => {
    tap.ok(false, 'the scenario ran without an exception', e.stack || String(e));
}).finally(() => {
    clearTimeout(watchdog);
    if (process.env.VAMT_KVM_TRACE) viewers.forEach((v) => tap.comment(v.transcript().join('\n')));
    viewers.forEach((v) => { try { v.stop(); } catch (e) { /* already gone */ } });
    tap.finish();
    // the modules' sockets and timers are stopped, but do not wait on them
    setTimeout(() => process.exit(process.exitCode), 200);
});
