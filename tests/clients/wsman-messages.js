// SPDX-License-Identifier: GPL-2.0-or-later
//
// Open AMT against vAMT: every class in vAMT's scope that
// @device-management-toolkit/wsman-messages (the pinned npm package MPS and
// RPS build their WS-Management with) knows, requested with envelopes that
// package builds and sent the way MPS sends them (mps-http.js).  Each answer
// must be a proper WS-Management response to that request - well-formed,
// no fault, the right Action, RelatesTo = our MessageID, our ResourceURI -
// and for the classes MPS's REST API reports, carry the right values.
// Classes vAMT does not implement yet must answer with a proper 400 fault.
// Prints TAP.
'use strict';

const path = require('path');
const H = require('./harness.js');
const X = require('./mps-http.js');

const vm = H.vmUnderTest();
const tap = new H.Tap();
const W = require(path.join(vm.nodeModules, '@device-management-toolkit', 'wsman-messages'));

const ENUM = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration';
const TRANSFER = 'http://schemas.xmlsoap.org/ws/2004/09/transfer';
const SOAP = 'http://www.w3.org/2003/05/soap-envelope';
const FAULT_ACTION = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/fault';

const client = new X.MpsWsmanClient({
    host: vm.tlsCa ? vm.tlsHost : vm.host, port: vm.port, user: vm.user,
    password: vm.password, guid: vm.uuid, ca: vm.tlsCa || undefined,
});
const amt = new W.AMT.Messages();
const cim = new W.CIM.Messages();
const ips = new W.IPS.Messages();

const field = (xml, tag) => {
    const m = new RegExp(`<(?:\\w+:)?${tag}>([^<]*)</(?:\\w+:)?${tag}>`).exec(xml);
    return m ? m[1] : null;
};

// Send one envelope; check it is the answer to it.  Returns
// { ok, problems, status, envelope, body, raw }.
async function send(request, expectedAction) {
    const messageId = field(request, 'MessageID');
    const resourceUri = field(request, 'ResourceURI');
    const out = { ok: false, problems: [], request };
    let r;
    try {
        r = await client.post(request);
    } catch (e) {
        out.problems.push(`transport: ${e.message}`);
        return out;
    }
    out.status = r.status;
    out.raw = r.body;
    let env;
    try {
        env = X.parseXml(r.body);
    } catch (e) {
        out.problems.push(`response is not well-formed XML: ${e.message}`);
        return out;
    }
    out.envelope = env;
    const header = X.child(env, 'Header');
    const body = X.child(env, 'Body');
    out.body = body;
    const action = X.text(X.child(header, 'Action'));
    const relatesTo = X.text(X.child(header, 'RelatesTo'));
    const fault = X.child(body, 'Fault');
    out.fault = fault && X.text(X.path(fault, 'Code', 'Subcode', 'Value'));
    out.action = action;
    out.relatesTo = relatesTo;
    out.messageId = messageId;
    if (env.local !== 'Envelope' || env.uri !== SOAP) out.problems.push('root is not a SOAP 1.2 Envelope');
    if (!header || !body) out.problems.push('no Header or Body');
    if (r.status !== 200) out.problems.push(`HTTP ${r.status}`);
    if (fault) out.problems.push(`fault ${out.fault}`);
    if (action !== expectedAction) out.problems.push(`Action ${action}, expected ${expectedAction}`);
    if (relatesTo !== messageId) out.problems.push(`RelatesTo ${relatesTo}, expected ${messageId}`);
    const echoedUri = X.text(X.child(header, 'ResourceURI'));
    if (!fault && echoedUri !== resourceUri) out.problems.push(`ResourceURI ${echoedUri}, expected ${resourceUri}`);
    out.ok = out.problems.length === 0;
    return out;
}

// A WS-Man fault as docs/specs/vamt-wsman.rst, "Faults" has it: HTTP 400,
// a Fault with a
// subcode, the fault Action, RelatesTo = our MessageID
const isProperFault = (res) => res.status === 400 && Boolean(res.fault) &&
    res.action === FAULT_ACTION && res.relatesTo === res.messageId;

