/*
 * QTest for the vAMT web service on a host socket (listen=): Identify,
 * Digest authentication, real power transitions and hostile input, as a
 * console over TCP sees them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <netinet/in.h>
#include <poll.h>
#include "qemu/timer.h"
#include "libqtest.h"
#include "libqos/vamt.h"
#include "qobject/qdict.h"
#include "../common/vamt-digest-client.h"

#define PMS_URI     VAMT_CIM_NS "CIM_PowerManagementService"

static char *power_request_body(int state)
{
    return g_strdup_printf(
        "<h:RequestPowerStateChange_INPUT xmlns:h=\"" PMS_URI "\">"
        "<h:PowerState>%d</h:PowerState><h:ManagedElement>"
        "<Address xmlns=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\">"
        "http://schemas.xmlsoap.org/ws/2004/08/addressing</Address>"
        "<ReferenceParameters xmlns=\"http://schemas.xmlsoap.org/ws/2004/08/"
        "addressing\"><ResourceURI xmlns=\"" VAMT_WSMAN_NS "\">" VAMT_CIM_NS
        "CIM_ComputerSystem</ResourceURI><SelectorSet xmlns=\"" VAMT_WSMAN_NS
        "\"><Selector Name=\"CreationClassName\">CIM_ComputerSystem"
        "</Selector><Selector Name=\"Name\">ManagedSystem</Selector>"
        "</SelectorSet></ReferenceParameters></h:ManagedElement>"
        "</h:RequestPowerStateChange_INPUT>", state);
}

/* RequestPowerStateChange(@state) as admin: its ReturnValue */
static int request_power(VamtWeb *w, int state)
{
    g_autofree char *input = power_request_body(state);
    g_autofree char *env = vamt_wsman_envelope(
        PMS_URI "/RequestPowerStateChange", PMS_URI, input);
    g_autofree char *body = vamt_wsman_call(w, env);
    g_autofree char *ret = vamt_element_text(body, "ReturnValue");

    return atoi(ret);
}

static const char *vm_status(VamtWeb *w)
{
    static char status[32];
    QDict *rsp = qtest_qmp(w->qts, "{ 'execute': 'query-status' }");

    g_strlcpy(status, qdict_get_str(qdict_get_qdict(rsp, "return"),
                                    "status"), sizeof(status));
    qobject_unref(rsp);
    return status;
}

static void wait_status(VamtWeb *w, const char *want)
{
    for (int i = 0; i < 5000 && strcmp(vm_status(w), want); i++) {
        g_usleep(1000);
    }
    g_assert_cmpstr(vm_status(w), ==, want);
}

/* Identify needs no password; everything else gets the Digest challenge */
static void test_web_identify(void)
{
    static const char identify[] =
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
        "xmlns:i=\"http://schemas.dmtf.org/wbem/wsman/identity/1/"
        "wsmanidentity.xsd\"><s:Header/><s:Body><i:Identify/></s:Body>"
        "</s:Envelope>";
    g_autofree char *req = g_strdup_printf(
        "POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n%s",
        strlen(identify), identify);
    g_autofree char *get = vamt_wsman_envelope(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get",
        VAMT_CIM_NS "CIM_SoftwareIdentity", "");
    g_autofree char *get_req = g_strdup_printf(
        "POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n%s",
        strlen(get), get);
    g_autofree char *head = NULL, *body = NULL;
    VamtWeb w;
    int fd;

    vamt_web_start(&w, ",fw-version=16.1.27.2225");
    fd = vamt_web_connect(&w);
    vamt_web_send_all(fd, req, strlen(req));
    head = vamt_web_read_response(fd, &body);
    g_assert_true(g_str_has_prefix(head, "HTTP/1.1 200"));
    g_assert_nonnull(strstr(head, "Server: Intel(R) Active Management "
                            "Technology 16.1.27.2225"));
    g_assert_nonnull(strstr(body, "IdentifyResponse"));
    g_assert_nonnull(strstr(body, "AMT 16.1"));
    g_free(head);
    g_free(body);

    /* same keep-alive connection: an unauthenticated Get */
    vamt_web_send_all(fd, get_req, strlen(get_req));
    head = vamt_web_read_response(fd, &body);
    g_assert_true(g_str_has_prefix(head, "HTTP/1.1 401"));
    g_assert_nonnull(strstr(head, "WWW-Authenticate: Digest realm=\"Digest:"));
    g_assert_nonnull(strstr(head, "qop=\"auth\""));
    close(fd);
    vamt_web_stop(&w);
}

