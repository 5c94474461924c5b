// SPDX-License-Identifier: GPL-2.0-or-later
//
// MeshCommander against vAMT, headless: MeshCentral's own AMT stack
// (amt-wsman-comm.js, amt-wsman.js, amt.js from the pinned npm package,
// unmodified) driven through the calls MeshCommander's pages make, in
// MeshCommander's order (docs/specs/vamt-wsman.rst, "What the consoles send";
// tests/captures/meshcommander-connect):
// connect, hardware page, event log, audit log, power actions.  Each check
// is what a MeshCommander user would look at; power actions are confirmed
// by QEMU's run state and by the guest really booting again.  Prints TAP.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const H = require('./harness.js');

const vm = H.vmUnderTest();
const tap = new H.Tap();
const amtDir = path.join(vm.nodeModules, 'meshcentral', 'amt');
const CreateWsmanComm = require(path.join(amtDir, 'amt-wsman-comm.js'));
const WsmanStackCreateService = require(path.join(amtDir, 'amt-wsman.js'));
const AmtStackCreateService = require(path.join(amtDir, 'amt.js'));

// As MeshCentral's amtmanager.js builds it for a direct (non-CIRA)
// connection: plain, or TLS with the certificate's hash pinned, as the
// manager pins it (xtlsFingerprint) once it knows the device's
const comm = vm.tlsFingerprint ?
    CreateWsmanComm(vm.tlsHost, vm.port, vm.user, vm.password, 1) :
    CreateWsmanComm(vm.host, vm.port, vm.user, vm.password, 0);
if (vm.tlsFingerprint) comm.xtlsFingerprint = vm.tlsFingerprint;
const amtstack = AmtStackCreateService(WsmanStackCreateService(comm));

// The stack is callback-based; a stuck exchange must fail, not hang
function withTimeout(what, executor, ms = 30000) {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
        executor((value) => { clearTimeout(timer); resolve(value); });
    });
}

function batchEnum(names, continueOnError) {
    return withTimeout(`BatchEnum ${names.join(' ')}`, (done) =>
        amtstack.BatchEnum('', names, (stack, name, responses, status) =>
            done({ responses, status }), null, continueOnError));
}

function enumerate(name) {
    return withTimeout(`Enum ${name}`, (done) =>
        amtstack.Enum(name, (stack, n, items, status) => done({ items, status })));
}

// amtstack.<method>(...args, callback): resolves to { body, status }
function call(method, ...args) {
    return withTimeout(method, (done) =>
        amtstack[method](...args, (stack, name, response, status) =>
            done({ body: response && response.Body, status })));
}

function messageLog() {
    return withTimeout('GetMessageLog', (done) =>
        amtstack.GetMessageLog((stack, messages, tag, status) => done({ messages, status })));
}

function auditLog() {
    return withTimeout('GetAuditLog', (done) =>
        amtstack.GetAuditLog((stack, records, status) => done({ records, status })));
}

const instance = (items, id) => (items || []).find((x) => x && x.InstanceID === id);
const bodyOf = (batch, cls) => batch.responses[cls] && batch.responses[cls].response;
const statusOf = (batch, cls) => batch.responses[cls] ? batch.responses[cls].status : 'not requested';
const asArray = (v) => (v === undefined || v === null) ? [] : (Array.isArray(v) ? v : [v]);

async function currentPowerState() {
    const r = await batchEnum(['CIM_ServiceAvailableToElement']);
    const items = r.responses.CIM_ServiceAvailableToElement &&
                  r.responses.CIM_ServiceAvailableToElement.responses;
    return { status: r.status, powerState: items && items[0] ? Number(items[0].PowerState) : null };
}

// Audit records are identified as AuditAppID * 100 + EventID (17xx = remote
// control: 1700 power up, 1701 power down, 1702 power cycle, 1703 reset)
const auditEventIds = (records) => records.map((r) => r.AuditAppID * 100 + r.EventID);