const diag = (res) => ({ problems: res.problems, status: res.status,
                         request: res.request, response: res.raw && res.raw.slice(0, 3000) });

// Get: the body holds one instance element named after the class, in the
// class's namespace
async function get(messages, className, selector) {
    const res = await send(messages.Get(selector), `${TRANSFER}/GetResponse`);
    const inst = res.body && res.body.children[0];
    if (res.ok && !(inst && inst.local === className && inst.uri.endsWith(`/${className}`))) {
        res.ok = false;
        res.problems.push(`body is <${inst && inst.name}>, not the ${className} instance`);
    }
    res.instance = inst && X.properties(inst);
    return res;
}

// Enumerate, then Pull until EndOfSequence (MPS pulls once with
// MaxElements 999; more Pulls are allowed while a context comes back)
async function enumerate(messages) {
    const e = await send(messages.Enumerate(), `${ENUM}/EnumerateResponse`);
    const ctx = X.text(X.path(e.body, 'EnumerateResponse', 'EnumerationContext'));
    if (e.ok && !ctx) { e.ok = false; e.problems.push('no EnumerationContext'); }
    if (!e.ok) return { ok: false, step: 'Enumerate', ...e };
    const items = [];
    let context = ctx;
    for (let pulls = 0; pulls < 20; pulls++) {
        const p = await send(messages.Pull(context), `${ENUM}/PullResponse`);
        const pr = X.child(p.body, 'PullResponse');
        if (p.ok && !pr) { p.ok = false; p.problems.push('no PullResponse'); }
        if (!p.ok) return { ok: false, step: 'Pull', ...p };
        for (const it of X.child(pr, 'Items') ? X.child(pr, 'Items').children : []) {
            items.push({ className: it.local, uri: it.uri, props: X.properties(it) });
        }
        if (X.child(pr, 'EndOfSequence')) {
            if (X.child(pr, 'EnumerationContext')) {
                return { ok: false, step: 'Pull', problems: ['EndOfSequence with an EnumerationContext'], ...p };
            }
            return { ok: true, items };
        }
        context = X.text(X.child(pr, 'EnumerationContext'));
        if (!context) return { ok: false, step: 'Pull', problems: ['neither EndOfSequence nor a context'], ...p };
    }
    return { ok: false, step: 'Pull', problems: ['no EndOfSequence after 20 Pulls'] };
}

// Invoke a method: Action <resource>/<Method>Response, <Method>_OUTPUT body
async function invoke(request, method) {
    const resourceUri = field(request, 'ResourceURI');
    const res = await send(request, `${resourceUri}/${method}Response`);
    const output = res.body && res.body.children[0];
    if (res.ok && !(output && output.local === `${method}_OUTPUT`)) {
        res.ok = false;
        res.problems.push(`body is <${output && output.name}>, not ${method}_OUTPUT`);
    }
    res.output = output ? X.properties(output) : {};
    res.returnValue = res.output.ReturnValue !== undefined ? Number(res.output.ReturnValue) : null;
    return res;
}

