/* SPDX-License-Identifier: ISC */
/*
 * JSON output of ipcpctl (-j), for scripts (after bgpctl output_json.c):
 * one JSON document per command on stdout, built with json-c.  Keys are
 * the protobuf field names and stay stable; counters are plain integers,
 * rtt_ms is a number of milliseconds, and what is not known (no rtt
 * measured, no forwarder, no endpoint) is null rather than 0 or "".
 * A list (peers) is collected and printed once its END arrives, so a
 * failure part way through prints no half document.
 */
#include <stdio.h>
#include <stdlib.h>

#include <json.h>

#include "ipcpctl.h"

static json_object	*peers;

static json_object *
checked(json_object *o)
{
	if (o == NULL) {
		fprintf(stderr, "ipcpctl: out of memory\n");
		exit(CTL_EXIT_ERROR);
	}
	return o;
}

static void
add(json_object *obj, const char *key, json_object *val)
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
print_doc(json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}

static void
json_status(const Ipcp__Status *st)
{
	json_object	*obj, *ls;
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
	print_doc(obj);
}

static void
json_peer(const Ipcp__PeerInfo *p)
{
	json_object	*obj;
	char		 rtt[32];

	if (peers == NULL)
		peers = checked(json_object_new_array());
	obj = checked(json_object_new_object());
	add_str(obj, "name", p->name);
	add_str(obj, "public_key", p->public_key);
	add_opt_str(obj, "endpoint", p->endpoint);
	add_opt_str(obj, "remote", p->remote);
	add_str(obj, "state", p->state);
	add_uint(obj, "session_uptime_s", p->session_uptime_s);
	add_uint(obj, "rx_bytes", p->rx_bytes);
	add_uint(obj, "tx_bytes", p->tx_bytes);
	add_uint(obj, "rx_packets", p->rx_packets);
	add_uint(obj, "tx_packets", p->tx_packets);
	/* Printed with microsecond precision, not as %.17g noise. */
	if (p->rtt_us != 0) {
		snprintf(rtt, sizeof(rtt), "%.3f", p->rtt_us / 1000.0);
		add(obj, "rtt_ms", checked(json_object_new_double_s(
		    p->rtt_us / 1000.0, rtt)));
	} else
		add(obj, "rtt_ms", NULL);
	add(obj, "fwd_pid", p->fwd_pid != 0 ?
	    checked(json_object_new_int(p->fwd_pid)) : NULL);
	add_uint(obj, "reconnects", p->reconnects);
	add_str(obj, "interface", p->interface);
	add_opt_str(obj, "cipher", p->cipher);
	if (json_object_array_add(peers, obj) != 0)
		checked(NULL);
}

static void
json_end(void)
{
	json_object	*obj;

	obj = checked(json_object_new_object());
	add(obj, "peers", peers != NULL ? peers :
	    checked(json_object_new_array()));
	peers = NULL;
	print_doc(obj);
}

const struct output output_json = {
	.status = json_status,
	.peer = json_peer,
	.end = json_end,
};