async function connect() {
    const [major, minor, hotfix, build] = vm.fwVersion.split('.');
    const amtVersion = `${major}.${minor}.${hotfix}`;

    // 1. version: MeshCommander disconnects when it cannot find InstanceID=AMT
    const version = await batchEnum(['CIM_SoftwareIdentity', '*AMT_SetupAndConfigurationService']);
    const ids = version.responses.CIM_SoftwareIdentity &&
                version.responses.CIM_SoftwareIdentity.responses;
    const amt = instance(ids, 'AMT');
    tap.ok(version.status === 200 && amt && amt.VersionString === amtVersion,
        `connect: CIM_SoftwareIdentity "AMT" is the device's fw-version (${amtVersion})`,
        { status: version.status, identities: ids });
    const buildNumber = instance(ids, 'Build Number');
    const flash = instance(ids, 'Flash');
    // amt-xml.js turns numeric text into numbers, hence String()
    tap.ok(buildNumber && String(buildNumber.VersionString) === build &&
           flash && String(flash.VersionString) === amtVersion,
        `connect: "Build Number" is ${build} and "Flash" is ${amtVersion}`,
        { buildNumber, flash });
    const setup = bodyOf(version, 'AMT_SetupAndConfigurationService');
    tap.ok(statusOf(version, 'AMT_SetupAndConfigurationService') === 200 &&
           setup && Number(setup.ProvisioningState) === 2,
        'connect: AMT_SetupAndConfigurationService says provisioned (ProvisioningState 2)',
        { status: statusOf(version, 'AMT_SetupAndConfigurationService'), setup });

    // 3. the clock MeshCommander shows (Ta0 is the ME's UTC seconds)
    const time = await call('AMT_TimeSynchronizationService_GetLowAccuracyTimeSynch');
    const drift = time.body ? Math.abs(Number(time.body.Ta0) - Date.now() / 1000) : null;
    tap.ok(time.status === 200 && Number(time.body.ReturnValue) === 0 && drift !== null && drift < 120,
        'connect: GetLowAccuracyTimeSynch returns 0 and the host time (within 2 min)',
        { status: time.status, body: time.body });

    // 4. the status batch, continue-on-error; any status but 200/400 is an
    // error page in MeshCommander
    const names = ['CIM_ServiceAvailableToElement', '*AMT_GeneralSettings',
        'AMT_EthernetPortSettings', '*AMT_RedirectionService', 'CIM_ElementSettingData',
        '*AMT_BootCapabilities'];
    if (Number(major) > 5) {
        names.push('IPS_IPv6PortSettings', '*CIM_KVMRedirectionSAP', '*IPS_OptInService',
                   '*IPS_KVMRedirectionSettingData');
    }
    if (Number(major) > 9) names.push('*IPS_ScreenConfigurationService', '*IPS_PowerManagementService');
    if (Number(major) > 15) names.push('*CIM_BootService');
    if (Number(major) > 2) names.push('*AMT_8021XProfile');
    const status = await batchEnum(names, true);
    const statuses = {};
    for (const n of names) statuses[n.replace('*', '')] = statusOf(status, n.replace('*', ''));
    tap.ok(Object.values(statuses).every((s) => s === 200 || s === 400),
        'connect: every status-batch request answers 200 or 400', statuses);
    const required = ['CIM_ServiceAvailableToElement', 'AMT_GeneralSettings',
        'AMT_EthernetPortSettings', 'AMT_RedirectionService', 'AMT_BootCapabilities',
        'CIM_KVMRedirectionSAP', 'IPS_OptInService'];
    tap.ok(required.every((n) => statuses[n] === 200),
        'connect: the classes MeshCommander shows (power, settings, network, redirection, boot, KVM, consent) answer 200',
        statuses);
    // issue 13: AMT 16 has all of them, so none may be a 400
    tap.ok(Object.values(statuses).every((s) => s === 200),
        'connect: every class of the status batch answers 200 (802.1X profile, OS power, screen configuration too)',
        statuses);
    const netauth = bodyOf(status, 'AMT_8021XProfile');
    tap.ok(netauth && netauth.Enabled === false,
        'connect: AMT_8021XProfile is there and disabled (MeshCommander shows "802.1x: Disabled")', netauth);
    const power = status.responses.CIM_ServiceAvailableToElement.responses;
    tap.ok(power && power[0] && Number(power[0].PowerState) === 2,
        'connect: power state is 2 (on) while the VM runs', { power, qemu: await H.runState(vm) });
    const general = bodyOf(status, 'AMT_GeneralSettings');
    const httpRealm = comm.challengeParams && comm.challengeParams.realm;
    tap.ok(general && httpRealm && general.DigestRealm === httpRealm && general.HostName,
        'connect: AMT_GeneralSettings.DigestRealm equals the HTTP Digest realm and HostName is set',
        { httpRealm, general });
    // SOL, IDE-R and KVM are not served, so not claimed (issue 13 item 6)
    const redirection = bodyOf(status, 'AMT_RedirectionService');
    tap.ok(redirection && Number(redirection.EnabledState) === 32768 &&
           redirection.ListenerEnabled === false,
        'connect: AMT_RedirectionService says SOL and IDE-R disabled (32768) with no listener',
        redirection);
    const kvm = bodyOf(status, 'CIM_KVMRedirectionSAP');
    // MeshCommander: KVM = (EnabledState 6 && RequestedState 2) || 2 || 6
    tap.ok(kvm && ![2, 6].includes(Number(kvm.EnabledState)),
        'connect: CIM_KVMRedirectionSAP does not claim KVM enabled', kvm);
    // MeshCentral's settings sync asks for 32771 and KVM 2: refused, and
    // the state read back stays "disabled"
    const enableRedir = await call('AMT_RedirectionService_RequestStateChange', 32771);
    const enableKvm = await call('CIM_KVMRedirectionSAP_RequestStateChange', 2, 0);
    const again = await batchEnum(['*AMT_RedirectionService', '*CIM_KVMRedirectionSAP']);
    const redirAgain = bodyOf(again, 'AMT_RedirectionService');
    const kvmAgain = bodyOf(again, 'CIM_KVMRedirectionSAP');
    tap.ok(enableRedir.status === 200 && Number(enableRedir.body.ReturnValue) !== 0 &&
           enableKvm.status === 200 && Number(enableKvm.body.ReturnValue) !== 0 &&
           redirAgain && Number(redirAgain.EnabledState) === 32768 &&
           kvmAgain && ![2, 6].includes(Number(kvmAgain.EnabledState)),
        'connect: MeshCentral\'s "enable SOL, IDE-R, KVM" requests are refused and nothing claims them',
        { enableRedir, enableKvm, redirAgain, kvmAgain });

    // 5. accounts page data
    const admin = await call('AMT_AuthorizationService_GetAdminAclEntry');
    tap.ok(admin.status === 200 && admin.body && admin.body.Username === vm.user,
        `connect: GetAdminAclEntry names the admin account "${vm.user}"`, admin);
    const users = await call('AMT_AuthorizationService_EnumerateUserAclEntries', 1);
    const handles = asArray(users.body && users.body.Handles);
    // MeshCommander's enumerateUserAclEntriesResponse reads
    // Body.Handles.length unguarded: without Handles the page hangs
    let pageLoads = false;
    try { void users.body.Handles.length; pageLoads = true; } catch (e) { }
    const builtIn = [];
    for (const h of handles) {
        const entry = await call('AMT_AuthorizationService_GetUserAclEntryEx', h);
        if (entry.body && entry.body.DigestUsername === '$$OsAdmin') builtIn.push(entry.body);
    }
    tap.ok(users.status === 200 && pageLoads && handles.length === 1 && builtIn.length === 1 &&
           Number(builtIn[0].AccessPermission) === 0,
        'accounts: a factory ME lists AMT\'s built-in $$OsAdmin (local only), so MeshCommander\'s page loads',
        { users: users.body, builtIn });
    let perUser = true;
    for (const h of handles) {
        const enabled = await call('AMT_AuthorizationService_GetAclEnabledState', h);
        const entry = await call('AMT_AuthorizationService_GetUserAclEntryEx', h);
        perUser = perUser && enabled.status === 200 && entry.status === 200;
    }
    tap.ok(users.status === 200 && Number(users.body.ReturnValue) === 0 && perUser,
        'connect: EnumerateUserAclEntries(1) and each entry answer', users);

    // 6. wake alarms (v >= 8)
    const alarms = await enumerate('IPS_AlarmClockOccurrence');
    tap.ok(alarms.status === 200, 'connect: IPS_AlarmClockOccurrence enumerates', alarms);
}