/* RequestPowerStateChange really powers the VM off and on, and resets it */
static void test_web_power(void)
{
    QDict *ev;
    VamtWeb w;

    vamt_web_start(&w, "");
    g_assert_cmpstr(vm_status(&w), ==, "running");

    g_assert_cmpint(request_power(&w, 8), ==, 0);
    ev = qtest_qmp_eventwait_ref(w.qts, "SHUTDOWN");
    g_assert_false(qdict_get_bool(qdict_get_qdict(ev, "data"), "guest"));
    qobject_unref(ev);
    wait_status(&w, "shutdown");

    /* the ME answers while the host is off; off again is refused */
    g_assert_cmpint(request_power(&w, 8), !=, 0);

    g_assert_cmpint(request_power(&w, 2), ==, 0);
    wait_status(&w, "running");

    g_assert_cmpint(request_power(&w, 10), ==, 0);
    ev = qtest_qmp_eventwait_ref(w.qts, "RESET");
    g_assert_false(qdict_get_bool(qdict_get_qdict(ev, "data"), "guest"));
    qobject_unref(ev);
    g_assert_cmpstr(vm_status(&w), ==, "running");
    vamt_web_stop(&w);
}

/*
 * power-off-mode=stop (libvirt): off pauses the VM without a SHUTDOWN
 * event, the ME counts it as off, and on boots it afresh.
 */
static void test_web_power_stop_mode(void)
{
    QDict *ev;
    VamtWeb w;

    vamt_web_start(&w, ",power-off-mode=stop");
    g_assert_cmpint(request_power(&w, 8), ==, 0);
    ev = qtest_qmp_eventwait_ref(w.qts, "STOP");
    qobject_unref(ev);
    g_assert_cmpstr(vm_status(&w), ==, "paused");
    g_assert_null(qtest_qmp_event_ref(w.qts, "SHUTDOWN"));

    /* off, as far as the ME is concerned: a second off is refused */
    g_assert_cmpint(request_power(&w, 8), !=, 0);

    g_assert_cmpint(request_power(&w, 2), ==, 0);
    ev = qtest_qmp_eventwait_ref(w.qts, "RESET");
    qobject_unref(ev);
    wait_status(&w, "running");
    vamt_web_stop(&w);
}

/* Garbage, floods and abandoned connections cost QEMU nothing lasting */
/*
 * A VM the operator holds (-S, or paused with "stop") is not a power
 * state: no console request starts or resets it.
 */
static void test_web_power_operator_hold(void)
{
    VamtWeb w;

    vamt_web_start(&w, " -S");
    g_assert_cmpstr(vm_status(&w), ==, "prelaunch");
    g_assert_cmpint(request_power(&w, 2), !=, 0);
    g_assert_cmpint(request_power(&w, 10), !=, 0);
    g_usleep(200 * 1000);
    g_assert_cmpstr(vm_status(&w), ==, "prelaunch");

    qtest_qmp_assert_success(w.qts, "{ 'execute': 'cont' }");
    wait_status(&w, "running");
    qtest_qmp_assert_success(w.qts, "{ 'execute': 'stop' }");
    wait_status(&w, "paused");
    g_assert_cmpint(request_power(&w, 10), !=, 0);
    g_assert_cmpint(request_power(&w, 5), !=, 0);
    g_assert_cmpint(request_power(&w, 8), !=, 0);
    g_usleep(200 * 1000);
    g_assert_cmpstr(vm_status(&w), ==, "paused");

    /* once the operator lets it run, the console has it back */
    qtest_qmp_assert_success(w.qts, "{ 'execute': 'cont' }");
    wait_status(&w, "running");
    g_assert_cmpint(request_power(&w, 8), ==, 0);
    wait_status(&w, "shutdown");
    vamt_web_stop(&w);
}

/* The peer closed @fd (within the receive timeout): 0 bytes read */
static bool peer_closed(int fd)
{
    char c;

    return recv(fd, &c, 1, 0) == 0;
}

