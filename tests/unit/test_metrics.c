/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for ctl/metrics.c: label values escaped as the exposition
 * format says, every family whole with HELP and TYPE first, counters
 * named *_total, numbers as the replies gave them, and what is not known
 * (no rtt yet, no redial pending) left out rather than written as 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

/* What fn wrote to a memory stream, NUL-terminated; free() it. */
static char *
capture_label(const char *s)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	metrics_label_value(fp, s);
	fclose(fp);
	return buf;
}

static void
test_escape(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain", "plain" },
		{ "", "" },
		{ "a\"b", "a\\\"b" },
		{ "back\\slash", "back\\\\slash" },
		{ "two\nlines", "two\\nlines" },
		{ "\\\"\n", "\\\\\\\"\\n" },
		{ "tab\tstays", "tab\tstays" },
	};
	size_t	i;
	char	*s;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = capture_label(cases[i].in);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

struct fixture {
	Ipcp__Status	 st;
	Ipcp__Counter	 hs[2], *phs[2];
	char		*listeners[1];
	Ipcp__PeerInfo	 p[2], *pp[2];
	char		*text;
};

static char *
render(struct fixture *f)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	metrics_write(fp, &f->st, f->pp, 2);
	fclose(fp);
	return buf;
}

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));

	ipcp__status__init(&f->st);
	f->st.node_name = "alpha";
	f->st.public_key = "a\"key\\";
	f->st.uptime_s = 42;
	f->st.peers_configured = 2;
	f->st.peers_up = 1;
	f->st.routes = 7;
	f->st.config = "";
	f->st.listeners = f->listeners;
	ipcp__counter__init(&f->hs[0]);
	f->hs[0].name = "ok";
	f->hs[0].count = 3;
	ipcp__counter__init(&f->hs[1]);
	f->hs[1].name = "bad_mac1";
	f->hs[1].count = 12345678901ULL;
	f->phs[0] = &f->hs[0];
	f->phs[1] = &f->hs[1];
	f->st.handshakes = f->phs;
	f->st.n_handshakes = 2;

	ipcp__peer_info__init(&f->p[0]);
	f->p[0].name = "beta";
	f->p[0].state = "up";
	f->p[0].rx_bytes = 1000;
	f->p[0].tx_bytes = 2000;
	f->p[0].rx_packets = 10;
	f->p[0].tx_packets = 20;
	f->p[0].rtt_us = 1500;
	f->p[0].fwd_pid = 99;
	f->p[0].session_uptime_s = 60;
	f->p[0].drop_source = 4;
	f->p[0].drop_queue_full = 5;
	f->p[0].drop_auth = 6;
	f->p[0].routes = 3;
	f->p[0].reconnects = 2;
	f->p[0].last_handshake_result = "ok";
	f->p[0].last_handshake_age_s = 61;
	ipcp__peer_info__init(&f->p[1]);
	/* A name no config allows, to see it escaped all the same. */
	f->p[1].name = "ga\"mma\\";
	f->p[1].state = "backoff";
	f->p[1].dial_failures = 3;
	f->p[1].redial_pending = 1;
	f->p[1].next_redial_s = 8;
	f->p[1].last_handshake_result = "";
	f->pp[0] = &f->p[0];
	f->pp[1] = &f->p[1];
	f->text = render(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	free(f->text);
	free(f);
	return 0;
}

static int
has_line(const char *text, const char *line)
{
	size_t		 n = strlen(line);
	const char	*s;

	for (s = text; (s = strstr(s, line)) != NULL; s++)
		if ((s == text || s[-1] == '\n') && s[n] == '\n')
			return 1;
	return 0;
}

#define LINE(f, l) do {							\
	if (!has_line((f)->text, (l)))					\
		fail_msg("no line \"%s\" in:\n%s", (l), (f)->text);	\
} while (0)
#define NO_PREFIX(f, p) do {						\
	if (strstr((f)->text, (p)) != NULL)				\
		fail_msg("\"%s\" should not be in:\n%s", (p), (f)->text); \
} while (0)