async function hardware() {
    // PullHardware(): one batch, stop at the first status other than
    // 200/400; processHardware() renders the page only when it ends with 200
    const names = ['*CIM_ComputerSystemPackage', 'CIM_SystemPackaging', '*CIM_Chassis',
        'CIM_Chip', '*CIM_Card', '*CIM_BIOSElement', 'CIM_Processor', 'CIM_PhysicalMemory',
        'CIM_MediaAccessDevice', 'CIM_PhysicalPackage', '*CIM_Battery'];
    const hw = await batchEnum(names);
    const statuses = {};
    for (const n of names) statuses[n.replace('*', '')] = statusOf(hw, n.replace('*', ''));
    tap.ok(hw.status === 200,
        'hardware: the hardware batch ends with 200, so MeshCommander renders the page',
        { final: hw.status, statuses });

    const pkg = bodyOf(hw, 'CIM_ComputerSystemPackage');
    const uuid = pkg && H.platformGuidToUuid(pkg.PlatformGUID);
    tap.ok(uuid === vm.uuid, `hardware: PlatformGUID is the VM's -uuid ${vm.uuid}`,
        { PlatformGUID: pkg && pkg.PlatformGUID, asUuid: uuid });
    const chassis = bodyOf(hw, 'CIM_Chassis');
    const card = bodyOf(hw, 'CIM_Card');
    tap.ok(chassis && chassis.Manufacturer && chassis.Model && card && card.Manufacturer && card.Model,
        'hardware: chassis and board have a manufacturer and model', { chassis, card });
    const bios = bodyOf(hw, 'CIM_BIOSElement');
    tap.ok(bios && bios.Manufacturer && bios.SoftwareElementID,
        'hardware: BIOS vendor and version (SoftwareElementID, shown as "Version") are reported', bios);

    const cpus = hw.responses.CIM_Processor && hw.responses.CIM_Processor.responses;
    // AMT has one CIM_Processor per package, as SMBIOS has one type 4 table
    tap.ok(Array.isArray(cpus) && cpus.length === vm.cpuSockets,
        `hardware: ${vm.cpuSockets} processors, one per socket of -smp sockets=${vm.cpuSockets}`, cpus);
    const chips = hw.responses.CIM_Chip && hw.responses.CIM_Chip.responses;
    tap.ok(Array.isArray(chips) && chips.length >= 1 && chips.every((c) => c.Version),
        'hardware: CIM_Chip names the processor model', chips);
    const dimms = hw.responses.CIM_PhysicalMemory && hw.responses.CIM_PhysicalMemory.responses;
    const total = (dimms || []).reduce((sum, d) => sum + Number(d.Capacity), 0);
    tap.ok(total === vm.memoryMiB * 1024 * 1024,
        `hardware: memory modules add up to -m ${vm.memoryMiB} (${vm.memoryMiB * 1048576} bytes)`,
        { total, dimms });
    const packages = hw.responses.CIM_PhysicalPackage && hw.responses.CIM_PhysicalPackage.responses;
    tap.ok(Array.isArray(packages) && packages.some((p) => Number(p.PackageType) === 9),
        'hardware: CIM_PhysicalPackage lists the base board (PackageType 9)', packages);
}

