/*
 * Unit tests for the ME core's power policy and for the provisioning
 * state kept in the AMT state.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <glib.h>

#include "amt.h"
#include "power-policy.h"
#include "vamt-test-support.h"

static void test_policy_table(void)
{
    static const VamtPowerState needs_host[] = {
        VAMT_POWER_OFF_HARD, VAMT_POWER_OFF_SOFT, VAMT_POWER_CYCLE_SOFT,
        VAMT_POWER_CYCLE_HARD, VAMT_POWER_MASTER_BUS_RESET, VAMT_POWER_NMI,
        VAMT_POWER_OFF_SOFT_GRACEFUL, VAMT_POWER_OFF_HARD_GRACEFUL,
        VAMT_POWER_CYCLE_SOFT_GRACEFUL, VAMT_POWER_CYCLE_HARD_GRACEFUL,
        VAMT_POWER_MASTER_BUS_RESET_GRACEFUL,
    };

    /* AMT refuses to power on what is on */
    g_assert_false(vamt_power_policy_allows(VAMT_POWER_ON, VAMT_POWER_ON));
    g_assert_true(vamt_power_policy_allows(VAMT_POWER_OFF_SOFT,
                                           VAMT_POWER_ON));
    g_assert_true(vamt_power_policy_allows(VAMT_POWER_SLEEP_DEEP,
                                           VAMT_POWER_ON));
    for (unsigned i = 0; i < G_N_ELEMENTS(needs_host); i++) {
        g_assert_true(vamt_power_policy_allows(VAMT_POWER_ON, needs_host[i]));
        g_assert_true(vamt_power_policy_allows(VAMT_POWER_SLEEP_DEEP,
                                               needs_host[i]));
        g_assert_false(vamt_power_policy_allows(VAMT_POWER_OFF_SOFT,
                                                needs_host[i]));
        g_assert_false(vamt_power_policy_allows(VAMT_POWER_OFF_HARD,
                                                needs_host[i]));
    }
    /* sleep and hibernate are not offered (no platform support) */
    g_assert_false(vamt_power_policy_allows(VAMT_POWER_ON,
                                            VAMT_POWER_SLEEP_LIGHT));
    g_assert_false(vamt_power_policy_allows(VAMT_POWER_ON,
                                            VAMT_POWER_HIBERNATE));
    g_assert_false(vamt_power_policy_allows(VAMT_POWER_ON, 0));
    g_assert_false(vamt_power_policy_allows(VAMT_POWER_ON, 99));
}

/* A refused request never reaches the platform and is not audited */
static void test_refusal_reaches_no_platform(void)
{
    VamtTestPlatform fake;
    VamtFirmware fw;
    VamtAmt *amt;
    uint32_t audited;

    vamt_test_platform_init(&fake, VAMT_POWER_ON);
    vamt_test_firmware_init(&fw);
    amt = vamt_amt_new(&fw, &vamt_test_platform_ops, &fake);
    audited = vamt_amt_state(amt)->audit_count;

    g_assert_false(vamt_amt_request_power(amt, VAMT_POWER_ON, "admin"));
    g_assert_cmpuint(fake.power_requests->len, ==, 0);
    g_assert_cmpuint(vamt_amt_state(amt)->audit_count, ==, audited);

    g_assert_true(vamt_amt_request_power(amt, VAMT_POWER_OFF_SOFT, "admin"));
    g_assert_cmpuint(fake.power_requests->len, ==, 1);
    g_assert_false(vamt_amt_request_power(amt, VAMT_POWER_CYCLE_SOFT,
                                          "admin"));
    g_assert_true(vamt_amt_request_power(amt, VAMT_POWER_ON, "admin"));
    g_assert_cmpuint(fake.power_requests->len, ==, 2);
    g_assert_cmpuint(vamt_amt_state(amt)->audit_count, ==, audited + 2);

    vamt_amt_free(amt);
    vamt_test_platform_destroy(&fake);
}

static void test_provisioning_state(void)
{
    VamtTestPlatform fake;
    VamtFirmware fw;
    VamtAmt *amt, *other;
    g_autoptr(GByteArray) blob = g_byte_array_new();

    vamt_test_platform_init(&fake, VAMT_POWER_ON);
    vamt_test_firmware_init(&fw);
    amt = vamt_amt_new(&fw, &vamt_test_platform_ops_nvram, &fake);
    other = vamt_amt_new(&fw, &vamt_test_platform_ops, &fake);

    /* a factory ME */
    g_assert_cmpuint(vamt_amt_provisioning_state(amt), ==,
                     VAMT_PROVISIONING_PRE);
    g_assert_cmpuint(vamt_amt_control_mode(amt), ==, VAMT_CONTROL_MODE_NONE);

    /* combinations AMT does not have are refused and change nothing */
    g_assert_false(vamt_amt_set_provisioning(amt, VAMT_PROVISIONING_POST,
                                             VAMT_CONTROL_MODE_NONE));
    g_assert_false(vamt_amt_set_provisioning(amt, VAMT_PROVISIONING_PRE,
                                             VAMT_CONTROL_MODE_ACM));
    g_assert_false(vamt_amt_set_provisioning(amt, 7, VAMT_CONTROL_MODE_NONE));
    g_assert_cmpuint(fake.changes, ==, 0);

    /* a change is saved (NVRAM is told) and survives save/load */
    g_assert_true(vamt_amt_set_provisioning(amt, VAMT_PROVISIONING_POST,
                                            VAMT_CONTROL_MODE_CCM));
    g_assert_cmpuint(fake.changes, ==, 1);
    vamt_amt_save(amt, blob);
    g_assert_true(vamt_amt_load(other, blob->data, blob->len));
    g_assert_cmpuint(vamt_amt_provisioning_state(other), ==,
                     VAMT_PROVISIONING_POST);
    g_assert_cmpuint(vamt_amt_control_mode(other), ==,
                     VAMT_CONTROL_MODE_CCM);

    /* a saved state claiming an impossible combination does not load */
    /* per filter: 4+4+1+4+2+1+16+1+8; per policy: 4+4+4+1+4*8+1+4; +8 */
    const size_t system_defense_len =
        VAMT_SD_MAX_FILTERS * 41 +
        VAMT_SD_MAX_POLICIES * (18 + 4 * VAMT_SD_MAX_POLICY_FILTERS) + 8;
    /*
     * the control mode, before the local system account's password, one
     * byte for each (unused) agent watchdog, the (empty) host FQDN, one
     * byte for each (unused) subscription, the (empty) RFB password and
     * the NIC's static address, netmask, gateway and two DNS servers,
     * System Defense's (empty) filters and policies and its default
     * policy, and the two remote TLS settings
     */
    blob->data[blob->len - 1 - (4 + VAMT_AMT_LSA_PASSWORD_LEN) -
               VAMT_AGENT_MAX - 4 - VAMT_SUBSCRIPTION_MAX - 4 - 5 * 4 -
               system_defense_len - 4 - 2] =
        VAMT_CONTROL_MODE_NONE;
    g_assert_false(vamt_amt_load(other, blob->data, blob->len));
    g_assert_cmpuint(vamt_amt_control_mode(other), ==,
                     VAMT_CONTROL_MODE_CCM);

    vamt_amt_free(other);
    vamt_amt_free(amt);
    vamt_test_platform_destroy(&fake);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vamt/power-policy/table", test_policy_table);
    g_test_add_func("/vamt/power-policy/refusal-reaches-no-platform",
                    test_refusal_reaches_no_platform);
    g_test_add_func("/vamt/amt/provisioning-state", test_provisioning_state);
    return g_test_run();
}