/*
 * Idle connections cannot keep a console out: connections are capped per
 * peer address and per listener, and at a cap the oldest connection that
 * has not authenticated (the peer's own, at the per-peer cap) makes room.
 */
static void test_web_connection_caps(void)
{
    enum { PER_PEER = 8, TOTAL = 32, PEERS = 5 };
    int fds[PEERS][PER_PEER];
    int extra;
    VamtWeb w;
    QDict *rsp;

    vamt_web_start(&w, "");
    for (int i = 0; i < PER_PEER; i++) {
        fds[0][i] = vamt_web_connect_from(&w, 2);
    }
    /* one more from a peer at its cap: its own oldest one goes */
    extra = vamt_web_connect_from(&w, 2);
    g_assert_true(peer_closed(fds[0][0]));
    close(fds[0][0]);
    fds[0][0] = extra;

    /* more than TOTAL from other peers: the oldest make room */
    for (int p = 1; p < PEERS; p++) {
        for (int i = 0; i < PER_PEER; i++) {
            fds[p][i] = vamt_web_connect_from(&w, 2 + p);
        }
    }
    g_assert_true(peer_closed(fds[0][1]));
    g_assert_true(peer_closed(fds[0][PEERS * PER_PEER - TOTAL - 1]));

    /* a console still gets in and is served */
    g_assert_cmpint(request_power(&w, 10), ==, 0);
    rsp = qtest_qmp(w.qts, "{ 'execute': 'query-status' }");
    g_assert_true(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);

    for (int p = 0; p < PEERS; p++) {
        for (int i = 0; i < PER_PEER; i++) {
            close(fds[p][i]);
        }
    }
    vamt_web_stop(&w);
}

/* User + system CPU seconds QEMU (@pid) has used */
static double cpu_seconds(pid_t pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
    g_autofree char *stat = NULL;
    unsigned long utime, stime;
    char *p;

    g_assert_true(g_file_get_contents(path, &stat, NULL, NULL));
    p = strrchr(stat, ')');
    g_assert_nonnull(p);
    /* fields 14 and 15, counted from the state after the name */
    g_assert_cmpint(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
                           "%*u %*u %lu %lu", &utime, &stime), ==, 2);
    return (double)(utime + stime) / sysconf(_SC_CLK_TCK);
}

/*
 * Out of descriptors, QEMU neither spins on accept() nor stops serving
 * for good: once descriptors are free again, a console is served.
 */
static void test_web_descriptor_exhaustion(void)
{
    g_autofree char *saved = g_strdup(g_getenv("QTEST_QEMU_BINARY"));
    /* util-linux's prlimit is part of every Debian system */
    g_autofree char *limited = g_strdup_printf("prlimit --nofile=40:40 %s",
                                               saved);
    /* about 26 accepted, the rest waiting in the listen backlog */
    int fds[36];
    double before, used;
    VamtWeb w;

    g_setenv("QTEST_QEMU_BINARY", limited, true);
    vamt_web_start(&w, "");
    g_setenv("QTEST_QEMU_BINARY", saved, true);

    /* more connections than QEMU has descriptors, under the caps */
    for (int i = 0; i < G_N_ELEMENTS(fds); i++) {
        fds[i] = vamt_web_connect_from(&w, 2 + i % 6);
    }
    g_usleep(200 * 1000);
    before = cpu_seconds(qtest_pid(w.qts));
    g_usleep(1000 * 1000);
    used = cpu_seconds(qtest_pid(w.qts)) - before;
    g_test_message("QEMU used %.2f s of CPU in 1 s out of descriptors", used);
    /* a spinning accept loop burns a whole CPU */
    g_assert_cmpfloat(used, <, 0.5);
    qtest_qmp_assert_success(w.qts, "{ 'execute': 'query-status' }");

    for (int i = 0; i < G_N_ELEMENTS(fds); i++) {
        close(fds[i]);
    }
    /* descriptors are back: the console is served (the retry is <= 1 s) */
    g_assert_cmpint(request_power(&w, 10), ==, 0);
    vamt_web_stop(&w);
}