// The size QEMU shows of the VM's display: a QMP screendump's PPM header
async function screenSize() {
    const file = path.join(os.tmpdir(), `vamt-screen-${process.pid}.ppm`);
    try {
        await H.qmp(vm.qmpSocket, 'screendump', { filename: file });
        const head = fs.readFileSync(file).subarray(0, 64).toString('latin1');
        const m = /^P6\s+(\d+)\s+(\d+)\s/.exec(head);
        return m ? { width: Number(m[1]), height: Number(m[2]) } : null;
    } catch (e) {
        return null;
    } finally {
        fs.rmSync(file, { force: true });
    }
}

// MeshCommander's pages beyond the status batch (issue 13 items 3, 5)
async function pages() {
    const [major] = vm.fwVersion.split('.');

    // Remote Desktop: PullDesktopDisplayInfo, then ProcessDesktopDisplayInfo
    // reads responses.Body of both and IsActive[0..2]
    const desk = await batchEnum(['*IPS_ScreenSettingData', '*IPS_KVMRedirectionSettingData']);
    const screen = bodyOf(desk, 'IPS_ScreenSettingData');
    const active = screen ? asArray(screen.IsActive) : [];
    const size = await screenSize();
    tap.ok(desk.status === 200 && screen && active.length === 4 && active[0] === true &&
           bodyOf(desk, 'IPS_KVMRedirectionSettingData'),
        'remote desktop: IPS_ScreenSettingData and IPS_KVMRedirectionSettingData answer; display 1 is active',
        { status: desk.status, screen });
    tap.ok(size && screen && Number(asArray(screen.ResolutionX)[0]) === size.width &&
           Number(asArray(screen.ResolutionY)[0]) === size.height,
        `remote desktop: display 1's resolution is the VM's display as QEMU shows it (${size ? `${size.width}x${size.height}` : 'no screendump'})`,
        { size, ResolutionX: screen && screen.ResolutionX, ResolutionY: screen && screen.ResolutionY });

    // System status "Power Policy": Enum AMT_SystemPowerScheme
    const schemes = await enumerate('AMT_SystemPowerScheme');
    tap.ok(schemes.status === 200 && schemes.items && schemes.items.length >= 1 &&
           schemes.items.every((x) => String(x.Description).includes(':') && x.SchemeGUID),
        'power policy: AMT_SystemPowerScheme lists the ME\'s power scheme', schemes);

    // Event subscriptions: PullEventSubscriptions()
    const filters = await enumerate('CIM_FilterCollection');
    const subs = await batchEnum(['CIM_ListenerDestination', 'CIM_FilterCollectionSubscription']);
    tap.ok(filters.status === 200 && subs.status === 200 &&
           statusOf(subs, 'CIM_ListenerDestination') === 200 &&
           statusOf(subs, 'CIM_FilterCollectionSubscription') === 200,
        'subscriptions: CIM_FilterCollection, CIM_ListenerDestination and CIM_FilterCollectionSubscription enumerate',
        { filters, subs: subs.responses });

    // Network page (v > 11): the HTTP proxy service and its access points
    if (Number(major) > 11) {
        const proxy = await batchEnum(['*IPS_HTTPProxyService', 'IPS_HTTPProxyAccessPoint']);
        tap.ok(proxy.status === 200 && statusOf(proxy, 'IPS_HTTPProxyService') === 200 &&
               statusOf(proxy, 'IPS_HTTPProxyAccessPoint') === 200,
            'network: IPS_HTTPProxyService and IPS_HTTPProxyAccessPoint answer', proxy.responses);
    }
}