// The classes vAMT serves (docs/specs/vamt-wsman.rst, "CIM classes").  get:
// a Get
// without selectors (singletons, or "first instance"); enumerate: always.
const IN_SCOPE = [
    [amt, 'AuditLog', 'AMT_AuditLog', { get: true }],
    [amt, 'AuthorizationService', 'AMT_AuthorizationService', { get: true }],
    [amt, 'BootCapabilities', 'AMT_BootCapabilities', { get: true }],
    [amt, 'BootSettingData', 'AMT_BootSettingData', { get: true }],
    [amt, 'EnvironmentDetectionSettingData', 'AMT_EnvironmentDetectionSettingData', { get: true }],
    [amt, 'EthernetPortSettings', 'AMT_EthernetPortSettings', { get: true }],
    [amt, 'GeneralSettings', 'AMT_GeneralSettings', { get: true }],
    [amt, 'MessageLog', 'AMT_MessageLog', { get: true }],
    [amt, 'RedirectionService', 'AMT_RedirectionService', { get: true }],
    [amt, 'SetupAndConfigurationService', 'AMT_SetupAndConfigurationService', { get: true }],
    [amt, 'TimeSynchronizationService', 'AMT_TimeSynchronizationService', { get: true }],
    [amt, 'UserInitiatedConnectionService', 'AMT_UserInitiatedConnectionService', { get: true }],
    [amt, 'TLSSettingData', 'AMT_TLSSettingData', {}],
    [amt, 'AlarmClockService', 'AMT_AlarmClockService', { get: true }],
    [amt, 'PublicKeyCertificate', 'AMT_PublicKeyCertificate', {}],
    [amt, 'PublicPrivateKeyPair', 'AMT_PublicPrivateKeyPair', {}],
    [amt, 'TLSCredentialContext', 'AMT_TLSCredentialContext', {}],
    [amt, 'ManagementPresenceRemoteSAP', 'AMT_ManagementPresenceRemoteSAP', {}],
    [amt, 'RemoteAccessPolicyRule', 'AMT_RemoteAccessPolicyRule', {}],
    [amt, 'RemoteAccessPolicyAppliesToMPS', 'AMT_RemoteAccessPolicyAppliesToMPS', {}],
    [amt, 'MPSUsernamePassword', 'AMT_MPSUsernamePassword', {}],
    [cim, 'BIOSElement', 'CIM_BIOSElement', { get: true }],
    [cim, 'BootConfigSetting', 'CIM_BootConfigSetting', { get: true }],
    [cim, 'BootService', 'CIM_BootService', { get: true }],
    [cim, 'BootSourceSetting', 'CIM_BootSourceSetting', {}],
    [cim, 'Card', 'CIM_Card', { get: true }],
    [cim, 'Chassis', 'CIM_Chassis', { get: true }],
    [cim, 'Chip', 'CIM_Chip', {}],
    [cim, 'ComputerSystemPackage', 'CIM_ComputerSystemPackage', { get: true }],
    [cim, 'KVMRedirectionSAP', 'CIM_KVMRedirectionSAP', { get: true }],
    [cim, 'MediaAccessDevice', 'CIM_MediaAccessDevice', {}],
    [cim, 'PhysicalMemory', 'CIM_PhysicalMemory', {}],
    [cim, 'PhysicalPackage', 'CIM_PhysicalPackage', {}],
    [cim, 'PowerManagementService', 'CIM_PowerManagementService', { get: true }],
    [cim, 'Processor', 'CIM_Processor', {}],
    [cim, 'ServiceAvailableToElement', 'CIM_ServiceAvailableToElement', {}],
    [cim, 'SoftwareIdentity', 'CIM_SoftwareIdentity', {}],
    [cim, 'SystemPackaging', 'CIM_SystemPackaging', {}],
    [ips, 'AlarmClockOccurrence', 'IPS_AlarmClockOccurrence', {}],
    [ips, 'HostBasedSetupService', 'IPS_HostBasedSetupService', { get: true }],
    [ips, 'OptInService', 'IPS_OptInService', { get: true }],
    [ips, 'PowerManagementService', 'IPS_PowerManagementService', { get: true }],
    [ips, 'ScreenSettingData', 'IPS_ScreenSettingData', {}],
    [ips, 'KVMRedirectionSettingData', 'IPS_KVMRedirectionSettingData', { get: true }],
    [ips, 'HTTPProxyAccessPoint', 'IPS_HTTPProxyAccessPoint', {}],
];

// wsman-messages classes vAMT leaves for later (not in the table of
// docs/specs/vamt-wsman.rst, "CIM classes"): a Get must
// still be a proper WS-Man answer - an instance or a 400 fault
const LATER = [
    [amt, 'IEEE8021xProfile'], [amt, 'IEEE8021xCredentialContext'], [amt, 'KerberosSettingData'],
    [amt, 'PublicKeyManagementService'], [amt, 'RemoteAccessService'],
    [amt, 'WiFiPortConfigurationService'], [cim, 'IEEE8021xSettings'],
    [cim, 'WiFiEndpointSettings'], [cim, 'WiFiPort'], [cim, 'ConcreteDependency'],
    [cim, 'CredentialContext'], [ips, 'IEEE8021xCredentialContext'], [ips, 'IEEE8021xSettings'],
    [ips, 'HTTPProxyService'],
];

