/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for ctld/hsguard.c, the slots of the handshake port:
 * what a stranger can make us hold is capped in total and per
 * address, and a newcomer takes the slot of an idle connection; a
 * configured peer's handshake past its Diffie-Hellman holds no slot
 * (a thousand clients coming back at once do not queue behind 64),
 * and a newer one of the same peer ends it, so there are never more
 * of those than peers; a passcode client's still holds one until
 * msg3; a slot freed that way wakes a paused listener.  The
 * connections are structs made here, each with a real socket pair (an
 * idle one is one with nothing to read); hsconn_fail, hsconn_msg1 and
 * listener_wake are stand-ins.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ipcpd.h"
#include "hsconn.h"

struct ipcpd		*ipcpd;
struct hsconn_head	 hsconns = TAILQ_HEAD_INITIALIZER(hsconns);
size_t			 n_hsconns;

static struct ipcpd	 daemon_state;
static size_t		 n_failed, n_dh, n_wakes;

void
listener_wake(void)
{
	n_wakes++;
}

void
hsconn_fail(struct hsconn *hc, enum hs_result r, const char *why)
{
	hsguard_forget(hc);
	TAILQ_REMOVE(&hsconns, hc, entry);
	n_hsconns--;
	close(hc->fd);
	free(hc);
	n_failed++;
}

void
hsconn_msg1(struct hsconn *hc)
{
	n_dh++;
}

/* The far ends of the socket pairs, to write into. */
static int	far_end[4 * HSCONN_MAX];
static size_t	n_far;

static void
addr_of(struct sockaddr_storage *ss, const char *ip)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
}

/* A responder connection from ip, as accept leaves it. */
static struct hsconn *
accepted(const char *ip)
{
	struct hsconn	*hc;
	int		 sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_true(n_far < sizeof(far_end) / sizeof(far_end[0]));
	far_end[n_far++] = sv[1];
	hc = calloc(1, sizeof(*hc));
	assert_non_null(hc);
	hc->fd = sv[0];
	hc->role = HS_RESPONDER;
	addr_of(&hc->remote, ip);
	TAILQ_INSERT_TAIL(&hsconns, hc, entry);
	n_hsconns++;
	return hc;
}

/* One past msg1's DH: a configured peer's (key k), or a passcode one's. */
static struct hsconn *
proven(const char *ip, uint8_t k, int open)
{
	struct hsconn	*hc = accepted(ip);

	memset(hc->peer_key, k, sizeof(hc->peer_key));
	hc->spoke = 1;
	hc->authenticated = 1;
	hc->open = open;
	if (!open)
		hsguard_proven(hc);
	return hc;
}

static int
admit(const char *ip)
{
	struct sockaddr_storage	ss;

	addr_of(&ss, ip);
	return hsguard_admit(&ss);
}

static int
setup(void **state)
{
	daemon_state.loop = uv_default_loop();
	ipcpd = &daemon_state;
	n_failed = n_dh = n_far = n_wakes = 0;
	return 0;
}

static int
teardown(void **state)
{
	struct hsconn	*hc;
	size_t		 i;

	while ((hc = TAILQ_FIRST(&hsconns)) != NULL)
		hsconn_fail(hc, HS_RESULT_ERROR, "test over");
	for (i = 0; i < n_far; i++)
		close(far_end[i]);
	return 0;
}

/* Silent strangers fill the slots; a newcomer takes the oldest's. */
static void
test_idle_make_way(void **state)
{
	struct hsconn	*first = NULL, *hc;
	char		 ip[32];
	int		 i;

	for (i = 0; i < HSCONN_MAX; i++) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 200, i % 200 + 1);
		hc = accepted(ip);
		if (first == NULL)
			first = hc;
	}
	assert_int_equal(hsguard_full(), 0);
	assert_int_equal(admit("10.9.0.1"), 0);
	assert_int_equal(n_failed, 1);
	assert_ptr_not_equal(TAILQ_FIRST(&hsconns), first);
}