async function eventLogs() {
    // PullEventLog(): Enum AMT_MessageLog, then GetMessageLog()
    const ml = await enumerate('AMT_MessageLog');
    tap.ok(ml.status === 200 && ml.items && ml.items.length === 1,
        'event log: AMT_MessageLog enumerates its one log', ml);
    const events = await messageLog();
    tap.ok(events.status === 200 && Array.isArray(events.messages),
        'event log: PositionToFirstRecord + GetRecords return the records', events);
    const bad = (events.messages || []).filter((m) => !(m.Time instanceof Date) ||
        isNaN(m.Time.getTime()) || m.Time.getFullYear() < 2020);
    tap.ok(events.messages && bad.length === 0,
        `event log: all ${events.messages ? events.messages.length : 0} records decode with a plausible time`, bad);

    // PullAuditLog(): Enum AMT_AuditLog, then GetAuditLog()
    const al = await enumerate('AMT_AuditLog');
    const settings = al.items && al.items[0];
    tap.ok(al.status === 200 && settings && (Number(settings.AuditState) & 1) === 0,
        'audit log: AMT_AuditLog enumerates and is enabled (AuditState bit 0 clear)', al);
    const audit = await auditLog();
    tap.ok(audit.status === 200 && Array.isArray(audit.records),
        'audit log: ReadRecords returns the records', { status: audit.status });
    return audit.records || [];
}

// One MeshCommander power action (plain: Get IPS_OptInService first, as
// powerActionResponse0 does, then RequestPowerStateChange)
async function powerAction(state) {
    const optin = await batchEnum(['*IPS_OptInService']);
    const result = await call('RequestPowerStateChange', state);
    return { optinStatus: optin.status, status: result.status, body: result.body };
}

async function power(auditBefore) {
    let auditCount = auditBefore.length;
    const eventsBefore = ((await messageLog()).messages || []).length;
    const auditGained = async (eventId) => {
        const audit = await auditLog();
        const fresh = (audit.records || []).slice(auditCount);
        auditCount = (audit.records || []).length;
        const hit = fresh.find((r) => r.AuditAppID * 100 + r.EventID === eventId);
        return { ok: Boolean(hit) && hit.Initiator === vm.user, fresh: auditEventIds(fresh), hit };
    };

    // power off (8 = off soft)
    let r = await powerAction(8);
    tap.ok(r.status === 200 && Number(r.body.ReturnValue) === 0,
        'power: RequestPowerStateChange(8, off) returns 0', r);
    let qemu = await H.waitFor(async () => (await H.runState(vm)) === 'shutdown' && 'shutdown', 15000);
    tap.ok(qemu === 'shutdown', 'power: QEMU reports the VM shut down', { qemu: await H.runState(vm) });
    let ps = await currentPowerState();
    tap.ok(ps.powerState === 8 || ps.powerState === 6,
        'power: CIM_AssociatedPowerManagementService.PowerState is off (8 or 6)', ps);
    let gained = await auditGained(1701);
    tap.ok(gained.ok, 'power: the audit log gains "Remote Control: power down" (1701) by admin', gained);

    // power on (2)
    let boots = H.bootCount(vm);
    r = await powerAction(2);
    tap.ok(r.status === 200 && Number(r.body.ReturnValue) === 0,
        'power: RequestPowerStateChange(2, on) returns 0', r);
    qemu = await H.waitFor(async () => (await H.runState(vm)) === 'running' && 'running', 15000);
    let booted = await H.waitFor(() => H.bootCount(vm) > boots, 30000);
    tap.ok(qemu === 'running' && booted,
        'power: QEMU runs the VM again and the guest boots once more',
        { qemu: await H.runState(vm), bootsBefore: boots, bootsNow: H.bootCount(vm) });
    ps = await currentPowerState();
    tap.ok(ps.powerState === 2, 'power: PowerState is 2 again', ps);
    // what MeshCentral's manager sends after every power-on (AMT > 9)
    const osPower = await call('RequestOSPowerStateChange', 2);
    const ipsPower = await batchEnum(['*IPS_PowerManagementService']);
    const ipsBody = bodyOf(ipsPower, 'IPS_PowerManagementService');
    tap.ok(osPower.status === 200 && Number(osPower.body.ReturnValue) === 0 &&
           ipsBody && Number(ipsBody.OSPowerSavingState) === 2,
        'power: RequestOSPowerSavingStateChange(2) after power-on returns 0 and the OS is at full power',
        { osPower, ipsBody });
    gained = await auditGained(1700);
    tap.ok(gained.ok, 'power: the audit log gains "Remote Control: power up" (1700) by admin', gained);

    // power on while on: refused, nothing happens
    boots = H.bootCount(vm);
    r = await powerAction(2);
    await H.sleep(1500);
    tap.ok(r.status === 200 && Number(r.body.ReturnValue) !== 0 && H.bootCount(vm) === boots,
        'power: RequestPowerStateChange(2) while on returns non-zero and does not reboot',
        { result: r, bootsBefore: boots, bootsNow: H.bootCount(vm) });

    // power cycle (5): off and on again, the guest boots again
    boots = H.bootCount(vm);
    r = await powerAction(5);
    tap.ok(r.status === 200 && Number(r.body.ReturnValue) === 0,
        'power: RequestPowerStateChange(5, power cycle) returns 0', r);
    booted = await H.waitFor(() => H.bootCount(vm) > boots, 30000);
    qemu = await H.runState(vm);
    tap.ok(booted && qemu === 'running', 'power: after the power cycle the guest has booted again and runs',
        { qemu, bootsBefore: boots, bootsNow: H.bootCount(vm) });
    gained = await auditGained(1702);
    tap.ok(gained.ok, 'power: the audit log gains "Remote Control: power cycle" (1702) by admin', gained);

    // MeshCommander's idle poll sees the machine on
    ps = await currentPowerState();
    tap.ok(ps.status === 200 && ps.powerState === 2, 'power: the 5-second status poll shows PowerState 2', ps);

    // the event log has one boot record per boot: power on and cycle
    const events = (await messageLog()).messages || [];
    tap.ok(events.length === eventsBefore + 2,
        'power: the event log gains one record per boot (2: on, cycle)',
        { before: eventsBefore, now: events.length, added: events.slice(eventsBefore) });
}