async function main() {
    const found = {};           // className -> { instance, items }

    for (const [ns, prop, className, how] of IN_SCOPE) {
        const messages = ns[prop];
        const e = await enumerate(messages);
        let g = null;
        if (how.get) g = await get(messages, className);
        found[className] = { items: e.items || [], instance: g && g.instance };
        const ops = how.get ? 'Get, Enumerate+Pull' : 'Enumerate+Pull';
        tap.ok(e.ok && (!g || g.ok), `${className}: ${ops} answer properly`,
               e.ok ? '' : { step: e.step, ...diag(e) }, g && !g.ok ? diag(g) : '');
    }

    // Get with a key selector, as MPS does for CIM_SoftwareIdentity
    const [major, minor, hotfix] = vm.fwVersion.split('.');
    const amtVersion = `${major}.${minor}.${hotfix}`;
    const sw = await get(cim.SoftwareIdentity, 'CIM_SoftwareIdentity', { name: 'InstanceID', value: 'AMT' });
    tap.ok(sw.ok && sw.instance && sw.instance.VersionString === amtVersion,
        `CIM_SoftwareIdentity: Get InstanceID=AMT gives VersionString ${amtVersion} (MPS /amt/version)`,
        sw.instance || diag(sw));
    const nope = await send(cim.SoftwareIdentity.Get({ name: 'InstanceID', value: 'Nope' }),
                            FAULT_ACTION);
    tap.ok(isProperFault(nope),
        'CIM_SoftwareIdentity: Get of an instance that does not exist is a 400 fault answering our MessageID',
        diag(nope));

    for (const [ns, prop] of LATER) {
        const messages = ns[prop];
        const className = messages.className;
        const g = await get(messages, className);
        tap.ok(g.ok || isProperFault(g),
            `${className} (not implemented yet): Get answers an instance or a proper 400 fault`, diag(g));
    }

    // --- values MPS's REST API reports
    const setup = found.AMT_SetupAndConfigurationService.instance || {};
    tap.ok(Number(setup.ProvisioningState) === 2,
        'AMT_SetupAndConfigurationService: ProvisioningState 2 (post-provisioning)', setup);
    const hbs = found.IPS_HostBasedSetupService.instance || {};
    tap.ok([1, 2].includes(Number(hbs.CurrentControlMode)),
        'IPS_HostBasedSetupService: CurrentControlMode is 1 (CCM) or 2 (ACM), the device is activated', hbs);
    const general = found.AMT_GeneralSettings.instance || {};
    tap.ok(client.challenge && general.DigestRealm === client.challenge.realm,
        'AMT_GeneralSettings: DigestRealm is the realm of the HTTP Digest challenge',
        { httpRealm: client.challenge && client.challenge.realm, general });
    const ports = found.AMT_EthernetPortSettings.items.map((i) => i.props);
    tap.ok(ports.length >= 1 && ports.every((p) => /^([0-9a-f]{2}-){5}[0-9a-f]{2}$/.test(p.MACAddress)),
        'AMT_EthernetPortSettings: each port has a MACAddress as aa-bb-cc-dd-ee-ff', ports);
    const power = found.CIM_ServiceAvailableToElement.items;
    tap.ok(power.length === 1 && power[0].className === 'CIM_AssociatedPowerManagementService' &&
           Number(power[0].props.PowerState) === 2,
        'CIM_ServiceAvailableToElement: one CIM_AssociatedPowerManagementService, PowerState 2 (on)', power);
    const pkg = found.CIM_ComputerSystemPackage.instance || {};
    tap.ok(H.platformGuidToUuid(pkg.PlatformGUID) === vm.uuid,
        `CIM_ComputerSystemPackage: PlatformGUID is the VM's -uuid ${vm.uuid}`, pkg);
    const cpus = found.CIM_Processor.items;
    tap.ok(cpus.length === vm.cpuSockets,
        `CIM_Processor: ${vm.cpuSockets} instances, one per socket of -smp sockets=${vm.cpuSockets}`, cpus);
    const memory = found.CIM_PhysicalMemory.items.reduce((s, i) => s + Number(i.props.Capacity), 0);
    tap.ok(memory === vm.memoryMiB * 1048576,
        `CIM_PhysicalMemory: Capacity adds up to -m ${vm.memoryMiB}`, found.CIM_PhysicalMemory.items);
    const packages = found.CIM_PhysicalPackage.items.map((i) => i.className).sort();
    tap.ok(packages.includes('CIM_Card') && packages.includes('CIM_Chassis'),
        'CIM_PhysicalPackage: polymorphic, yields CIM_Card and CIM_Chassis items', packages);
    const redirection = found.AMT_RedirectionService.instance || {};
    tap.ok([32768, 32769, 32770, 32771].includes(Number(redirection.EnabledState)),
        'AMT_RedirectionService: EnabledState is 32768..32771 (MPS /amt/features)', redirection);
    const kvm = found.CIM_KVMRedirectionSAP.instance || {};
    tap.ok([2, 3, 6].includes(Number(kvm.EnabledState)),
        'CIM_KVMRedirectionSAP: EnabledState is 2, 3 or 6', kvm);
    const optin = found.IPS_OptInService.instance || {};
    tap.ok(optin.OptInRequired !== undefined && Number(optin.OptInState) === 0,
        'IPS_OptInService: OptInRequired present, OptInState 0 (no consent session)', optin);

    // --- invocations MPS makes, harmless ones
    const time = await invoke(amt.TimeSynchronizationService.GetLowAccuracyTimeSynch(), 'GetLowAccuracyTimeSynch');
    tap.ok(time.ok && time.returnValue === 0 && Math.abs(Number(time.output.Ta0) - Date.now() / 1000) < 120,
        'AMT_TimeSynchronizationService.GetLowAccuracyTimeSynch: 0 and Ta0 = host time', diag(time));
    const first = await invoke(amt.MessageLog.PositionToFirstRecord(), 'PositionToFirstRecord');
    const iteration = first.output.IterationIdentifier;
    tap.ok(first.ok && first.returnValue === 0 && iteration !== undefined,
        'AMT_MessageLog.PositionToFirstRecord: 0 and an IterationIdentifier', diag(first));
    const records = await invoke(amt.MessageLog.GetRecords(Number(iteration) || 1), 'GetRecords');
    tap.ok(records.ok && records.returnValue === 0 && records.output.NoMoreRecords !== undefined,
        'AMT_MessageLog.GetRecords: 0 and NoMoreRecords (MPS /amt/log/event)', diag(records));
    const audit = await invoke(amt.AuditLog.ReadRecords(1), 'ReadRecords');
    tap.ok(audit.ok && audit.returnValue === 0 && audit.output.TotalRecordCount !== undefined,
        'AMT_AuditLog.ReadRecords(1): 0 and TotalRecordCount (MPS /amt/log/audit)', diag(audit));
    const admin = await invoke(amt.AuthorizationService.GetAdminAclEntry(), 'GetAdminAclEntry');
    tap.ok(admin.ok && admin.output.Username === vm.user,
        `AMT_AuthorizationService.GetAdminAclEntry: Username ${vm.user}`, diag(admin));
    const acl = await invoke(amt.AuthorizationService.EnumerateUserAclEntries(1), 'EnumerateUserAclEntries');
    tap.ok(acl.ok && acl.returnValue === 0, 'AMT_AuthorizationService.EnumerateUserAclEntries(1): 0', diag(acl));
    const guid = await invoke(amt.SetupAndConfigurationService.GetUuid(), 'GetUuid');
    const raw = Buffer.from(String(guid.output.UUID || ''), 'base64').toString('hex').toUpperCase();
    tap.ok(guid.ok && guid.returnValue === 0 && raw.length === 32 &&
           (H.platformGuidToUuid(raw) === vm.uuid || raw.toLowerCase() === vm.uuid.replace(/-/g, '')),
        'AMT_SetupAndConfigurationService.GetUuid: the VM\'s UUID', { decoded: raw, ...diag(guid) });

    const start = await invoke(ips.OptInService.StartOptIn(), 'StartOptIn');
    tap.ok(start.ok && start.returnValue === 0, 'IPS_OptInService.StartOptIn: 0', diag(start));
    const during = await get(ips.OptInService, 'IPS_OptInService');
    const cancel = await invoke(ips.OptInService.CancelOptIn(), 'CancelOptIn');
    const after = await get(ips.OptInService, 'IPS_OptInService');
    tap.ok(cancel.ok && cancel.returnValue === 0 && during.instance &&
           Number(during.instance.OptInState) !== 0 && after.instance &&
           Number(after.instance.OptInState) === 0,
        'IPS_OptInService.CancelOptIn: 0; OptInState was non-zero after StartOptIn and is 0 again',
        { during: during.instance, after: after.instance, cancel: diag(cancel) });

    const sameState = Number(redirection.EnabledState) || 32771;
    const rsc = await invoke(amt.RedirectionService.RequestStateChange(sameState), 'RequestStateChange');
    tap.ok(rsc.ok && rsc.returnValue === 0,
        `AMT_RedirectionService.RequestStateChange(${sameState}, the current state): 0`, diag(rsc));

    // Boot flow of an MPS power action (no forced device)
    const order = await invoke(cim.BootConfigSetting.ChangeBootOrder(), 'ChangeBootOrder');
    tap.ok(order.ok && order.returnValue === 0, 'CIM_BootConfigSetting.ChangeBootOrder() (clear): 0', diag(order));
    const role = await invoke(cim.BootService.SetBootConfigRole('Intel(r) AMT: Boot Configuration 0', 1),
                              'SetBootConfigRole');
    tap.ok(role.ok && role.returnValue === 0, 'CIM_BootService.SetBootConfigRole(config 0, 1): 0', diag(role));

    // Puts of what Get returned (values unchanged)
    const boot = found.AMT_BootSettingData.instance || {};
    const bootIn = {};
    for (const [k, v] of Object.entries(boot)) if (typeof v === 'string') bootIn[k] = v;
    const putBoot = await send(amt.BootSettingData.Put(bootIn), `${TRANSFER}/PutResponse`);
    const putBootBody = putBoot.body && putBoot.body.children[0];
    tap.ok(putBoot.ok && putBootBody && putBootBody.local === 'AMT_BootSettingData',
        'AMT_BootSettingData: Put of the Get result answers PutResponse with the instance', diag(putBoot));
    const kvmSettings = found.IPS_KVMRedirectionSettingData.instance || {};
    const kvmIn = {};
    for (const [k, v] of Object.entries(kvmSettings)) if (typeof v === 'string') kvmIn[k] = v;
    const putKvm = await send(ips.KVMRedirectionSettingData.Put(kvmIn), `${TRANSFER}/PutResponse`);
    tap.ok(putKvm.ok, 'IPS_KVMRedirectionSettingData: Put of the Get result answers PutResponse', diag(putKvm));

    // MPS power action: reset (10); the guest must really boot again
    const boots = H.bootCount(vm);
    const reset = await invoke(cim.PowerManagementService.RequestPowerStateChange(10), 'RequestPowerStateChange');
    tap.ok(reset.ok && reset.returnValue === 0,
        'CIM_PowerManagementService.RequestPowerStateChange(10, reset): 0', diag(reset));
    const rebooted = await H.waitFor(() => H.bootCount(vm) > boots, 30000);
    const state = await H.runState(vm);
    tap.ok(rebooted && state === 'running', 'after the reset the guest boots again and QEMU runs it',
        { bootsBefore: boots, bootsNow: H.bootCount(vm), qemu: state });

    tap.comment(`${client.connections} TCP connection(s) carried all requests`);
    client.close();
}

main().catch((e) => {
    tap.ok(false, `wsman-messages scenario ran to completion (${e.message})`, e.stack);
}).finally(() => tap.finish());
