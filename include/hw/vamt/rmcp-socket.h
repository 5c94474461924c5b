/*
 * vAMT: ASF presence (RMCP) on a host UDP socket
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VAMT_RMCP_SOCKET_H
#define HW_VAMT_RMCP_SOCKET_H

#include "me.h"

typedef struct VamtRmcpSocket VamtRmcpSocket;

/*
 * Answer the presence pings that reach UDP @port of @host (the host of
 * listen=; "" for every address; port 0 for one the system chooses)
 * with @me's pong, which says WS-Management is on TCP @http_port (and
 * over TLS on @tls_port, if not 0).  @me must outlive the socket.
 */
VamtRmcpSocket *vamt_rmcp_socket_new(const char *host, uint16_t port,
                                     VamtMe *me, uint16_t http_port,
                                     uint16_t tls_port, Error **errp);
void vamt_rmcp_socket_free(VamtRmcpSocket *r);
/* The UDP port it is bound to, or -1 */
int vamt_rmcp_socket_port(const VamtRmcpSocket *r);

#endif
