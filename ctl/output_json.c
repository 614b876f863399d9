/* SPDX-License-Identifier: ISC */
/*
 * JSON output of ipcpctl (-j), for scripts (after bgpctl output_json.c):
 * one JSON document per command on stdout, built with json-c.  Keys are
 * the protobuf field names and stay stable; counters are plain integers,
 * rtt_ms is a number of milliseconds, and what is not known (no rtt
 * measured, no forwarder, no endpoint) is null rather than 0 or "".
 * A list (peers, routes, a reload's peers) is collected and printed once
 * its end arrives, so a failure part way through prints no half
 * document.
 */

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include <json.h>
#include <json-c/printbuf.h>

#include "ipcpctl.h"
#include "msg.h"

/*
 * Peers are printed one object at a time into this buffer, each freed
 * once printed: a thousand peers' trees at once cost more in fresh heap
 * pages than in building them.  The document still goes out only whole.
 */
static struct printbuf	*peers_text;
static size_t		 n_peers;
static json_object	*routes;
static json_object	*leases;
static json_object	*reload_lists[RELOAD_NACTIONS];

static json_object *
checked(json_object *o)
{
	if (o == NULL) {
		fprintf(stderr, "ipcpctl: out of memory\n");
		exit(CTL_EXIT_ERROR);
	}
	return o;
}

/*
 * Keys here are string constants, each added once to its object: json-c
 * need neither copy them nor look for an earlier one, which at a
 * thousand peers of forty keys each is most of the work.
 */
static void
add(json_object *obj, const char *key, json_object *val)
{
	if (json_object_object_add_ex(obj, key, val,
	    JSON_C_OBJECT_ADD_KEY_IS_NEW |
	    JSON_C_OBJECT_ADD_CONSTANT_KEY) != 0) {
		fprintf(stderr, "ipcpctl: out of memory\n");
		exit(CTL_EXIT_ERROR);
	}
}

/* A key from the daemon: copied, and a repeated one replaces the first. */
static void
add_named(json_object *obj, const char *key, json_object *val)
{
	if (json_object_object_add(obj, key, val) != 0) {
		fprintf(stderr, "ipcpctl: out of memory\n");
		exit(CTL_EXIT_ERROR);
	}
}

static void
add_str(json_object *obj, const char *key, const char *s)
{
	add(obj, key, checked(json_object_new_string(s)));
}

/* A string the daemon leaves empty when it does not apply. */
static void
add_opt_str(json_object *obj, const char *key, const char *s)
{
	add(obj, key, *s != '\0' ? checked(json_object_new_string(s)) : NULL);
}

static void
add_uint(json_object *obj, const char *key, uint64_t v)
{
	add(obj, key, checked(json_object_new_uint64(v)));
}

static void
add_ms(json_object *obj, const char *key, uint64_t us)
{
	char	text[32];

	/* Printed with microsecond precision, not as %.17g noise. */
	snprintf(text, sizeof(text), "%.3f", us / 1000.0);
	add(obj, key, checked(json_object_new_double_s(us / 1000.0, text)));
}

/* A round trip, or null when none was measured (0). */
static void
add_rtt(json_object *obj, uint64_t us)
{
	if (us != 0)
		add_ms(obj, "rtt_ms", us);
	else
		add(obj, "rtt_ms", NULL);
}

static void
array_add(json_object *arr, json_object *val)
{
	if (json_object_array_add(arr, val) != 0)
		checked(NULL);
}

static json_object *
new_prefix(const Ipcp__Prefix *p)
{
	char	text[PREFIX_STRLEN];

	return checked(json_object_new_string(msg_prefix_format(p, text)));
}

#define JSON_FLAGS	(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
			    JSON_C_TO_STRING_NOSLASHESCAPE)

static void
print_doc(json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_FLAGS));
	json_object_put(obj);
}

/*
 * obj as the next element of the "peers" array, indented as json-c
 * would have put it two levels down (a newline never occurs inside a
 * JSON string, so every one starts a line), then freed.
 */
