// SPDX-License-Identifier: GPL-2.0-or-later
//
// HTTP transport framed the way Open AMT's MPS sends WS-Management to a
// device (captures/openamt-mps): POST /wsman, "Host: <platform guid>:16992",
// no Content-Type, Digest with every value quoted (qop="auth", nc="…"),
// one nonce reused with a growing nc, over a keep-alive connection that is
// reopened when the device closes it (it does after each 401).
// @device-management-toolkit/wsman-messages only builds the envelopes; this
// carries them.  Also a small XML reader for checking the answers.
'use strict';

const crypto = require('crypto');
const net = require('net');
const tls = require('tls');

const md5 = (s) => crypto.createHash('md5').update(s).digest('hex');

// Read one HTTP/1.1 response from a buffer; null while incomplete
function parseResponse(buf) {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const head = buf.slice(0, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
    if (!m) throw new Error(`bad status line: ${JSON.stringify(head[0])}`);
    const headers = {};
    for (const line of head.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let pos = end + 4;
    let body;
    if (/chunked/i.test(headers['transfer-encoding'] || '')) {
        const parts = [];
        for (;;) {
            const lineEnd = buf.indexOf('\r\n', pos);
            if (lineEnd < 0) return null;
            const size = parseInt(buf.slice(pos, lineEnd).toString('latin1'), 16);
            if (isNaN(size)) throw new Error('bad chunk size');
            if (buf.length < lineEnd + 2 + size + 2) return null;
            if (size === 0) { pos = lineEnd + 4; break; }
            parts.push(buf.slice(lineEnd + 2, lineEnd + 2 + size));
            pos = lineEnd + 2 + size + 2;
        }
        body = Buffer.concat(parts);
    } else if (headers['content-length'] !== undefined) {
        const len = Number(headers['content-length']);
        if (buf.length < pos + len) return null;
        body = buf.slice(pos, pos + len);
        pos += len;
    } else {
        body = buf.slice(pos);          // until close; caller handles
        return { status: Number(m[1]), headers, body: body.toString('utf8'), rest: Buffer.alloc(0), untilClose: true };
    }
    return { status: Number(m[1]), headers, body: body.toString('utf8'), rest: buf.slice(pos) };
}

class MpsWsmanClient {
    // ca: a CA certificate (PEM): TLS (16993), the ME's certificate checked
    constructor({ host, port, user, password, guid, ca }) {
        Object.assign(this, { host, port, user, password, guid, ca });
        this.challenge = null;      // { realm, nonce, qop }
        this.nc = 0;
        this.socket = null;
        this.connections = 0;
    }

    _connect() {
        return new Promise((resolve, reject) => {
            const sock = this.ca ?
                tls.connect({ host: this.host, port: this.port, ca: this.ca }) :
                net.createConnection({ host: this.host, port: this.port });
            sock.once(this.ca ? 'secureConnect' : 'connect', () => {
                this.connections++;
                this.socket = sock;
                sock.on('close', () => { if (this.socket === sock) this.socket = null; });
                sock.on('error', () => {});
                resolve(sock);
            });
            sock.once('error', reject);
        });
    }

    _authorization() {
        if (!this.challenge) return null;
        const { realm, nonce } = this.challenge;
        const nc = (++this.nc).toString(16).padStart(8, '0');
        const cnonce = crypto.randomBytes(4).toString('hex').slice(0, 6);
        const ha1 = md5(`${this.user}:${realm}:${this.password}`);
        const ha2 = md5('POST:/wsman');
        const response = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
        return `Digest username="${this.user}",realm="${realm}",nonce="${nonce}",uri="/wsman",` +
               `qop="auth",response="${response}",nc="${nc}",cnonce="${cnonce}"`;
    }

    // One request/response on the current (or a new) connection
    async _exchange(body) {
        const reused = Boolean(this.socket);
        const sock = this.socket || await this._connect();
        const auth = this._authorization();
        const payload = Buffer.from(body, 'utf8');
        const head = 'POST /wsman HTTP/1.1\r\n' +
            (auth ? `Authorization: ${auth}\r\n` : '') +
            `Host: ${this.guid}:16992\r\n` +
            `Content-Length: ${payload.length}\r\n\r\n`;
        return new Promise((resolve, reject) => {
            let buf = Buffer.alloc(0);
            const timer = setTimeout(() => finish(new Error('no answer in 20 s')), 20000);
            const onData = (d) => {
                buf = Buffer.concat([buf, d]);
                let r;
                try { r = parseResponse(buf); } catch (e) { finish(e); return; }
                if (r && !r.untilClose) finish(null, r);
            };
            const onClose = () => {
                let r = null;
                try { r = parseResponse(buf); } catch (e) { /* fall through */ }
                if (r) finish(null, r);
                else finish(Object.assign(new Error('connection closed without a response'),
                                          { retryable: reused && buf.length === 0 }));
            };
            const finish = (err, r) => {
                clearTimeout(timer);
                sock.removeListener('data', onData);
                sock.removeListener('close', onClose);
                if (r && /close/i.test(r.headers.connection || '')) {
                    sock.destroy();
                    if (this.socket === sock) this.socket = null;
                }
                if (err) { sock.destroy(); reject(err); } else resolve(r);
            };
            sock.on('data', onData);
            sock.on('close', onClose);
            sock.write(head);
            sock.write(payload);
        });
    }

    // POST one envelope; authenticates on 401 like MPS (one retry)
    async post(body) {
        let r;
        try {
            r = await this._exchange(body);
        } catch (e) {
            if (!e.retryable) throw e;
            r = await this._exchange(body);     // keep-alive socket went away
        }
        if (r.status === 401) {
            const h = r.headers['www-authenticate'] || '';
            const get = (k) => { const m = new RegExp(`${k}="([^"]*)"`).exec(h); return m ? m[1] : null; };
            this.challenge = { realm: get('realm'), nonce: get('nonce'), qop: get('qop') };
            this.nc = 0;
            r = await this._exchange(body);
        }
        return r;
    }

    close() {
        if (this.socket) this.socket.destroy();
    }
}

// --- a small XML reader: elements with prefix, local name, namespace URI,
// attributes, text and children.  Throws on malformed markup, mismatched
// tags and prefixes that no xmlns declaration in scope binds.
const ENTITIES = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const decode = (s) => s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (all, e) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1)))
                 : (ENTITIES[e] !== undefined ? ENTITIES[e] : all));

