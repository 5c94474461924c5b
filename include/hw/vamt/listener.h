/*
 * vAMT: a service of the ME on a host socket
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VAMT_LISTENER_H
#define HW_VAMT_LISTENER_H

#include "conn.h"
#include "crypto/tlscreds.h"

typedef struct VamtListener VamtListener;

/*
 * Listen on @address ("host:port", or any form socket_parse() takes) and
 * serve each connection with @service, which must outlive the listener;
 * inside TLS with @tls_creds (a server's), if not NULL.
 */
VamtListener *vamt_listener_new(const char *address,
                                const VamtService *service,
                                QCryptoTLSCreds *tls_creds, Error **errp);
void vamt_listener_free(VamtListener *l);
/* The TCP port it listens on (useful with port 0), or -1 */
int vamt_listener_port(const VamtListener *l);
/* The address it listens on, as text */
char *vamt_listener_host(const VamtListener *l);
/* Open client connections */
unsigned vamt_listener_clients(const VamtListener *l);

#endif
