/*
 * vAMT ME core: the remote TLS settings (AMT_TLSSettingData's 802.3
 * instance) as the ports see them: which of AMT's ports a remote console
 * finds open (cira-tls.md A2)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>

#include "amt.h"

bool vamt_amt_remote_tls_on(VamtAmt *amt)
{
    const VamtFirmware *fw = vamt_amt_firmware(amt);

    return fw->remote_tls && (fw->remote_plain_unsupported ||
                              !vamt_amt_state(amt)->tls_remote_off);
}

bool vamt_amt_remote_plain_open(VamtAmt *amt)
{
    if (vamt_amt_firmware(amt)->remote_plain_unsupported) {
        return false;
    }
    return !vamt_amt_remote_tls_on(amt) ||
           !vamt_amt_state(amt)->tls_plain_refused;
}

void vamt_amt_commit_tls(VamtAmt *amt)
{
    VamtAmtState *s = vamt_amt_state(amt);

    if (!s->tls_pending) {
        return;
    }
    s->tls_remote_off = s->tls_remote_off_pending;
    s->tls_plain_refused = s->tls_plain_refused_pending;
    s->tls_pending = false;
    vamt_amt_check_changed(amt);
}
