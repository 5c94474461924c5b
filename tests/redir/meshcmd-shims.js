// SPDX-License-Identifier: GPL-2.0-or-later
//
// What the MeshCentral redirection tests (meshcentral-sol.js,
// meshcentral-ider.js, meshcommander-kvm.js) share to run MeshCentral
// 1.1.55's console modules unmodified under node: the little meshcmd's
// Duktape runtime gives them and node does not, the paths of the pinned
// npm package's modules, and a tap on a module's wire.
//
// meshcmd's agents/modules_meshcmd/amt-redir-duk.js (the transport) needs
// exactly two such things on the SOL and IDE-R paths:
// require('MD5Stream').create().syncHash(string) -> Buffer, and
// tls.generateRandomInteger(lo, hi) for the cnonce; and with TLS (16995)
// Duktape's checkServerIdentity, which is given the peer's certificate
// chain as an array where node gives (hostname, certificate).  (Its
// Buffer.prototype.substring use is on the KVM path only, and it never
// touches a global fs, so neither is shimmed: a session reaching them
// would be a bug worth seeing as a crash.)
'use strict';

const crypto = require('crypto');
const Module = require('module');
const path = require('path');
const tls = require('tls');

const md5Stream = {
    create: () => ({
        syncHash: (s) => crypto.createHash('md5').update(String(s), 'utf8').digest(),
    }),
};
const moduleLoad = Module._load;
Module._load = function (request, ...rest) {
    return request === 'MD5Stream' ? md5Stream : moduleLoad.call(this, request, ...rest);
};
tls.generateRandomInteger = (lo, hi) => crypto.randomInt(Number(lo), Number(hi) + 1);
const tlsConnect = tls.connect;
tls.connect = function (options, ...rest) {
    const check = options && options.checkServerIdentity;
    if (check) {
        options = { ...options, checkServerIdentity: (host, cert) => check([cert]) };
    }
    return tlsConnect.call(this, options, ...rest);
};
// The modules still use new Buffer(); the warning is only noise on stderr
process.noDeprecation = true;

// A file of the pinned package, by its path in it
// ('agents/modules_meshcmd/amt-redir-duk.js', 'public/scripts/common-0.0.1.js')
function meshcentralPath(nodeModules, file) {
    return path.join(nodeModules, 'meshcentral', file);
}

// A module of the pinned package, by its path in it
// ('agents/modules_meshcmd/amt-redir-duk.js', 'amt/amt-ider-module.js')
function meshcentral(nodeModules, file) {
    return require(meshcentralPath(nodeModules, file));
}

const hex = (b) => Buffer.from(b).toString('hex').replace(/(..)(?!$)/g, '$1 ');

// Watch what an amt-redir-duk.js object sends and receives by wrapping
// its xxSend and socket-data entry points, which it (and its inner
// module) call through the object; call it before Start().  Returns
// { sent: [Buffer per message], received: Buffer (all bytes so far) }.
function tapWire(redir) {
    const wire = { sent: [], received: Buffer.alloc(0) };
    const send = redir.xxSend;
    redir.xxSend = (x) => {
        wire.sent.push(typeof x === 'string' ? Buffer.from(x, 'binary') : Buffer.from(x));
        return send(x);
    };
    const onData = redir.xxOnSocketData;
    redir.xxOnSocketData = (data) => {
        if (data) wire.received = Buffer.concat([wire.received, data]);
        return onData(data);
    };
    return wire;
}

module.exports = { meshcentral, meshcentralPath, hex, tapWire };
