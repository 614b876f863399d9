/* SPDX-License-Identifier: ISC */
/*
 * ipcpctl metrics: the node's numbers in the Prometheus text exposition
 * format (version 0.0.4), for node_exporter's textfile collector
 * (contrib/ipcp-metrics.service) or anything that scrapes text.
 *
 * ipcpd answers CMD_METRICS with the same Status and PeerInfo messages
 * that status and peers print, taken in one turn of its loop; the
 * format lives here, so the daemon has one set of numbers and no second
 * output path to keep in step.  Every family is written whole, HELP and
 * TYPE first, as the format requires; counters end in _total; a peer is
 * the label peer="NAME", escaped (its name is from the config, but a
 * label value is never trusted to be plain).
 *
 * Adding a family: one row in peer_families or a few lines in
 * node_families.  Leases (none yet) will be a node family with a pool
 * label, from a list that the Status reply will carry.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipcpctl.h"
#include "metrics.h"

/* One per-peer family: its name, type, help and how to read it. */
struct peer_family {
	const char	*name;
	const char	*type;
	const char	*help;
	/* The value; 0 when the peer has none to show (skip it). */
	int		(*get)(const Ipcp__PeerInfo *, const char **label,
			    double *v, int i);
	/* For a family with one extra label: how many values per peer. */
	int		 n;
};

void
metrics_label_value(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", fp);
		else if (*s == '"')
			fputs("\\\"", fp);
		else if (*s == '\n')
			fputs("\\n", fp);
		else
			putc(*s, fp);
	}
}