static void
test_values(void **state)
{
	struct fixture	*f = *state;

	LINE(f, "ipcp_info{node=\"alpha\",public_key=\"a\\\"key\\\\\"} 1");
	LINE(f, "ipcp_uptime_seconds 42");
	LINE(f, "ipcp_peers 2");
	LINE(f, "ipcp_peers_up 1");
	LINE(f, "ipcp_routes 7");
	LINE(f, "ipcp_handshakes_total{result=\"ok\"} 3");
	LINE(f, "ipcp_handshakes_total{result=\"bad_mac1\"} 12345678901");
	LINE(f, "ipcp_peer_up{peer=\"beta\"} 1");
	LINE(f, "ipcp_peer_up{peer=\"ga\\\"mma\\\\\"} 0");
	LINE(f, "ipcp_peer_state{peer=\"beta\",state=\"up\"} 1");
	LINE(f, "ipcp_peer_state{peer=\"ga\\\"mma\\\\\",state=\"backoff\"} 1");
	LINE(f, "ipcp_peer_receive_bytes_total{peer=\"beta\"} 1000");
	LINE(f, "ipcp_peer_transmit_bytes_total{peer=\"beta\"} 2000");
	LINE(f, "ipcp_peer_receive_packets_total{peer=\"beta\"} 10");
	LINE(f, "ipcp_peer_transmit_packets_total{peer=\"beta\"} 20");
	LINE(f, "ipcp_peer_drops_total{peer=\"beta\","
	    "reason=\"source_not_allowed\"} 4");
	LINE(f, "ipcp_peer_drops_total{peer=\"beta\",reason=\"queue_full\"} 5");
	LINE(f, "ipcp_peer_drops_total{peer=\"beta\",reason=\"auth_failed\"} 6");
	LINE(f, "ipcp_peer_rtt_seconds{peer=\"beta\"} 0.0015");
	LINE(f, "ipcp_peer_session_seconds{peer=\"beta\"} 60");
	LINE(f, "ipcp_peer_reconnects_total{peer=\"beta\"} 2");
	LINE(f, "ipcp_peer_routes{peer=\"beta\"} 3");
	LINE(f, "ipcp_peer_dial_failures{peer=\"ga\\\"mma\\\\\"} 3");
	LINE(f, "ipcp_peer_next_redial_seconds{peer=\"ga\\\"mma\\\\\"} 8");
	LINE(f, "ipcp_peer_last_handshake_age_seconds{peer=\"beta\","
	    "result=\"ok\"} 61");
	/* Not known: no sample at all. */
	NO_PREFIX(f, "ipcp_peer_rtt_seconds{peer=\"ga");
	NO_PREFIX(f, "ipcp_peer_session_seconds{peer=\"ga");
	NO_PREFIX(f, "ipcp_peer_next_redial_seconds{peer=\"beta\"");
	NO_PREFIX(f, "ipcp_peer_last_handshake_age_seconds{peer=\"ga");
}

/* The grammar, line by line, as a strict scraper reads it. */
static void
test_shape(void **state)
{
	struct fixture	*f = *state;
	char		*text = strdup(f->text), *line, *save = NULL;
	char		 fam[128] = "", help[128] = "", type[32] = "";
	char		 seen[64][128];
	size_t		 n_seen = 0, i, n;

	assert_non_null(text);
	assert_int_equal(text[strlen(text) - 1], '\n');
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			assert_int_equal(sscanf(line + 7, "%127s", help), 1);
			for (i = 0; i < n_seen; i++)
				if (strcmp(seen[i], help) == 0)
					fail_msg("family %s twice", help);
			assert_true(n_seen < 64);
			strcpy(seen[n_seen++], help);
			type[0] = '\0';
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_int_equal(sscanf(line + 7, "%127s %31s", fam,
			    type), 2);
			assert_string_equal(fam, help);
			assert_true(strcmp(type, "counter") == 0 ||
			    strcmp(type, "gauge") == 0);
			n = strlen(fam);
			if (strcmp(type, "counter") == 0)
				assert_true(n > 6 &&
				    strcmp(fam + n - 6, "_total") == 0);
			else
				assert_false(n > 6 &&
				    strcmp(fam + n - 6, "_total") == 0);
			continue;
		}
		assert_int_not_equal(line[0], '#');
		/* A sample of the family just declared. */
		assert_true(type[0] != '\0');
		n = strlen(fam);
		if (strncmp(line, fam, n) != 0 ||
		    (line[n] != '{' && line[n] != ' '))
			fail_msg("\"%s\" outside family %s", line, fam);
	}
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test_setup_teardown(test_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shape, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