function parseXml(text) {
    const root = { local: '#document', children: [], ns: {} };
    const stack = [root];
    const re = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<\/([^\s>]+)\s*>|<([^\s/>]+)((?:\s+[^\s=]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)|(<)/g;
    let m;
    while ((m = re.exec(text))) {
        const top = stack[stack.length - 1];
        if (m[6]) throw new Error(`malformed markup at offset ${m.index}`);
        if (m[1]) {
            if (top.name !== m[1]) throw new Error(`</${m[1]}> closes <${top.name}>`);
            stack.pop();
        } else if (m[2]) {
            const attrs = {};
            const ns = Object.assign({}, top.ns);
            const are = /([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
            let a;
            while ((a = are.exec(m[3]))) {
                const v = decode(a[2] !== undefined ? a[2] : a[3]);
                attrs[a[1]] = v;
                if (a[1] === 'xmlns') ns[''] = v;
                else if (a[1].startsWith('xmlns:')) ns[a[1].slice(6)] = v;
            }
            const colon = m[2].indexOf(':');
            const prefix = colon >= 0 ? m[2].slice(0, colon) : '';
            if (prefix && ns[prefix] === undefined) throw new Error(`undeclared prefix "${prefix}" on <${m[2]}>`);
            const el = { name: m[2], prefix, local: m[2].slice(colon + 1), uri: ns[prefix] || '',
                         attrs, ns, children: [], text: '' };
            top.children.push(el);
            if (!m[4]) stack.push(el);
        } else if (m[5] !== undefined && !m[0].startsWith('<')) {
            if (stack.length === 1) {
                if (m[5].trim()) throw new Error('text outside the root element');
            } else {
                top.text += decode(m[5]);
            }
        }
    }
    if (stack.length !== 1) throw new Error(`<${stack[stack.length - 1].name}> not closed`);
    if (root.children.length !== 1) throw new Error('not exactly one root element');
    return root.children[0];
}

const child = (el, local) => el && el.children.find((c) => c.local === local);
const children = (el, local) => (el ? el.children.filter((c) => c.local === local) : []);
const path = (el, ...locals) => locals.reduce((e, l) => child(e, l), el);
const text = (el) => (el ? el.text : undefined);

// An element's simple properties as { name: value | [values] }
function properties(el) {
    const out = {};
    for (const c of (el ? el.children : [])) {
        const v = c.children.length ? c : c.text;
        if (out[c.local] === undefined) out[c.local] = v;
        else out[c.local] = [].concat(out[c.local], v);
    }
    return out;
}

module.exports = { MpsWsmanClient, parseXml, child, children, path, text, properties };