static void
header(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Integers print as integers; anything else with full precision. */
static void
value(FILE *fp, double v)
{
	if (v == (double)(uint64_t)v && v < 1e15)
		fprintf(fp, " %" PRIu64 "\n", (uint64_t)v);
	else
		fprintf(fp, " %.9g\n", v);
}

#define GET(fn, expr)							\
static int								\
fn(const Ipcp__PeerInfo *p, const char **l, double *v, int i)		\
{									\
	*v = (expr);							\
	return 1;							\
}

GET(get_up, strcmp(p->state, "up") == 0)
GET(get_rx_bytes, p->rx_bytes)
GET(get_tx_bytes, p->tx_bytes)
GET(get_rx_packets, p->rx_packets)
GET(get_tx_packets, p->tx_packets)
GET(get_rx_dropped, p->rx_dropped)
GET(get_tx_dropped, p->tx_dropped)
GET(get_reconnects, p->reconnects)
GET(get_dial_failures, p->dial_failures)
GET(get_routes, p->routes)
GET(get_routes_rejected, p->routes_rejected)
GET(get_control_dropped, p->control_dropped)

static int
get_state(const Ipcp__PeerInfo *p, const char **l, double *v, int i)
{
	*l = p->state;
	*v = 1;
	return 1;
}

static int
get_drops(const Ipcp__PeerInfo *p, const char **l, double *v, int i)
{
	/* Reason names as in ipcpctl peers; never renamed. */
	static const char *const reason[] = {
	    "source_not_allowed", "queue_full", "auth_failed" };

	*l = reason[i];
	*v = i == 0 ? p->drop_source : i == 1 ? p->drop_queue_full :
	    p->drop_auth;
	return 1;
}

static int
get_rtt(const Ipcp__PeerInfo *p, const char **l, double *v, int i)
{
	/* No heartbeat answered yet: no sample, rather than a false 0. */
	*v = p->rtt_us / 1e6;
	return p->rtt_us != 0;
}

static int
get_session(const Ipcp__PeerInfo *p, const char **l, double *v, int i)
{
	*v = p->session_uptime_s;
	return p->fwd_pid != 0;
}

static int
get_redial(const Ipcp__PeerInfo *p, const char **l, double *v, int i)
{
	*v = p->next_redial_s;
	return p->redial_pending;
}

static int
get_last_hs(const Ipcp__PeerInfo *p, const char **l, double *v, int i)
{
	*l = p->last_handshake_result;
	*v = p->last_handshake_age_s;
	return p->last_handshake_result[0] != '\0';
}

static const struct peer_family peer_families[] = {
	{ "ipcp_peer_up", "gauge",
	    "1 if the peer has a session up, else 0.", get_up, 0 },
	{ "ipcp_peer_state", "gauge",
	    "The peer's state, as the label state; always 1.", get_state,
	    -1 },
	{ "ipcp_peer_receive_bytes_total", "counter",
	    "Inner IP bytes received from the peer in this session.",
	    get_rx_bytes, 0 },
	{ "ipcp_peer_transmit_bytes_total", "counter",
	    "Inner IP bytes sent to the peer in this session.",
	    get_tx_bytes, 0 },
	{ "ipcp_peer_receive_packets_total", "counter",
	    "Packets received from the peer in this session.",
	    get_rx_packets, 0 },
	{ "ipcp_peer_transmit_packets_total", "counter",
	    "Packets sent to the peer in this session.", get_tx_packets, 0 },
	{ "ipcp_peer_receive_dropped_packets_total", "counter",
	    "Packets from the peer not delivered, in this session.",
	    get_rx_dropped, 0 },
	{ "ipcp_peer_transmit_dropped_packets_total", "counter",
	    "Packets for the peer not sent, in this session.",
	    get_tx_dropped, 0 },
	{ "ipcp_peer_drops_total", "counter",
	    "Packets dropped by reason, since the peer was configured.",
	    get_drops, 3 },
	{ "ipcp_peer_rtt_seconds", "gauge",
	    "Last heartbeat round trip.", get_rtt, 0 },
	{ "ipcp_peer_session_seconds", "gauge",
	    "Age of the current session.", get_session, 0 },
	{ "ipcp_peer_reconnects_total", "counter",
	    "Sessions that ended.", get_reconnects, 0 },
	{ "ipcp_peer_dial_failures", "gauge",
	    "Dials that failed since the last session came up.",
	    get_dial_failures, 0 },
	{ "ipcp_peer_next_redial_seconds", "gauge",
	    "In backoff: seconds until the next dial.", get_redial, 0 },
	{ "ipcp_peer_last_handshake_age_seconds", "gauge",
	    "Seconds since the last handshake, with its result.",
	    get_last_hs, -1 },
	{ "ipcp_peer_routes", "gauge",
	    "Prefixes learned from the peer.", get_routes, 0 },
	{ "ipcp_peer_routes_rejected_total", "counter",
	    "Announcements from the peer refused.", get_routes_rejected, 0 },
	{ "ipcp_peer_control_dropped_total", "counter",
	    "CONTROL messages from the peer dropped, in this session.",
	    get_control_dropped, 0 },
};

/* The label that goes with a family's extra value. */
static const char *
extra_label(const char *family)
{
	if (strcmp(family, "ipcp_peer_state") == 0)
		return "state";
	if (strcmp(family, "ipcp_peer_drops_total") == 0)
		return "reason";
	return "result";
}

static void
sample(FILE *fp, const char *name, const char *peer, const char *lname,
    const char *lvalue, double v)
{
	fputs(name, fp);
	if (peer != NULL || lname != NULL) {
		putc('{', fp);
		if (peer != NULL) {
			fputs("peer=\"", fp);
			metrics_label_value(fp, peer);
			putc('"', fp);
		}
		if (lname != NULL) {
			fprintf(fp, "%s%s=\"", peer != NULL ? "," : "", lname);
			metrics_label_value(fp, lvalue);
			putc('"', fp);
		}
		putc('}', fp);
	}
	value(fp, v);
}

static void
node_families(FILE *fp, const Ipcp__Status *st)
{
	size_t	i;

	header(fp, "ipcp_info", "gauge",
	    "The node's name and public key as labels; always 1.");
	fputs("ipcp_info{node=\"", fp);
	metrics_label_value(fp, st->node_name);
	fputs("\",public_key=\"", fp);
	metrics_label_value(fp, st->public_key);
	fputs("\"} 1\n", fp);
	header(fp, "ipcp_uptime_seconds", "gauge", "Seconds since ipcpd "
	    "started.");
	sample(fp, "ipcp_uptime_seconds", NULL, NULL, NULL, st->uptime_s);
	header(fp, "ipcp_peers", "gauge", "Peers configured.");
	sample(fp, "ipcp_peers", NULL, NULL, NULL, st->peers_configured);
	header(fp, "ipcp_peers_up", "gauge", "Peers with a session up.");
	sample(fp, "ipcp_peers_up", NULL, NULL, NULL, st->peers_up);
	header(fp, "ipcp_routes", "gauge", "Prefixes in the RIB.");
	sample(fp, "ipcp_routes", NULL, NULL, NULL, st->routes);
	/* Only results that happened are sent; a family may be empty. */
	header(fp, "ipcp_handshakes_total", "counter",
	    "Handshakes since ipcpd started, by result.");
	for (i = 0; i < st->n_handshakes; i++)
		sample(fp, "ipcp_handshakes_total", NULL, "result",
		    st->handshakes[i]->name, st->handshakes[i]->count);
}

void
metrics_write(FILE *fp, const Ipcp__Status *st,
    Ipcp__PeerInfo *const *peers, size_t n)
{
	const struct peer_family	*f;
	const char			*l;
	double				 v;
	size_t				 i, k;
	int				 j, nv;

	node_families(fp, st);
	for (k = 0; k < sizeof(peer_families) / sizeof(peer_families[0]);
	    k++) {
		f = &peer_families[k];
		header(fp, f->name, f->type, f->help);
		nv = f->n > 0 ? f->n : 1;
		for (i = 0; i < n; i++)
			for (j = 0; j < nv; j++) {
				l = NULL;
				if (!f->get(peers[i], &l, &v, j))
					continue;
				sample(fp, f->name, peers[i]->name,
				    f->n != 0 ? extra_label(f->name) : NULL,
				    l, v);
			}
	}
}

/* ---- gathering the reply ---------------------------------------------- */

static Ipcp__Status	 *status;
static Ipcp__PeerInfo	**peers;
static size_t		  n_peers, cap_peers;

/* A deep copy: the reply is freed once handled. */
static void *
copy(const ProtobufCMessage *m)
{
	size_t		 len = protobuf_c_message_get_packed_size(m);
	uint8_t		*buf;
	void		*c;

	if ((buf = malloc(len + 1)) == NULL)
		return NULL;
	protobuf_c_message_pack(m, buf);
	c = protobuf_c_message_unpack(m->descriptor, NULL, len, buf);
	free(buf);
	return c;
}

int
metrics_status(const Ipcp__Status *st)
{
	if (status != NULL)
		return -1;
	return (status = copy(&st->base)) == NULL ? -1 : 0;
}

int
metrics_peer(const Ipcp__PeerInfo *p)
{
	Ipcp__PeerInfo	**v;

	if (n_peers == cap_peers) {
		cap_peers = cap_peers ? cap_peers * 2 : 16;
		if ((v = reallocarray(peers, cap_peers, sizeof(*v))) == NULL)
			return -1;
		peers = v;
	}
	if ((peers[n_peers] = copy(&p->base)) == NULL)
		return -1;
	n_peers++;
	return 0;
}

int
metrics_end(void)
{
	size_t	i;
	int	rc = 0;

	if (status == NULL)
		return -1;
	metrics_write(stdout, status, peers, n_peers);
	if (fflush(stdout) == EOF || ferror(stdout))
		rc = -1;
	ipcp__status__free_unpacked(status, NULL);
	for (i = 0; i < n_peers; i++)
		ipcp__peer_info__free_unpacked(peers[i], NULL);
	free(peers);
	status = NULL;
	peers = NULL;
	n_peers = cap_peers = 0;
	return rc;
}