// With one account added both are listed; then it goes again.  Run last:
// the "ACL entry added/removed" audit records it leaves make the Node
// stack's GetAuditLog throw (amt.js calls Buffer.splice in
// GetAuditLogExtendedDataStr for events 1602/1604), which real AMT's
// records of the same events would do too.
async function accountsWithUser() {
    const realm = comm.challengeParams && comm.challengeParams.realm;
    const ha1 = crypto.createHash('md5').update(`operator:${realm}:Op3rator!pw`).digest('base64');
    const added = await call('AMT_AuthorizationService_AddUserAclEntryEx', 'operator', ha1, null, 2, [3]);
    const withUser = await call('AMT_AuthorizationService_EnumerateUserAclEntries', 1);
    const removed = added.body && added.body.Handle !== undefined ?
        await call('AMT_AuthorizationService_RemoveUserAclEntry', added.body.Handle) : null;
    tap.ok(added.status === 200 && Number(added.body.ReturnValue) === 0 &&
           withUser.status === 200 && asArray(withUser.body.Handles).length === 2 &&
           removed && Number(removed.body.ReturnValue) === 0,
        'accounts: with one account added EnumerateUserAclEntries lists two handles; removing it works',
        { added: added.body, withUser: withUser.body, removed: removed && removed.body });
}