static void
text_add(struct printbuf *pb, const char *s, size_t len)
{
	if (len > INT_MAX || printbuf_memappend(pb, s, (int)len) < 0)
		checked(NULL);
}

static void
peers_append(json_object *obj)
{
	const char	*s, *nl;

	if (peers_text == NULL && (peers_text = printbuf_new()) == NULL)
		checked(NULL);
	if (n_peers++ > 0)
		text_add(peers_text, ",\n", 2);
	for (s = json_object_to_json_string_ext(obj, JSON_FLAGS);
	    (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
		text_add(peers_text, "    ", 4);
		text_add(peers_text, s, nl - s + 1);
	}
	text_add(peers_text, "    ", 4);
	text_add(peers_text, s, strlen(s));
	json_object_put(obj);
}

static json_object *new_names(char *const *, size_t);

/* What one gateway leased us (a client's status). */
static json_object *
new_lease_status(const Ipcp__LeaseStatus *l)
{
	json_object	*o = checked(json_object_new_object());

	add_str(o, "peer", l->peer);
	add(o, "address", new_names(l->address, l->n_address));
	add(o, "routes", new_names(l->routes, l->n_routes));
	add(o, "dns", new_names(l->dns, l->n_dns));
	add(o, "full_tunnel", checked(json_object_new_boolean(
	    l->full_tunnel)));
	add(o, "killswitch", checked(json_object_new_boolean(l->killswitch)));
	add_opt_str(o, "error", l->error);
	add_uint(o, "expires_s", l->expires_s);
	add(o, "dns_applied", checked(json_object_new_boolean(
	    l->dns_applied)));
	return o;
}

static void
json_status(const Ipcp__Status *st)
{
	json_object	*obj, *ls, *hs;
	size_t		 i;

	obj = checked(json_object_new_object());
	add_str(obj, "node", st->node_name);
	add_str(obj, "public_key", st->public_key);
	add_uint(obj, "uptime_s", st->uptime_s);
	ls = checked(json_object_new_array());
	for (i = 0; i < st->n_listeners; i++)
		if (json_object_array_add(ls,
		    checked(json_object_new_string(st->listeners[i]))) != 0)
			checked(NULL);
	add(obj, "listeners", ls);
	add_uint(obj, "peers_configured", st->peers_configured);
	add_uint(obj, "peers_up", st->peers_up);
	add_uint(obj, "pid", st->pid);
	add_uint(obj, "routes", st->routes);
	hs = checked(json_object_new_object());
	for (i = 0; i < st->n_handshakes; i++)
		add_named(hs, st->handshakes[i]->name,
		    checked(json_object_new_uint64(st->handshakes[i]->count)));
	add(obj, "handshakes", hs);
	add_opt_str(obj, "config", st->config);
	add(obj, "confirm_pending", checked(json_object_new_boolean(
	    st->confirm_pending)));
	add(obj, "confirm_left_s", st->confirm_pending ?
	    checked(json_object_new_uint64(st->confirm_left_s)) : NULL);
	add(obj, "gateway", checked(json_object_new_boolean(st->gateway)));
	add_uint(obj, "leases_active", st->leases_active);
	add_uint(obj, "pool_free", st->pool_free);
	add_uint(obj, "open_clients", st->open_clients);
	ls = checked(json_object_new_array());
	for (i = 0; i < st->n_leases; i++)
		array_add(ls, new_lease_status(st->leases[i]));
	add(obj, "leases", ls);
	print_doc(obj);
}

static void
json_peer(const Ipcp__PeerInfo *p)
{
	json_object	*obj, *drops;

	obj = checked(json_object_new_object());
	add_str(obj, "name", p->name);
	add_str(obj, "public_key", p->public_key);
	add_str(obj, "wire", p->wire != NULL && p->wire[0] != '\0' ? p->wire :
	    "ipcp");
	/* Said in the data too, for scripts that look only at booleans. */
	add(obj, "replay_protection", checked(json_object_new_boolean(
	    p->wire == NULL || strcmp(p->wire, "legacy") != 0)));
	add(obj, "forward_secrecy", checked(json_object_new_boolean(
	    p->wire == NULL || strcmp(p->wire, "legacy") != 0)));
	add_opt_str(obj, "endpoint", p->endpoint);
	add_opt_str(obj, "remote", p->remote);
	add_str(obj, "state", p->state);
	add_uint(obj, "session_uptime_s", p->session_uptime_s);
	add_uint(obj, "rx_bytes", p->rx_bytes);
	add_uint(obj, "tx_bytes", p->tx_bytes);
	add_uint(obj, "rx_packets", p->rx_packets);
	add_uint(obj, "tx_packets", p->tx_packets);
	add_rtt(obj, p->rtt_us);
	add(obj, "fwd_pid", p->fwd_pid != 0 ?
	    checked(json_object_new_int(p->fwd_pid)) : NULL);
	add_uint(obj, "reconnects", p->reconnects);
	add_str(obj, "interface", p->interface);
	add_opt_str(obj, "cipher", p->cipher);
	add_uint(obj, "rx_dropped", p->rx_dropped);
	add_uint(obj, "tx_dropped", p->tx_dropped);
	add_opt_str(obj, "node", p->node);
	add_uint(obj, "metric", p->metric);
	add_uint(obj, "routes", p->routes);
	add_uint(obj, "max_routes", p->max_routes);
	add_uint(obj, "routes_rejected", p->routes_rejected);
	add_uint(obj, "control_rx_bytes", p->control_rx_bytes);
	add_uint(obj, "control_tx_bytes", p->control_tx_bytes);
	add_uint(obj, "control_dropped", p->control_dropped);
	add_opt_str(obj, "last_error", p->last_error);
	add(obj, "last_error_age_s", p->last_error[0] != '\0' ?
	    checked(json_object_new_uint64(p->last_error_age_s)) : NULL);
	add_opt_str(obj, "last_handshake_result", p->last_handshake_result);
	add(obj, "last_handshake_age_s", p->last_handshake_result[0] != '\0' ?
	    checked(json_object_new_uint64(p->last_handshake_age_s)) : NULL);
	add(obj, "next_redial_s", p->redial_pending ?
	    checked(json_object_new_uint64(p->next_redial_s)) : NULL);
	add_uint(obj, "dial_failures", p->dial_failures);
	drops = checked(json_object_new_object());
	add_uint(drops, "source_not_allowed", p->drop_source);
	add_uint(drops, "queue_full", p->drop_queue_full);
	add_uint(drops, "auth_failed", p->drop_auth);
	add(obj, "drops", drops);
	peers_append(obj);
}

static void
json_peers_end(void)
{
	json_object	*obj;

	if (peers_text == NULL) {
		obj = checked(json_object_new_object());
		add(obj, "peers", checked(json_object_new_array()));
		print_doc(obj);
		return;
	}
	fputs("{\n  \"peers\": [\n", stdout);
	fwrite(peers_text->buf, 1, peers_text->bpos, stdout);
	fputs("\n  ]\n}\n", stdout);
	printbuf_free(peers_text);
	peers_text = NULL;
	n_peers = 0;
}

static json_object *
new_names(char *const *s, size_t n)
{
	json_object	*arr = checked(json_object_new_array());
	size_t		 i;

	for (i = 0; i < n; i++)
		array_add(arr, checked(json_object_new_string(s[i])));
	return arr;
}

/* A JSON array of objects, one per prefix and candidate path. */
static void
json_route(const Ipcp__RouteInfo *r)
{
	json_object	*obj;

	if (routes == NULL)
		routes = checked(json_object_new_array());
	obj = checked(json_object_new_object());
	add(obj, "prefix", new_prefix(r->prefix));
	add_str(obj, "via", r->via);
	add_opt_str(obj, "interface", r->interface);
	add_uint(obj, "cost", r->cost);
	add(obj, "path", new_names(r->path, r->n_path));
	add(obj, "best", checked(json_object_new_boolean(r->best)));
	add(obj, "installed", checked(json_object_new_boolean(r->installed)));
	add_uint(obj, "age_s", r->age_s);
	array_add(routes, obj);
}

static void
json_routes_end(void)
{
	print_doc(routes != NULL ? routes : checked(json_object_new_array()));
	routes = NULL;
}

static void
json_reload_peer(const Ipcp__ReloadPeer *rp)
{
	size_t	a = rp->action;

	if (reload_lists[a] == NULL)
		reload_lists[a] = checked(json_object_new_array());
	array_add(reload_lists[a], checked(json_object_new_string(rp->name)));
}

static void
json_reload_done(const Ipcp__ReloadDone *d)
{
	json_object	*obj;
	size_t		 a;

	obj = checked(json_object_new_object());
	for (a = 0; a < RELOAD_NACTIONS; a++) {
		add(obj, reload_actions[a], reload_lists[a] != NULL ?
		    reload_lists[a] : checked(json_object_new_array()));
		reload_lists[a] = NULL;
	}
	add(obj, "applied", checked(json_object_new_boolean(d->applied)));
	add(obj, "notes", new_names(d->notes, d->n_notes));
	add(obj, "confirm_s", d->confirm_s > 0 ?
	    checked(json_object_new_uint64(d->confirm_s)) : NULL);
	print_doc(obj);
}

static json_object *
new_hops(Ipcp__TraceHop *const *h, size_t n)
{
	json_object	*arr = checked(json_object_new_array()), *o;
	size_t		 i;

	for (i = 0; i < n; i++) {
		o = checked(json_object_new_object());
		add_str(o, "node", h[i]->node);
		add_rtt(o, h[i]->rtt_us);
		array_add(arr, o);
	}
	return arr;
}

static void
json_trace(const Ipcp__TraceResult *t)
{
	json_object	*obj, *arr, *o;
	size_t		 i;

	obj = checked(json_object_new_object());
	add_str(obj, "target", t->target);
	add_ms(obj, "rtt_ms", t->rtt_us);
	add(obj, "forward", new_hops(t->forward, t->n_forward));
	add(obj, "reverse", new_hops(t->reverse, t->n_reverse));
	add_opt_str(obj, "error", t->error);
	arr = checked(json_object_new_array());
	for (i = 0; i < t->n_peers; i++) {
		o = checked(json_object_new_object());
		add_str(o, "name", t->peers[i]->name);
		add_str(o, "state", t->peers[i]->state);
		add_rtt(o, t->peers[i]->rtt_us);
		array_add(arr, o);
	}
	add(obj, "peers", arr);
	arr = checked(json_object_new_array());
	for (i = 0; i < t->n_routes; i++)
		array_add(arr, new_prefix(t->routes[i]));
	add(obj, "routes", arr);
	print_doc(obj);
}

static void
json_lease(const Ipcp__LeaseInfo *l)
{
	json_object	*obj;

	if (leases == NULL)
		leases = checked(json_object_new_array());
	obj = checked(json_object_new_object());
	add_str(obj, "public_key", l->public_key);
	add_str(obj, "peer", l->peer);
	add(obj, "address", new_names(l->address, l->n_address));
	add_uint(obj, "expires_s", l->expires_s);
	add(obj, "connected", checked(json_object_new_boolean(l->connected)));
	array_add(leases, obj);
}

static void
json_leases_end(void)
{
	print_doc(leases != NULL ? leases : checked(json_object_new_array()));
	leases = NULL;
}

static void
json_done(const char *text)
{
	json_object	*obj;

	obj = checked(json_object_new_object());
	add_str(obj, "result", text);
	print_doc(obj);
}

const struct output output_json = {
	.status = json_status,
	.peer = json_peer,
	.peers_end = json_peers_end,
	.route = json_route,
	.routes_end = json_routes_end,
	.reload_peer = json_reload_peer,
	.reload_done = json_reload_done,
	.trace = json_trace,
	.lease = json_lease,
	.leases_end = json_leases_end,
	.done = json_done,
};