static void test_web_hostile(void)
{
    g_autofree char *head = NULL, *body = NULL;
    g_autofree char *junk = g_malloc(64 * 1024);
    int idle[40];
    VamtWeb w;
    int fd;

    vamt_web_start(&w, "");
    for (size_t i = 0; i < 64 * 1024; i++) {
        junk[i] = g_test_rand_int_range(1, 256);
    }
    fd = vamt_web_connect(&w);
    send(fd, junk, 64 * 1024, MSG_NOSIGNAL);
    head = vamt_web_read_response(fd, &body);
    g_assert_true(g_str_has_prefix(head, "HTTP/1.1 4"));
    close(fd);

    /* a head that never ends */
    fd = vamt_web_connect(&w);
    vamt_web_send_all(fd, "POST /wsman HTTP/1.1\r\n", 22);
    for (int i = 0; i < 200; i++) {
        send(fd, "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
             56, MSG_NOSIGNAL);
    }
    g_free(head);
    g_free(body);
    head = vamt_web_read_response(fd, &body);
    g_assert_true(g_str_has_prefix(head, "HTTP/1.1 431"));
    close(fd);

    /* idle half-open requests do not block the others */
    for (int i = 0; i < G_N_ELEMENTS(idle); i++) {
        idle[i] = vamt_web_connect(&w);
        vamt_web_send_all(idle[i], "POST /wsman HTTP/1.1\r\nContent-Le", 32);
    }
    fd = vamt_web_connect(&w);
    vamt_web_send_all(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
    g_free(head);
    g_free(body);
    head = vamt_web_read_response(fd, &body);
    g_assert_true(g_str_has_prefix(head, "HTTP/1.1 303"));
    close(fd);
    for (int i = 0; i < G_N_ELEMENTS(idle); i++) {
        close(idle[i]);
    }
    g_assert_cmpstr(vm_status(&w), ==, "running");
    vamt_web_stop(&w);
}

#define AGENT_URI   "http://intel.com/wbem/wscim/1/amt-schema/1/" \
                    "AMT_AgentPresenceWatchdog"
#define AGENT_ID    "tLaiTCVep1316LALTZRqpw=="

/* AMT_AgentPresenceWatchdog @method on the test agent: its ReturnValue */
static int agent_invoke(VamtWeb *w, const char *method, const char *args)
{
    g_autofree char *action = g_strdup_printf(AGENT_URI "/%s", method);
    g_autofree char *input = g_strdup_printf(
        "<r:%s_INPUT xmlns:r=\"" AGENT_URI "\">%s</r:%s_INPUT>",
        method, args, method);
    g_autofree char *env = vamt_wsman_envelope_selected(
        action, AGENT_URI, "<w:SelectorSet><w:Selector Name=\"DeviceID\">"
        AGENT_ID "</w:Selector></w:SelectorSet>", input);
    g_autofree char *body = vamt_wsman_call(w, env);
    g_autofree char *ret = vamt_element_text(body, "ReturnValue");

    return atoi(ret);
}

static char *agent_state(VamtWeb *w)
{
    g_autofree char *env = vamt_wsman_envelope_selected(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", AGENT_URI,
        "<w:SelectorSet><w:Selector Name=\"DeviceID\">" AGENT_ID
        "</w:Selector></w:SelectorSet>", "");
    g_autofree char *body = vamt_wsman_call(w, env);

    return vamt_element_text(body, "CurrentState");
}

/* A console's Create of AGENT_ID's watchdog: timeout 5 s, no grace */
static char *agent_create_envelope(void)
{
    return vamt_wsman_envelope(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create", AGENT_URI,
        "<r:AMT_AgentPresenceWatchdog xmlns:r=\"" AGENT_URI "\">"
        "<r:DeviceID>" AGENT_ID "</r:DeviceID>"
        "<r:TimeoutInterval>5</r:TimeoutInterval>"
        "<r:GracePeriod>0</r:GracePeriod></r:AMT_AgentPresenceWatchdog>");
}

/* Whether QMP has seen event @name, after a round trip to collect it */
static bool saw_event(VamtWeb *w, const char *name)
{
    QDict *ev;

    vm_status(w);
    ev = qtest_qmp_event_ref(w->qts, name);
    qobject_unref(ev);
    return ev != NULL;
}

/*
 * An agent that stops heart-beating: its watchdog expires on the guest's
 * clock, WS-Man shows it expired, QMP gets VAMT_WATCHDOG with the agent's
 * DeviceID and, with agent-action=watchdog, QEMU's watchdog action (a
 * reset); with agent-action=report nothing more.
 */
static void test_web_agent_presence(void)
{
    g_autofree char *create = agent_create_envelope();
    g_autofree char *created = NULL, *state = NULL;
    VamtWeb w;
    QDict *ev, *data, *rsp;

    vamt_web_start(&w, ",agent-action=watchdog");
    created = vamt_wsman_call(&w, create);
    g_assert_nonnull(strstr(created, AGENT_ID));
    /* running -> expired: an event-log record */
    g_assert_cmpint(agent_invoke(&w, "AddAction",
                                 "<r:OldState>4</r:OldState>"
                                 "<r:NewState>8</r:NewState>"
                                 "<r:EventOnTransition>true"
                                 "</r:EventOnTransition>"), ==, 0);
    g_assert_cmpint(agent_invoke(&w, "RegisterAgent", ""), ==, 0);
    state = agent_state(&w);
    g_assert_cmpstr(state, ==, "2");

    qtest_clock_step(w.qts, 4 * NANOSECONDS_PER_SECOND);
    g_assert_false(saw_event(&w, "VAMT_WATCHDOG"));
    qtest_clock_step(w.qts, 2 * NANOSECONDS_PER_SECOND);
    ev = qtest_qmp_eventwait_ref(w.qts, "VAMT_WATCHDOG");
    data = qdict_get_qdict(ev, "data");
    g_assert_cmpstr(qdict_get_str(data, "agent"), ==, AGENT_ID);
    g_assert_cmpint(qdict_get_int(data, "timeout"), ==, 5);
    g_assert_cmpstr(qdict_get_str(data, "qom-path"), ==,
                    "/machine/peripheral/amt");
    qobject_unref(ev);
    /* QEMU's watchdog action, reset by default */
    ev = qtest_qmp_eventwait_ref(w.qts, "WATCHDOG");
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(ev, "data"), "action"),
                    ==, "reset");
    qobject_unref(ev);
    qtest_qmp_eventwait(w.qts, "RESET");
    g_free(state);
    state = agent_state(&w);
    g_assert_cmpstr(state, ==, "3");

    /* AMT's own behaviour: the record and the event, no reset */
    rsp = qtest_qmp(w.qts, "{ 'execute': 'qom-set', 'arguments': "
                    "{ 'path': 'amt', 'property': 'agent-action', "
                    "'value': 'report' } }");
    g_assert_true(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
    g_assert_cmpint(agent_invoke(&w, "RegisterAgent", ""), ==, 0);
    qtest_clock_step(w.qts, 6 * NANOSECONDS_PER_SECOND);
    qobject_unref(qtest_qmp_eventwait_ref(w.qts, "VAMT_WATCHDOG"));
    g_assert_false(saw_event(&w, "WATCHDOG"));
    g_assert_false(saw_event(&w, "RESET"));
    g_assert_cmpstr(vm_status(&w), ==, "running");
    vamt_web_stop(&w);
}

