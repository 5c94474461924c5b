#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The AMTHI replies the guest test expects, byte for byte.

usage: amthi-expected.py FW-VERSION VM-UUID

Prints one line per exchange of meiclient's amthi-all probe: its name and
an extended regular expression of the whole reply in lower-case hex.
Written from the AMTHI framing in docs/specs/vamt-heci.rst ("AMTHI"), not
from the ME's code: header {1, 1, 0, 0}, the command with bit 23 set, the
length after the header, a u32 status, the payload; little-endian.  The
guest runs without a NIC and with no admin-secret: a new, unprovisioned
machine whose host name is AMT's default, "vamt".
"""

import struct
import sys
import uuid

SUCCESS, INTERNAL_ERROR, INVALID_MESSAGE_LENGTH = 0x0, 0x1, 0x4
# AMT's first default root hash (Intel AMT SDK, "Root Certificate Hashes")
VERISIGN_G1_SHA1 = "742c3192e607e424eb4549542be1bbc53e6174e2"
NOT_PERMITTED, INVALID_PROVISIONING_STATE = 0x10, 0x20
INVALID_PARAMETER, CERTIFICATE_NOT_READY, INVALID_HANDLE = 0x24, 0x31, 0x805


def reply(command, status=SUCCESS, payload=b""):
    body = struct.pack("<I", status) + (payload if status == SUCCESS else b"")
    return struct.pack("<BBHII", 1, 1, 0, command | 0x00800000,
                       len(body)) + body


def ansi(text):
    return struct.pack("<H", len(text)) + text.encode()


def code_versions(fw):
    major, minor, hotfix, build = fw.split(".")
    amt = f"{major}.{minor}.{hotfix}"
    entries = [("Flash", fw), ("Netstack", fw), ("AMTApps", fw),
               ("AMT", amt), ("Sku", "16392"), ("VendorID", "8086"),
               ("Build Number", build), ("Recovery Version", amt),
               ("Recovery Build Num", build), ("Legacy Mode", "False"),
               ("AMT FW Core Version", amt)]
    out = b"vAMT virtual platform BIOS".ljust(65, b"\0")
    out += struct.pack("<I", len(entries))
    for desc, ver in entries:
        out += struct.pack("<H", len(desc)) + desc.encode().ljust(20, b"\0")
        out += struct.pack("<H", len(ver)) + ver.encode().ljust(20, b"\0")
    return out


def main():
    fw, vm_uuid = sys.argv[1], sys.argv[2]
    u32 = lambda v: struct.pack("<I", v)
    no_mac = bytes(6)
    lan_wired = u32(1) + u32(0) + u32(1) + bytes([2, 1]) + no_mac
    lan_wireless = u32(0) * 3 + bytes([0, 0]) + no_mac
    link_state = bytes(15) + b"\1"
    # the local system account: "$$OsAdmin" and 32 printable characters
    lsa_user = b"$$OsAdmin".ljust(33, b"\0").hex()
    lsa = "(2[1-9a-f]|[3-6][0-9a-f]|7[0-9a-e]){32}" + "00" * (33 - 32 + 2)
    exchanges = [
        ("GetCodeVersions", reply(0x0400001a, payload=code_versions(fw))),
        ("GetProvisioningState", reply(0x04000011, payload=u32(0))),
        ("GetProvisioningMode", reply(0x04000008, payload=u32(0) + u32(0))),
        ("GetControlMode", reply(0x0400006b, payload=u32(0))),
        ("GetUUID", reply(0x0400005c, payload=uuid.UUID(vm_uuid).bytes_le)),
        ("GetLocalSystemAccount", None),
        ("GetPkiFqdnSuffix", reply(0x04000036, payload=ansi(""))),
        ("SetDnsSuffix", reply(0x0400002f)),
        ("GetPkiFqdnSuffix-after-set",
         reply(0x04000036, payload=ansi("lab.example"))),
        ("GetFQDN", reply(0x04000056, payload=u32(1) + u32(0) * 3 + u32(4) +
                          ansi("vamt.lab.example"))),
        ("GetLanInterfaceSettings-wired",
         reply(0x04000048, payload=lan_wired)),
        ("GetLanInterfaceSettings-wireless",
         reply(0x04000048, payload=lan_wireless)),
        ("GetLanInterfaceSettings-2", reply(0x04000048, INVALID_PARAMETER)),
        ("GetMacAddresses", reply(0x04000025, payload=no_mac + no_mac)),
        ("EnumerateHashHandles",
         reply(0x0400002c, payload=u32(8) + b"".join(u32(h)
                                                     for h in range(1, 9)))),
        ("GetCertHashEntry-0", reply(0x0400002d, INVALID_HANDLE)),
        # handle 1: default, active, the SHA-1 (1) Intel's AMT SDK lists
        ("GetCertHashEntry-1",
         reply(0x0400002d, payload=u32(1) + u32(1) +
               bytes.fromhex(VERISIGN_G1_SHA1).ljust(64, b"\0") + b"\1" +
               ansi("VeriSign Class 3 Primary CA-G1"))),
        ("GetRemoteAccessConnectionStatus",
         reply(0x04000046, payload=u32(3) + u32(0) + u32(0) + ansi(""))),
        ("GetZeroTouchEnabled", reply(0x04000030, payload=u32(0))),
        ("GetUserInitiatedEnabledInterfaces",
         reply(0x0400004d, payload=u32(0))),
        ("GetEHBCState", reply(0x04000084, payload=u32(0))),
        ("GetDNSSuffixList", reply(0x0400003e, payload=b"\0\0")),
        ("GetLastHostResetReason", reply(0x0400004a, payload=u32(0) * 2)),
        ("SetEnterpriseAccess", reply(0x0400003f)),
        ("OpenUserInitiatedConnection", reply(0x04000044, NOT_PERMITTED)),
        ("CloseUserInitiatedConnection", reply(0x04000045, NOT_PERMITTED)),
        ("GetCurrentPowerPolicy",
         reply(0x04000047, payload=ansi("Desktop: ON in S0, S3, S4-5"))),
        ("GetFeaturesState-redirection",
         reply(0x04000049, payload=u32(0) + bytes(12))),
        ("GetAMTState", reply(0x01000001, payload=link_state + u32(5) +
                              bytes([1, 0, 1, 1, 0]))),
        ("StopConfiguration", reply(0x0400005e, INVALID_PROVISIONING_STATE)),
        ("StartConfigurationHBased",
         reply(0x0400008b, CERTIFICATE_NOT_READY)),
        ("Unprovision", reply(0x04000010, INVALID_PROVISIONING_STATE)),
        ("unknown-0x04000099", reply(0x04000099, INTERNAL_ERROR)),
        ("GetProvisioningState-bad-length",
         reply(0x04000011, INVALID_MESSAGE_LENGTH)),
        ("GetLocalSystemAccount-short",
         reply(0x04000067, INVALID_MESSAGE_LENGTH)),
        ("SetHostFQDN", reply(0x0400005b)),
    ]
    for name, data in exchanges:
        if data is None:
            head = reply(0x04000067, payload=bytes(68)).hex()[:32]
            print(name, head + lsa_user + lsa)
        else:
            print(name, data.hex())


if __name__ == "__main__":
    main()
