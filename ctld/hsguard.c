/* SPDX-License-Identifier: ISC */
/*
 * The guard of the handshake port.  Anyone who can reach it can open
 * connections and send first messages: this is what keeps them from
 * locking a real peer out or burning the CPU.  Nothing here refuses a
 * connection for where it comes from alone: an attacker may share the
 * real peer's address (a NAT, a shared host), and must not be able to
 * spend that peer's share.
 *
 * Slots.  At most HSCONN_MAX connections hold a slot at once, and
 * HSCONN_MAX_PER_SRC from one address.  A slot is what a stranger can
 * make us hold: a connection that has not yet proven a configured peer's
 * key, or a passcode client's until msg3 proves the passcode.  Past its
 * Diffie-Hellman, a configured peer's handshake gives its slot back: only
 * that peer's key gets it there, and a newer one from the same peer ends
 * it (hsguard_proven), so there are never more of those than peers.
 * Otherwise a gateway's thousand clients coming back at once would queue
 * behind 64 slots, each held for a round trip to a client on a busy
 * machine, time out and come back again.  Our own dials, one per peer,
 * hold none.
 *
 * When a new connection finds no slot, an older one makes way rather than
 * the new one being refused: first the oldest that has sent nothing (idle
 * connections are the cheapest attack, and a real peer sends its first
 * message at once), then the oldest that sent part of one, and only then
 * one whose first message waits for its Diffie-Hellman: the one whose
 * address sent the most first messages lately.
 *
 * Time.  A first message must be complete within HSCONN_MSG1_MS of the
 * accept (hsconn.c), so a slot held by silence is soon free anyway.
 *
 * Work.  A first message that passes the cheap mac1 check (which anyone
 * who knows our public key can compute) still costs X25519.  Those are
 * budgeted: HSCONN_DH_BURST at once, then HSCONN_DH_PER_S a second.  Each
 * address has a credit of HSCONN_SRC_BURST first messages, refilled at
 * HSCONN_SRC_PER_S a second.  Beyond the budget, messages wait and the
 * one whose address had the most credit left goes first; one from an
 * address without credit is dropped at once.  A real peer needs a
 * handshake now and then and always has credit; a flood spends its own,
 * so a flood from many addresses delays a real peer's message by about
 * one Diffie-Hellman, not by the length of the flood.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <string.h>

#include "ipcpd.h"
#include "hsconn.h"

/* How often the queue is served while it is not empty. */
#define GUARD_TICK_MS	2
/* Sources whose rate is remembered; the least recent goes first. */
#define GUARD_SOURCES	4096
#define GUARD_PROBE	8

struct source_rate {
	uint8_t			 addr[16];
	int			 family;	/* 0: free */
	struct log_ratelimit	 bucket;
};

static struct source_rate	sources[GUARD_SOURCES];

static struct hsconn_head	waiting = TAILQ_HEAD_INITIALIZER(waiting);
static struct log_ratelimit	dh_budget =
    LOG_RATELIMIT_INIT(HSCONN_DH_BURST, 1000 / HSCONN_DH_PER_S);
static struct log_ratelimit	guard_rl = LOG_RATELIMIT_INIT(5, 1000);
static uv_timer_t		tick;
static int			tick_init;