/*
 * Slots held by handshakes that may not go (passcode clients waiting for
 * msg3): the port is full, and a newcomer waits in the backlog.
 */
static void
test_passcode_holds_slot(void **state)
{
	char	ip[32];
	int	i;

	for (i = 0; i < HSCONN_MAX; i++) {
		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 200, i % 200 + 1);
		(void)proven(ip, (uint8_t)i, 1);
	}
	assert_int_equal(hsguard_full(), 1);
	assert_int_equal(admit("10.9.0.1"), -1);
	assert_int_equal(n_failed, 0);
}

/*
 * Four times HSCONN_MAX configured peers past their DH, from one address
 * (a NAT): they hold no slot, so neither the total nor the per-address
 * cap stops a newcomer, and none of them is closed for it.
 */
static void
test_proven_peers_hold_none(void **state)
{
	int	i;

	for (i = 0; i < 4 * HSCONN_MAX - 1; i++)
		(void)proven("10.2.0.1", (uint8_t)i, 0);
	assert_int_equal(hsguard_full(), 0);
	assert_int_equal(admit("10.2.0.1"), 0);
	assert_int_equal(admit("10.9.0.1"), 0);
	assert_int_equal(n_failed, 0);
	assert_int_equal(n_hsconns, 4 * HSCONN_MAX - 1);
}

/*
 * A peer's newer handshake ends its older one, from whatever address,
 * and no other peer's, nor a passcode client's with the same key.
 */
static void
test_newer_supersedes(void **state)
{
	struct hsconn	*old, *other, *open, *hc;
	int		 found_old = 0;

	old = proven("10.3.0.1", 7, 0);
	other = proven("10.3.0.1", 8, 0);
	open = proven("10.3.0.2", 7, 1);
	(void)proven("10.3.0.9", 7, 0);
	assert_int_equal(n_failed, 1);
	TAILQ_FOREACH(hc, &hsconns, entry) {
		if (hc == old)
			found_old = 1;
	}
	assert_int_equal(found_old, 0);
	assert_int_equal(n_hsconns, 3);
	assert_ptr_equal(TAILQ_FIRST(&hsconns), other);
	assert_ptr_equal(TAILQ_NEXT(other, entry), open);
}

/*
 * Every slot held by a connection whose first message waits unread in
 * its socket (a batch just accepted): full, and the listener pauses.
 * One of them proving a configured peer frees its slot and wakes the
 * listener at once, not when the pause ends.
 */
static void
test_proven_wakes_listener(void **state)
{
	struct hsconn	*hc, *last = NULL;
	char		 ip[32];
	int		 i;

	for (i = 0; i < HSCONN_MAX; i++) {
		snprintf(ip, sizeof(ip), "10.5.%d.%d", i / 200, i % 200 + 1);
		hc = accepted(ip);
		hc->spoke = 1;
		last = hc;
	}
	assert_int_equal(hsguard_full(), 1);
	memset(last->peer_key, 9, sizeof(last->peer_key));
	last->authenticated = 1;
	hsguard_proven(last);
	assert_int_equal(n_wakes, 1);
	assert_int_equal(hsguard_full(), 0);
	assert_int_equal(n_failed, 0);
}

/* The per-address cap still counts strangers: the ninth makes way. */
static void
test_per_source_cap(void **state)
{
	int	i;

	for (i = 0; i < HSCONN_MAX_PER_SRC; i++)
		(void)accepted("10.4.0.1");
	assert_int_equal(admit("10.4.0.1"), 0);
	assert_int_equal(n_failed, 1);
	assert_int_equal(admit("10.4.0.2"), 0);
	assert_int_equal(n_failed, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_idle_make_way, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_passcode_holds_slot,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_proven_peers_hold_none,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_supersedes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_proven_wakes_listener,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_per_source_cap, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