/* A listener for the ME's alerts on 127.0.0.1, and its port */
static int alert_listener(int *port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(fd, 1), ==, 0);
    g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &len), ==, 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* The ME's connection, within 30 s */
static int alert_accept(int listener)
{
    struct pollfd pfd = { .fd = listener, .events = POLLIN };

    g_assert_cmpint(poll(&pfd, 1, 30000), ==, 1);
    return accept(listener, NULL, NULL);
}

static char *subscribe_envelope(const char *url, const char *mode)
{
    g_autofree char *selectors = g_strdup_printf(
        "<w:SelectorSet><w:Selector Name=\"InstanceID\">Intel(r) AMT:All"
        "</w:Selector></w:SelectorSet><t:IssuedTokens xmlns:t=\"http://"
        "schemas.xmlsoap.org/ws/2005/02/trust\" xmlns:se=\"http://docs."
        "oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-"
        "1.0.xsd\"><t:RequestSecurityTokenResponse><t:RequestedSecurityToken>"
        "<se:UsernameToken><se:Username>console</se:Username><se:Password>"
        "Ev3nts!pw</se:Password></se:UsernameToken></t:RequestedSecurityToken>"
        "</t:RequestSecurityTokenResponse></t:IssuedTokens>");
    g_autofree char *body = g_strdup_printf(
        "<e:Subscribe xmlns:e=\"http://schemas.xmlsoap.org/ws/2004/08/"
        "eventing\" xmlns:m=\"http://x.com\"><e:Delivery Mode=\"%s\">"
        "<e:NotifyTo><a:Address>%s</a:Address><a:ReferenceParameters>"
        "<m:arg>node-42</m:arg></a:ReferenceParameters></e:NotifyTo>"
        "<w:Auth Profile=\"http://schemas.dmtf.org/wbem/wsman/1/wsman/"
        "secprofile/http/digest\"/></e:Delivery></e:Subscribe>", mode, url);

    return vamt_wsman_envelope_selected(
        "http://schemas.xmlsoap.org/ws/2004/08/eventing/Subscribe",
        "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
        "CIM_FilterCollection", selectors, body);
}