/* The address bytes of a source, for comparing (ports do not count). */
static const uint8_t *
src_bytes(const struct sockaddr_storage *ss, size_t *len)
{
	if (ss->ss_family == AF_INET6) {
		*len = 16;
		return ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
	}
	*len = 4;
	return (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
}

static int
src_cmp(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const uint8_t	*ab, *bb;
	size_t		 al, bl;

	if (a->ss_family != b->ss_family)
		return a->ss_family < b->ss_family ? -1 : 1;
	ab = src_bytes(a, &al);
	bb = src_bytes(b, &bl);
	return memcmp(ab, bb, al);
}

/*
 * Charge this address one first message and return the credit it had:
 * 0 if it had none left.  A small table keeps a bucket per recent
 * address; an address it has forgotten (the least recently seen of its
 * probe window makes way) starts with a full one.
 */
static double
source_charge(const struct sockaddr_storage *ss)
{
	struct source_rate	*sr, *oldest = NULL;
	const uint8_t		*b;
	size_t			 len, i, h;
	uint32_t		 hash = 2166136261U;

	b = src_bytes(ss, &len);
	for (i = 0; i < len; i++)
		hash = (hash ^ b[i]) * 16777619U;
	for (i = 0; i < GUARD_PROBE; i++) {
		h = (hash + i) % GUARD_SOURCES;
		sr = &sources[h];
		if (sr->family == ss->ss_family &&
		    memcmp(sr->addr, b, len) == 0)
			goto found;
		if (oldest == NULL || sr->family == 0 ||
		    (oldest->family != 0 &&
		    sr->bucket.last_ms < oldest->bucket.last_ms))
			oldest = sr;
	}
	sr = oldest;
	memset(sr, 0, sizeof(*sr));
	sr->family = ss->ss_family;
	memcpy(sr->addr, b, len);
	sr->bucket = (struct log_ratelimit)LOG_RATELIMIT_INIT(
	    HSCONN_SRC_BURST, 1000 / HSCONN_SRC_PER_S);
found:
	/* The level before the charge, refilled to now by the take. */
	return ratelimit_take(&sr->bucket) ? sr->bucket.tokens + 1 : 0;
}

/* A responder connection that has not yet been checked by DH. */
static int
unproven(const struct hsconn *hc)
{
	return hc->role == HS_RESPONDER && !hc->authenticated && !hc->done;
}

/*
 * Has it sent nothing?  A connection accepted a moment ago in the same
 * batch has not been read yet, but a real peer's first message is in its
 * socket already (the kernel accepts it only then: listener.c): look
 * there too, so only silence makes way.  The look is a system call, so
 * it is made once per connection that is about to go, not for every
 * connection at every accept.
 */
static int
idle(struct hsconn *hc)
{
	uint8_t	c;

	if (!unproven(hc) || hc->got_msg1 || hc->in_have != 0 ||
	    hc->spoke)
		return 0;
	if (recv(hc->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == -1 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK))
		return 1;
	hc->spoke = 1;
	return 0;
}

/* Does it hold a slot (see the top of this file)? */
static int
holds_slot(const struct hsconn *hc)
{
	return hc->role == HS_RESPONDER && (!hc->authenticated || hc->open);
}

/* Slots held in all, and in *from those of connections from `ss'. */
static size_t
slots_held(const struct sockaddr_storage *ss, size_t *from)
{
	struct hsconn	*hc;
	size_t		 n = 0;

	if (from != NULL)
		*from = 0;
	TAILQ_FOREACH(hc, &hsconns, entry) {
		if (!holds_slot(hc))
			continue;
		n++;
		if (from != NULL && src_cmp(&hc->remote, ss) == 0)
			(*from)++;
	}
	return n;
}

/*
 * The connection to close for a newcomer (of `src' only, if given): the
 * oldest idle one; else the oldest that sent part of a first message;
 * else, of those whose first message waits, the one whose address had
 * the least credit, the oldest of those.  One whose bytes wait unread in
 * its socket is about to be one of the last kind: it stays.
 */
static struct hsconn *
victim(const struct sockaddr_storage *src)
{
	struct hsconn	*hc, *best = NULL;

#define FROM_SRC(hc)	(src == NULL || src_cmp(&(hc)->remote, src) == 0)
	TAILQ_FOREACH(hc, &hsconns, entry)
		if (FROM_SRC(hc) && idle(hc))
			return hc;
	/* Part of a first message; bytes not read yet are spared. */
	TAILQ_FOREACH(hc, &hsconns, entry)
		if (unproven(hc) && !hc->got_msg1 && hc->in_have != 0 &&
		    FROM_SRC(hc))
			return hc;
	TAILQ_FOREACH(hc, &hsconns, entry)
		if (unproven(hc) && hc->got_msg1 && FROM_SRC(hc) &&
		    (best == NULL || hc->credit < best->credit))
			best = hc;
#undef FROM_SRC
	return best;
}

/*
 * Every slot taken, and none may be: each is a passcode client's past
 * its Diffie-Hellman, waiting for the msg3 that proves the passcode, or
 * one whose first message waits unread in its socket.  A newcomer would
 * be refused, and an honest one, in a burst of clients coming back,
 * would back off.  The listener leaves it in the kernel's backlog
 * instead, until a handshake ends.  A flood cannot bring this about:
 * what it holds, newcomers may take.
 */
int
hsguard_full(void)
{
	return slots_held(NULL, NULL) >= HSCONN_MAX && victim(NULL) == NULL;
}

int
hsguard_admit(const struct sockaddr_storage *ss)
{
	struct hsconn	*hc;
	size_t		 from, held = slots_held(ss, &from);

	if (from >= HSCONN_MAX_PER_SRC) {
		if ((hc = victim(ss)) == NULL)
			return -1;
		hsconn_fail(hc, HS_RESULT_REFUSED,
		    "made way for a newer connection from the "
		    "same address");
		held--;		/* a victim always held a slot */
	}
	if (held >= HSCONN_MAX) {
		if ((hc = victim(NULL)) == NULL)
			return -1;
		hsconn_fail(hc, HS_RESULT_REFUSED,
		    "made way for a newer connection");
	}
	return 0;
}

/* The next waiting connection: most credit first, then oldest. */
static struct hsconn *
next_waiting(void)
{
	struct hsconn	*hc, *best = NULL;

	TAILQ_FOREACH(hc, &waiting, wait_entry)
		if (best == NULL || hc->credit > best->credit)
			best = hc;
	return best;
}

static void
serve(void)
{
	struct hsconn	*hc;

	while (!TAILQ_EMPTY(&waiting) && ratelimit_take(&dh_budget)) {
		hc = next_waiting();
		hsguard_forget(hc);
		hsconn_msg1(hc);
	}
	if (TAILQ_EMPTY(&waiting))
		uv_timer_stop(&tick);
}

static void
tick_cb(uv_timer_t *t)
{
	serve();
}

void
hsguard_msg1(struct hsconn *hc)
{
	hc->credit = source_charge(&hc->remote);
	/* The common case: nothing waits and there is budget. */
	if (TAILQ_EMPTY(&waiting) && ratelimit_take(&dh_budget)) {
		hsconn_msg1(hc);
		return;
	}
	if (log_ratelimit(&guard_rl))
		log_warnx("more first messages than %d a second: they wait "
		    "their turn", HSCONN_DH_PER_S);
	if (hc->credit == 0) {
		hsconn_fail(hc, HS_RESULT_REFUSED,
		    "first messages from this address over its "
		    "rate while others wait");
		return;
	}
	hc->waiting = 1;
	TAILQ_INSERT_TAIL(&waiting, hc, wait_entry);
	if (!tick_init) {
		uv_timer_init(ipcpd->loop, &tick);
		uv_unref((uv_handle_t *)&tick);
		tick_init = 1;
	}
	if (!uv_is_active((uv_handle_t *)&tick))
		uv_timer_start(&tick, tick_cb, GUARD_TICK_MS, GUARD_TICK_MS);
}

/*
 * msg1 proved a configured peer's key: any older handshake of that peer
 * that got as far is one it gave up on (it dials one at a time), so it
 * ends here.  That is what bounds those that hold no slot.  Its slot is
 * free now: a listener paused for want of one resumes (else the backlog
 * would move 64 connections per pause, 128 a second, while a thousand
 * clients waited out their handshake timeouts in it).
 */
void
hsguard_proven(struct hsconn *hc)
{
	struct hsconn	*o, *next;

	listener_wake();

	for (o = TAILQ_FIRST(&hsconns); o != NULL; o = next) {
		next = TAILQ_NEXT(o, entry);
		if (o != hc && o->role == HS_RESPONDER && o->authenticated &&
		    !o->open && memcmp(o->peer_key, hc->peer_key,
		    sizeof(o->peer_key)) == 0)
			hsconn_fail(o, HS_RESULT_REFUSED, "superseded by a "
			    "newer handshake from the same peer");
	}
}

void
hsguard_forget(struct hsconn *hc)
{
	if (!hc->waiting)
		return;
	TAILQ_REMOVE(&waiting, hc, wait_entry);
	hc->waiting = 0;
}