// MeshCommander's "Event Subscriptions" page and what its subscriber
// gets: a listener that answers exactly as MeshCentral's amtevents.ashx
// does (a Digest challenge, checked with MeshCentral's own
// ComputeDigesthash, then no answer at all) and reads the event with
// MeshCentral's own AMT event parser (amtevents.js).  The alert: an
// Agent Presence watchdog that expires (its "expired" action records).
async function eventSubscriptions() {
    const common = require(path.join(vm.nodeModules, 'meshcentral', 'common.js'));
    const events = require(path.join(vm.nodeModules, 'meshcentral', 'amtevents.js'))
        .CreateAmtEventsHandler({});
    const realm = 'MeshCentral', user = 'amtevents', pass = 'Ev3nt!pw';
    const nonces = new Set();
    const received = [];
    const http = require('http');
    const listener = http.createServer((req, res) => {
        let data = '';
        req.on('data', (chunk) => { data += chunk; });
        req.on('end', () => {
            const header = req.headers.authorization || '';
            if (header.startsWith('Digest ')) {
                const a = common.parseNameValueList(common.quoteSplit(header.substring(7)));
                const ok = a.uri === req.url && a.realm === realm && nonces.has(a.nonce) &&
                    a.opaque === 'op-' + a.nonce &&
                    a.response === common.ComputeDigesthash(a.username, pass, a.realm, 'POST',
                                                            a.uri, a.qop, a.nonce, a.nc, a.cnonce);
                if (ok && a.username === user) {
                    received.push({ url: req.url, data, event: events.handleAmtEvent(data, 'n', '') });
                    return;     // MeshCentral never answers an accepted event
                }
            }
            const nonce = crypto.randomBytes(16).toString('hex');
            nonces.add(nonce);
            res.setHeader('WWW-Authenticate', `Digest realm="${realm}", qop="auth,auth-int", ` +
                          `nonce="${nonce}", opaque="op-${nonce}"`);
            res.statusCode = 401;
            res.end();
        });
    });
    await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const url = `http://${vm.alertHost}:${listener.address().port}/amtevents.ashx`;

    // New Subscription: Push, filter "All", Digest credentials
    const filters = await enumerate('CIM_FilterCollection');
    const all = (filters.items || []).find((f) => f.InstanceID === 'Intel(r) AMT:All');
    const sub = await withTimeout('Subscribe', (done) =>
        amtstack.Subscribe('CIM_FilterCollection', 'Push', url, (stack, name, response, status) =>
            done({ status }), null, 1, { InstanceID: 'Intel(r) AMT:All' }, null, user, pass));
    let page = await batchEnum(['CIM_ListenerDestination', 'CIM_FilterCollectionSubscription']);
    const dest = asArray(page.responses.CIM_ListenerDestination.responses);
    const subs = asArray(page.responses.CIM_FilterCollectionSubscription.responses);
    const filterName = subs[0] && subs[0].Filter.ReferenceParameters.SelectorSet.Selector.Value;
    tap.ok(all && all.CollectionName.substring(13) === 'All' && sub.status === 200 &&
           dest.length === 1 && subs.length === 1 && dest[0].Destination === url &&
           Number(dest[0].DeliveryMode) === 2 && filterName === 'Intel(r) AMT:All',
        'subscriptions: New Subscription (Push, All, Digest) is listed as MeshCommander shows it',
        { filters: filters.items, sub, dest, subs });

    // the alert: an agent that registers and never heart-beats
    const guid = crypto.randomBytes(16);
    const deviceId = guid.toString('base64');
    const sel = { DeviceID: deviceId };
    const created = await withTimeout('Create', (done) =>
        amtstack.Create('AMT_AgentPresenceWatchdog',
                        { DeviceID: deviceId, TimeoutInterval: 5, GracePeriod: 0 },
                        (stack, name, response, status) => done({ status })));
    const action = await withTimeout('AddAction', (done) =>
        amtstack.AMT_AgentPresenceWatchdog_AddAction(4, 8, true, null, null,
            (stack, name, response, status) => done({ status, body: response && response.Body }),
            null, 1, sel));
    const registered = await withTimeout('RegisterAgent', (done) =>
        amtstack.AMT_AgentPresenceWatchdog_RegisterAgent(
            (stack, name, response, status) => done({ status, body: response && response.Body }),
            null, 1, sel));
    const got = await H.waitFor(() => received.length > 0, 30000);
    const ev = received[0] && received[0].event;
    // the GUID as AMT writes it: the DeviceID's bytes in Microsoft order
    const hex = guid.toString('hex').toUpperCase();
    const swap = (h) => h.match(/../g).reverse().join('');
    const guidText = `${swap(hex.slice(0, 8))}-${swap(hex.slice(8, 12))}-${swap(hex.slice(12, 16))}-` +
                     `${hex.slice(16, 20)}-${hex.slice(20)}`;
    tap.ok(created.status === 200 && Number(action.body.ReturnValue) === 0 &&
           Number(registered.body.ReturnValue) === 0 && got && ev &&
           ev.Header.Action === 'http://schemas.dmtf.org/wbem/wsman/1/wsman/Event' &&
           ev.Header.Method === 'CIM_AlertIndication' && received[0].url === '/amtevents.ashx' &&
           // amtevents.js reads the header; its body values come out empty for
           // any event (its parser's quirk), so the fields are read from the text
           received[0].data.includes('<g:MessageID>iAMT0005</g:MessageID>') &&
           received[0].data.includes(`<g:MessageArguments>${guidText}</g:MessageArguments>`) &&
           received[0].data.includes('<g:IndicationFilterName>Intel(r) AMT:All<'),
        'subscriptions: the agent\'s expiry reaches the listener as iAMT0005 with its GUID, ' +
        'Digest-authenticated, read by MeshCentral\'s amtevents.js', { received, guidText });

    // Push with no answer: counted as sent, unconfirmed (query-vamt)
    const counted = await H.waitFor(async () => {
        const info = await H.qmp(vm.qmpSocket, 'query-vamt');
        return info.return[0].alerts.unconfirmed >= 1;
    }, 20000);
    const info = await H.qmp(vm.qmpSocket, 'query-vamt');
    tap.ok(counted && info.return[0].alerts.failed === 0 && info.return[0].alerts.subscriptions === 1,
        'subscriptions: query-vamt counts the alert sent (unconfirmed: the listener never answers)',
        info.return[0].alerts);

    // Remove (deleteSubscriptionButton): Unsubscribe by Filter and Handler
    const anon = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous';
    const cim = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/';
    const removed = await withTimeout('UnSubscribe', (done) =>
        amtstack.UnSubscribe('CIM_FilterCollectionSubscription', (stack, name, response, status) =>
            done({ status }), null, 1, {
            Filter: `<a:EndpointReference><a:Address>${anon}</a:Address><a:ReferenceParameters>` +
                `<w:ResourceURI>${cim}CIM_FilterCollection</w:ResourceURI><w:SelectorSet>` +
                `<w:Selector Name="InstanceID">${filterName}</w:Selector></w:SelectorSet>` +
                '</a:ReferenceParameters></a:EndpointReference>',
            Handler: `<a:EndpointReference><a:Address>${anon}</a:Address><a:ReferenceParameters>` +
                `<w:ResourceURI>${cim}CIM_ListenerDestinationWSManagement</w:ResourceURI>` +
                '<w:SelectorSet><w:Selector Name="CreationClassName">CIM_ListenerDestinationWSMAN' +
                `</w:Selector><w:Selector Name="Name">${dest[0] && dest[0].Name}</w:Selector>` +
                '<w:Selector Name="SystemCreationClassName">CIM_ComputerSystem</w:Selector>' +
                '<w:Selector Name="SystemName">Intel(r) AMT</w:Selector></w:SelectorSet>' +
                '</a:ReferenceParameters></a:EndpointReference>',
        }));
    page = await batchEnum(['CIM_ListenerDestination', 'CIM_FilterCollectionSubscription']);
    tap.ok(removed.status === 200 &&
           asArray(page.responses.CIM_ListenerDestination.responses).length === 0 &&
           asArray(page.responses.CIM_FilterCollectionSubscription.responses).length === 0,
        'subscriptions: Remove unsubscribes; the page lists none', { removed, page: page.responses });
    await withTimeout('Delete', (done) =>
        amtstack.Delete('AMT_AgentPresenceWatchdog', sel, () => done()));
    listener.close();
}

