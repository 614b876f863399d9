/* SPDX-License-Identifier: ISC */
/*
 * Text output of ipcpctl, for people (after bgpctl output.c and the
 * layout of `wg show'): one indented block per object, sizes in binary
 * units, durations as "1d 2h 3m 4s", "-" for what is not known.  Scripts
 * should use -j (output_json.c); this layout may change.
 */
#include <inttypes.h>
#include <stdio.h>

#include "ipcpctl.h"

static int	peers_shown;

/*
 * Strings come from the daemon, and some of them (a peer's node name) from
 * the network: never let them drive the terminal.
 */
static void
print_str(const char *s)
{
	if (s == NULL || *s == '\0')
		s = "-";
	for (; *s != '\0'; s++)
		putchar((unsigned char)*s >= 0x20 && *s != 0x7f ? *s : '?');
}

static void
print_field(const char *label, const char *s)
{
	printf("  %s: ", label);
	print_str(s);
	putchar('\n');
}

static const char *
fmt_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = {
	    "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double	v = n;
	size_t	i;

	if (n < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", n);
		return buf;
	}
	for (i = 0, v /= 1024; v >= 1024 && i < 5; i++)
		v /= 1024;
	snprintf(buf, len, "%.2f %s", v, unit[i]);
	return buf;
}

static const char *
fmt_duration(uint64_t s, char *buf, size_t len)
{
	uint64_t	d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;

	if (d > 0)
		snprintf(buf, len, "%" PRIu64 "d %" PRIu64 "h %" PRIu64 "m %"
		    PRIu64 "s", d, h, m, s % 60);
	else if (h > 0)
		snprintf(buf, len, "%" PRIu64 "h %" PRIu64 "m %" PRIu64 "s",
		    h, m, s % 60);
	else if (m > 0)
		snprintf(buf, len, "%" PRIu64 "m %" PRIu64 "s", m, s % 60);
	else
		snprintf(buf, len, "%" PRIu64 "s", s);
	return buf;
}

static void
text_status(const Ipcp__Status *st)
{
	char	buf[64];
	size_t	i;

	printf("node: ");
	print_str(st->node_name);
	putchar('\n');
	print_field("public key", st->public_key);
	printf("  pid: %u\n", st->pid);
	print_field("uptime", fmt_duration(st->uptime_s, buf, sizeof(buf)));
	if (st->n_listeners == 0)
		print_field("listening", NULL);
	for (i = 0; i < st->n_listeners; i++)
		print_field("listening", st->listeners[i]);
	printf("  peers: %u configured, %u up\n", st->peers_configured,
	    st->peers_up);
}

static void
text_peer(const Ipcp__PeerInfo *p)
{
	char	rx[32], tx[32], buf[64];

	if (peers_shown++ > 0)
		putchar('\n');
	printf("peer: ");
	print_str(p->name);
	putchar('\n');
	print_field("public key", p->public_key);
	print_field("state", p->state);
	print_field("endpoint", p->endpoint);
	print_field("remote", p->remote);
	print_field("interface", p->interface);
	print_field("cipher", p->cipher);
	/* Without a forwarder there is no session to have an age. */
	print_field("session", p->fwd_pid != 0 ?
	    fmt_duration(p->session_uptime_s, buf, sizeof(buf)) : NULL);
	printf("  transfer: %s received (%" PRIu64 " packets), "
	    "%s sent (%" PRIu64 " packets)\n",
	    fmt_bytes(p->rx_bytes, rx, sizeof(rx)), p->rx_packets,
	    fmt_bytes(p->tx_bytes, tx, sizeof(tx)), p->tx_packets);
	if (p->rtt_us != 0)
		printf("  rtt: %.3f ms\n", p->rtt_us / 1000.0);
	else
		print_field("rtt", NULL);
	if (p->fwd_pid != 0)
		printf("  forwarder: pid %d\n", p->fwd_pid);
	else
		print_field("forwarder", NULL);
	printf("  reconnects: %u\n", p->reconnects);
}

static void
text_end(void)
{
}

const struct output output_text = {
	.status = text_status,
	.peer = text_peer,
	.end = text_end,
};
