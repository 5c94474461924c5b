# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The WS-Man side of booting from IDE-R, for the IDE-R tests: source it
# after tests/lib.sh (it uses wsman_* with $port and $password).
#   ider_put_use_ider   Put AMT_BootSettingData UseIDER=true, IDERBootDevice=1
#                       (CD); prints how many UseIDER>true< the reply has
#   ider_power STATE    CIM_PowerManagementService RequestPowerStateChange
#                       (10: reset); prints its ReturnValue

ider_put_use_ider() {
    wsman_put AMT_BootSettingData \
        "$(wsman_sel InstanceID "Intel(r) AMT:BootSettingData 0")" \
        "<p:UseIDER>true</p:UseIDER><p:IDERBootDevice>1</p:IDERBootDevice>" |
        grep -c "UseIDER>true<"
}

ider_power() {
    local cim=http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2
    local anon=http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous

    wsman_call CIM_PowerManagementService RequestPowerStateChange \
        "$(wsman_power_service)" \
        "<p:PowerState>$1</p:PowerState><p:ManagedElement><wsa:Address>$anon</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>$cim/CIM_ComputerSystem</wsman:ResourceURI><wsman:SelectorSet>$(wsman_sel CreationClassName CIM_ComputerSystem)$(wsman_sel Name ManagedSystem)</wsman:SelectorSet></wsa:ReferenceParameters></p:ManagedElement>" |
        sed -n 's/.*ReturnValue>\([0-9][0-9]*\)<.*/\1/p'
}