// Over TLS: the stack matched the ME's certificate with the pinned hash
// (xtlsCheck 2); a mismatch would have failed every request (998)
function tlsChecked() {
    const cert = comm.xtlsCertificate;
    tap.ok(comm.xtlsCheck === 2 && cert && cert.subject && cert.subject.CN === vm.tlsHost,
        `tls: MeshCentral's stack pinned the ME's certificate (CN ${vm.tlsHost}, SHA-256 ${vm.tlsFingerprint.slice(0, 8)}...)`,
        { xtlsCheck: comm.xtlsCheck, subject: cert && cert.subject });
}

// The store as MeshCentral's manager reads it (amtmanager.js
// attemptTlsSyncEx): the four classes in one batch, all 200, and the
// credential context's one selector naming an enumerated certificate -
// "TLS is set up", nothing to install - which is the certificate this
// connection was given
async function tlsStore() {
    const batch = await batchEnum(['AMT_PublicKeyCertificate', 'AMT_PublicPrivateKeyPair',
        'AMT_TLSSettingData', 'AMT_TLSCredentialContext']);
    const r = batch.responses || {};
    const certs = (r.AMT_PublicKeyCertificate && r.AMT_PublicKeyCertificate.responses) || [];
    const contexts = (r.AMT_TLSCredentialContext && r.AMT_TLSCredentialContext.responses) || [];
    let id = null;
    try { id = contexts[0].ElementInContext.ReferenceParameters.SelectorSet.Selector.Value; } catch (e) { }
    const current = certs.find((c) => c.InstanceID === id);
    const sha256 = current && crypto.createHash('sha256')
        .update(Buffer.from(current.X509Certificate, 'base64')).digest('hex');
    tap.ok(batch.status === 200 && current && sha256 === vm.tlsFingerprint &&
           current.ReadOnlyCertificate === true,
        'tls: the manager\'s TLS sync batch: the credential context names the certificate this connection got (read-only)',
        { status: batch.status, contextId: id, certs: certs.map((c) => c.InstanceID), sha256 });
}

async function main() {
    try {
        await connect();
        if (vm.tlsFingerprint) {
            tlsChecked();
            await tlsStore();
        }
        await hardware();
        await pages();
        if (vm.scenario === 'connect') {
            tap.finish();
            setTimeout(() => process.exit(), 100);
            return;
        }
        const audit = await eventLogs();
        await power(audit);
        await accountsWithUser();
        await eventSubscriptions();
    } catch (e) {
        tap.ok(false, `MeshCommander scenario ran to completion (${e.message})`, e.stack);
    }
    tap.finish();
    // the comm layer keeps its keep-alive socket open
    setTimeout(() => process.exit(), 100);
}

main();
