/*
 * vAMT ME core: the XML namespaces of WS-Management envelopes, shared by
 * the service (wsman.c) and the ME's own events (alert-sender.c)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VAMT_ME_WSMAN_NS_H
#define VAMT_ME_WSMAN_NS_H

#define NS_SOAP         "http://www.w3.org/2003/05/soap-envelope"
#define NS_ADDRESSING   "http://schemas.xmlsoap.org/ws/2004/08/addressing"
#define NS_WSMAN        "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
#define NS_TRUST        "http://schemas.xmlsoap.org/ws/2005/02/trust"
#define NS_SECEXT       "http://docs.oasis-open.org/wss/2004/01/" \
                        "oasis-200401-wss-wssecurity-secext-1.0.xsd"
#define NS_CIMBINDING   "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"
#define NS_ENUMERATION  "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
#define NS_TRANSFER     "http://schemas.xmlsoap.org/ws/2004/09/transfer"
#define NS_EVENTING     "http://schemas.xmlsoap.org/ws/2004/08/eventing"
#define NS_COMMON       "http://schemas.dmtf.org/wbem/wscim/1/common"
#define NS_IDENTITY     "http://schemas.dmtf.org/wbem/wsman/identity/1/" \
                        "wsmanidentity.xsd"
#define NS_XSI          "http://www.w3.org/2001/XMLSchema-instance"
#define ANONYMOUS       NS_ADDRESSING "/role/anonymous"

#endif