#define PUSH_MODE   "http://schemas.xmlsoap.org/ws/2004/08/eventing/" \
                    "DeliveryModes/Push"

/* The agent's GUID as AMT writes it: AGENT_ID in Microsoft byte order */
static char *agent_guid(void)
{
    gsize len;
    g_autofree guchar *id = g_base64_decode(AGENT_ID, &len);

    g_assert_cmpuint(len, ==, 16);
    return g_strdup_printf("%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
                           "%02X%02X%02X%02X%02X%02X", id[3], id[2], id[1],
                           id[0], id[5], id[4], id[7], id[6], id[8], id[9],
                           id[10], id[11], id[12], id[13], id[14], id[15]);
}

/*
 * A console subscribes a listener with Digest credentials; an agent
 * that stops heart-beating raises AMT's "agent expired" alert: QMP's
 * VAMT_ALERT, and the event POSTed from the host to the listener, which
 * challenges and then gets the right Digest answer; query-vamt counts it
 * delivered.  Without alert-egress the same Subscribe is refused.
 */
static void test_web_alerts(void)
{
    g_autofree char *create = agent_create_envelope();
    g_autofree char *guid = agent_guid();
    g_autofree char *url = NULL, *sub = NULL, *rsp = NULL;
    g_autofree char *head = NULL, *body = NULL, *head2 = NULL, *body2 = NULL;
    g_autofree char *auth = NULL, *cnonce = NULL, *answer = NULL;
    g_autofree char *expected = NULL;
    const char *challenge =
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest "
        "realm=\"events\", qop=\"auth,auth-int\", nonce=\"abc123\", "
        "opaque=\"op\"\r\nContent-Length: 0\r\n\r\n";
    const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    int port, listener = alert_listener(&port);
    int conn;
    QDict *ev, *data, *info, *alerts;
    VamtWeb w;

    /* the default: no way out, so no subscription is taken */
    url = g_strdup_printf("http://127.0.0.1:%d/events", port);
    sub = subscribe_envelope(url, PUSH_MODE);
    vamt_web_start(&w, "");
    g_assert_cmpint(vamt_wsman_status(&w, sub), ==, 400);
    vamt_web_stop(&w);

    vamt_web_start(&w, ",alert-egress=host");
    rsp = vamt_wsman_call(&w, sub);
    g_assert_nonnull(strstr(rsp, "SubscribeResponse"));
    g_free(rsp);
    rsp = vamt_wsman_call(&w, create);
    g_assert_cmpint(agent_invoke(&w, "AddAction",
                                 "<r:OldState>4</r:OldState>"
                                 "<r:NewState>8</r:NewState>"
                                 "<r:EventOnTransition>true"
                                 "</r:EventOnTransition>"), ==, 0);
    g_assert_cmpint(agent_invoke(&w, "RegisterAgent", ""), ==, 0);
    qtest_clock_step(w.qts, 6 * NANOSECONDS_PER_SECOND);

    ev = qtest_qmp_eventwait_ref(w.qts, "VAMT_ALERT");
    data = qdict_get_qdict(ev, "data");
    g_assert_cmpstr(qdict_get_str(data, "message-id"), ==, "iAMT0005");
    g_assert_cmpstr(qdict_get_str(data, "argument"), ==, guid);
    g_assert_cmpint(qdict_get_int(data, "subscribers"), ==, 1);
    qobject_unref(ev);

    conn = alert_accept(listener);
    g_assert_cmpint(conn, >=, 0);
    head = vamt_web_read_response(conn, &body);
    g_assert_true(g_str_has_prefix(head, "POST /events HTTP/1.1\r\n"));
    g_assert_null(strstr(head, "Authorization"));
    g_assert_nonnull(strstr(body, "<g:MessageID>iAMT0005</g:MessageID>"));
    g_assert_nonnull(strstr(body, guid));
    g_assert_nonnull(strstr(body, "<m:arg xmlns:m=\"http://x.com\">node-42"
                                  "</m:arg>"));
    vamt_web_send_all(conn, challenge, strlen(challenge));
    head2 = vamt_web_read_response(conn, &body2);
    g_assert_cmpstr(body2, ==, body);
    auth = vamt_test_challenge_param(head2, "response");
    cnonce = vamt_test_challenge_param(head2, "cnonce");
    g_assert_nonnull(strstr(head2, "username=\"console\""));
    expected = vamt_test_digest_response(&(VamtTestDigestAuth) {
        .user = "console", .realm = "events", .password = "Ev3nts!pw",
        .uri = "/events", .nonce = "abc123", .nc = "00000001",
        .cnonce = cnonce,
    });
    g_assert_cmpstr(auth, ==, expected);
    vamt_web_send_all(conn, ok, strlen(ok));

    /* delivered, as query-vamt tells once the ME has read the answer */
    for (int i = 0; i < 100; i++) {
        info = vamt_query(w.qts);
        alerts = qdict_get_qdict(info, "alerts");
        if (qdict_get_int(alerts, "delivered") == 1) {
            qobject_unref(info);
            break;
        }
        qobject_unref(info);
        g_usleep(50000);
        g_assert_cmpint(i, <, 99);
    }
    info = vamt_query(w.qts);
    alerts = qdict_get_qdict(info, "alerts");
    g_assert_cmpint(qdict_get_int(alerts, "subscriptions"), ==, 1);
    g_assert_cmpint(qdict_get_int(alerts, "failed"), ==, 0);
    qobject_unref(info);
    close(conn);
    close(listener);
    vamt_web_stop(&w);
}

