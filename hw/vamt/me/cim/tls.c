/*
 * vAMT ME core: CIM providers for TLS settings, keys and certificates
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "provider.h"

static const VamtCimClass tls_setting_class;
/*
 * The remote ports (802.3: the NIC and listen=) and the local ones (LME).
 * TLS is on remotely exactly when the platform serves 16993 with its own
 * credentials (VamtFirmware.remote_tls); the plain ports stay open beside
 * it (AcceptNonSecureConnections), as AMT 16.0 keeps them.  LME has no TLS.
 */
static void tls_setting_list(VamtAmt *amt, GPtrArray *out)
{
    static const char *const ids[] = {
        "Intel(r) AMT 802.3 TLS Settings", "Intel(r) AMT LMS TLS Settings",
    };
    const VamtFirmware *fw = vamt_amt_firmware(amt);
    const bool enabled[] = { fw->remote_tls, false };
    const bool mutual[] = { fw->remote_tls && fw->remote_tls_mutual, false };

    for (unsigned i = 0; i < G_N_ELEMENTS(ids); i++) {
        VamtCimInstance *inst = vamt_cim_new(&tls_setting_class);

        vamt_cim_str(inst, "InstanceID", ids[i]);
        vamt_cim_str(inst, "ElementName", ids[i]);
        vamt_cim_bool(inst, "Enabled", enabled[i]);
        if (i == 0) {
            vamt_cim_bool(inst, "AcceptNonSecureConnections", true);
        }
        vamt_cim_bool(inst, "MutualAuthentication", mutual[i]);
        vamt_cim_bool(inst, "NonSecureConnectionsSupported", true);
        g_ptr_array_add(out, inst);
    }
}

static const VamtCimClass tls_setting_class = {
    .name = "AMT_TLSSettingData", .ns_prefix = VAMT_NS_AMT,
    .keys = cim_keys_instance_id, .list = tls_setting_list,
};


CIM_EMPTY_CLASS(certificate_class, "AMT_PublicKeyCertificate", VAMT_NS_AMT,
            cim_keys_instance_id);

CIM_EMPTY_CLASS(key_pair_class, "AMT_PublicPrivateKeyPair", VAMT_NS_AMT,
            cim_keys_instance_id);

CIM_EMPTY_CLASS(tls_credential_class, "AMT_TLSCredentialContext", VAMT_NS_AMT,
            NULL);


const VamtCimClass *const vamt_cim_tls_classes[] = {
    &tls_setting_class, &certificate_class, &key_pair_class,
    &tls_credential_class, NULL,
};