/* a bad admin password is refused clearly */
static void test_web_bad_config(void)
{
    vamt_expect_startup_error(
        "-device vamt,listen=127.0.0.1:0,admin-secret=nope",
        "No secret with id 'nope'");
    vamt_expect_startup_error("-object secret,id=s,data=short "
                              "-device vamt,listen=127.0.0.1:0,admin-secret=s",
                              "8 to 32 characters");
    /* long enough, but not what AMT accepts for its admin */
    vamt_expect_startup_error("-object secret,id=s,data=password1 "
                              "-device vamt,listen=127.0.0.1:0,admin-secret=s",
                              "one upper-case letter");
    vamt_expect_startup_error("-device vamt,power-off-mode=off",
                              "Parameter 'power-off-mode' does not accept "
                              "value 'off'");
    vamt_expect_startup_error("-device vamt,alert-egress=guest",
                              "Parameter 'alert-egress' does not accept "
                              "value 'guest'");
    vamt_expect_startup_error("-device vamt,agent-action=poweroff",
                              "Parameter 'agent-action' does not accept "
                              "value 'poweroff'");
    vamt_expect_startup_error("-object secret,id=s,data=P@ssw0rd "
                              "-device vamt,listen=nonsense,admin-secret=s",
                              "error parsing address 'nonsense'");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vamt/web/identify", test_web_identify);
    qtest_add_func("/vamt/web/power", test_web_power);
    qtest_add_func("/vamt/web/power-stop-mode", test_web_power_stop_mode);
    qtest_add_func("/vamt/web/power-operator-hold",
                   test_web_power_operator_hold);
    qtest_add_func("/vamt/web/connection-caps", test_web_connection_caps);
    qtest_add_func("/vamt/web/descriptor-exhaustion",
                   test_web_descriptor_exhaustion);
    qtest_add_func("/vamt/web/hostile", test_web_hostile);
    qtest_add_func("/vamt/web/bad-config", test_web_bad_config);
    qtest_add_func("/vamt/web/agent-presence", test_web_agent_presence);
    qtest_add_func("/vamt/web/alerts", test_web_alerts);
    return g_test_run();
}
