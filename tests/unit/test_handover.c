/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for ctld/handover_state.c: the state a restart hands to
 * the next binary is read back whole, and refused with a reason when it
 * is of another version, malformed, or names a peer the config does not
 * have (or has with another key).  A passcode client (open) is in no
 * config: it is taken while the config has a gateway passcode and lists
 * neither its name nor its key, and only with a name that makes an
 * interface name.
 */
#include <sys/mman.h>
#include <sys/stat.h>
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
#include <sodium.h>

#include "../../ctld/handover.h"

#define PUB_BETA	"YmV0YWJldGFiZXRhYmV0YWJldGFiZXRhYmV0YWJldGE="

static char		 dir[64];
static struct config	*conf;
static uint8_t		 beta_pub[KEY_LEN];

static int
setup(void **state)
{
	char	 path[128], text[512];
	uint8_t	 key[KEY_LEN];
	char	 b64[KEY_B64_LEN + 1];
	char	 err[256];
	FILE	*fp;

	strcpy(dir, "/tmp/ipcp-test-handover.XXXXXX");
	assert_non_null(mkdtemp(dir));
	randombytes_buf(key, sizeof(key));
	sodium_bin2base64(b64, sizeof(b64), key, sizeof(key),
	    sodium_base64_VARIANT_ORIGINAL);
	snprintf(path, sizeof(path), "%s/node.key", dir);
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "%s\n", b64);
	fclose(fp);
	chmod(path, 0600);
	snprintf(text, sizeof(text), "[node]\nname = alpha\n"
	    "private-key = %s\nlisten = 127.0.0.1:5000\n"
	    "address = 10.77.0.1\nuser = nobody\n"
	    "[peer beta]\npublic-key = " PUB_BETA "\n"
	    "allowed-ips = 10.77.0.2/32\n", path);
	snprintf(path, sizeof(path), "%s/ipcpd.conf", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	conf = config_parse(path, err, sizeof(err));
	if (conf == NULL)
		fail_msg("%s", err);
	memcpy(beta_pub, TAILQ_FIRST(&conf->peers)->pubkey, KEY_LEN);
	return 0;
}

static int
teardown(void **state)
{
	char	cmd[128];

	config_free(conf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* A sound state: one listener, beta up with one learned route. */
struct fixture {
	Ipcp__Handover		 h;
	Ipcp__HandoverListener	 l, *lp[1];
	Ipcp__HandoverPeer	 p, *pp[1];
	Ipcp__FwdStats		 st;
	Ipcp__Route		 r, *rp[1];
	Ipcp__Prefix		 pfx;
	struct sockaddr_in	 sin;
	uint8_t			 addr[4];
	uint8_t			 ts[HS_TAI64N_LEN];
	char			*path[1];
};

static void
fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	ipcp__handover__init(&f->h);
	ipcp__handover_listener__init(&f->l);
	ipcp__handover_peer__init(&f->p);
	ipcp__fwd_stats__init(&f->st);
	ipcp__route__init(&f->r);
	ipcp__prefix__init(&f->pfx);
	f->sin.sin_family = AF_INET;
	f->sin.sin_port = htons(5000);
	f->l.fd = 5;
	f->l.text = "127.0.0.1:5000";
	f->l.sockaddr.data = (uint8_t *)&f->sin;
	f->l.sockaddr.len = sizeof(f->sin);
	f->lp[0] = &f->l;
	f->addr[0] = 10, f->addr[1] = 77, f->addr[3] = 2;
	f->pfx.addr.data = f->addr;
	f->pfx.addr.len = 4;
	f->pfx.plen = 32;
	f->path[0] = "beta";
	f->r.prefix = &f->pfx;
	f->r.path = f->path;
	f->r.n_path = 1;
	f->rp[0] = &f->r;
	f->p.name = "beta";
	f->p.public_key.data = beta_pub;
	f->p.public_key.len = KEY_LEN;
	f->p.tun_fd = 6;
	f->p.last_ts.data = f->ts;
	f->p.last_ts.len = sizeof(f->ts);
	f->p.fwd_pid = 4242;
	f->p.chan_fd = 7;
	f->p.remote = "192.0.2.2:40000";
	f->p.stats = &f->st;
	f->p.node = "beta";
	f->p.routes = f->rp;
	f->p.n_routes = 1;
	f->pp[0] = &f->p;
	f->h.version = HANDOVER_VERSION;
	f->h.cwd = "/";
	f->h.control_fd = 4;
	f->h.listeners = f->lp;
	f->h.n_listeners = 1;
	f->h.peers = f->pp;
	f->h.n_peers = 1;
	f->h.client_fd = -1;
	f->h.from_version = "test";
}

/* The bytes in a memfd, as handover.c leaves them. */
static int
memfd_of(const void *buf, size_t len)
{
	int	fd;

	assert_true((fd = memfd_create("test", 0)) >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	return fd;
}

static int
memfd_packed(const Ipcp__Handover *h)
{
	uint8_t	*buf;
	size_t	 len = ipcp__handover__get_packed_size(h);
	int	 fd;

	assert_non_null(buf = malloc(len + 1));
	ipcp__handover__pack(h, buf);
	fd = memfd_of(buf, len);
	free(buf);
	return fd;
}

/* Load and check; the error text, or "" when both pass. */
static const char *
load_check(const Ipcp__Handover *h, char *err, size_t len)
{
	Ipcp__Handover	*got;
	int		 r;

	err[0] = '\0';
	if ((got = takeover_load(memfd_packed(h), err, len)) == NULL)
		return err;
	r = takeover_check(got, conf, err, len);
	ipcp__handover__free_unpacked(got, NULL);
	return r == 0 ? "" : err;
}

static void
test_roundtrip(void **state)
{
	struct fixture	 f;
	Ipcp__Handover	*got;
	char		 err[256];

	fixture_init(&f);
	got = takeover_load(memfd_packed(&f.h), err, sizeof(err));
	assert_non_null(got);
	assert_int_equal(takeover_check(got, conf, err, sizeof(err)), 0);
	assert_int_equal(got->n_peers, 1);
	assert_string_equal(got->peers[0]->name, "beta");
	assert_int_equal(got->peers[0]->fwd_pid, 4242);
	assert_int_equal(got->peers[0]->chan_fd, 7);
	assert_int_equal(got->peers[0]->n_routes, 1);
	assert_int_equal(got->peers[0]->routes[0]->prefix->plen, 32);
	assert_int_equal(got->n_listeners, 1);
	assert_int_equal(got->listeners[0]->sockaddr.len, sizeof(f.sin));
	ipcp__handover__free_unpacked(got, NULL);
}

static void
test_other_version(void **state)
{
	struct fixture	f;
	char		err[256];

	fixture_init(&f);
	f.h.version = HANDOVER_VERSION + 1;
	assert_non_null(strstr(load_check(&f.h, err, sizeof(err)),
	    "version"));
}

static void
test_garbage(void **state)
{
	char	err[256];
	uint8_t	junk[64];

	memset(junk, 0xff, sizeof(junk));
	assert_null(takeover_load(memfd_of(junk, sizeof(junk)), err,
	    sizeof(err)));
	assert_non_null(strstr(err, "malformed"));
	/* Empty: nothing was written. */
	assert_null(takeover_load(memfd_of(junk, 0), err, sizeof(err)));
	/* Not a file at all. */
	assert_null(takeover_load(-1, err, sizeof(err)));
}

static void
test_unknown_peer(void **state)
{
	struct fixture	f;
	char		err[256];

	fixture_init(&f);
	f.p.name = "gamma";
	assert_non_null(strstr(load_check(&f.h, err, sizeof(err)),
	    "not in"));
	fixture_init(&f);
	f.p.public_key.len = 16;
	assert_non_null(strstr(load_check(&f.h, err, sizeof(err)),
	    "not in"));
}

static void
test_malformed(void **state)
{
	struct fixture	f;
	char		err[256];

	fixture_init(&f);
	f.p.chan_fd = 1;	/* a session without a channel */
	assert_string_not_equal(load_check(&f.h, err, sizeof(err)), "");
	fixture_init(&f);
	f.p.stats = NULL;
	assert_string_not_equal(load_check(&f.h, err, sizeof(err)), "");
	fixture_init(&f);
	f.p.last_ts.len = 3;
	assert_string_not_equal(load_check(&f.h, err, sizeof(err)), "");
	fixture_init(&f);
	f.l.sockaddr.len = 0;
	assert_string_not_equal(load_check(&f.h, err, sizeof(err)), "");
	fixture_init(&f);
	f.h.control_fd = 0;
	assert_string_not_equal(load_check(&f.h, err, sizeof(err)), "");
	/* A peer without a session needs no channel. */
	fixture_init(&f);
	f.p.fwd_pid = 0;
	f.p.chan_fd = 0;
	f.p.tun_fd = -1;
	assert_string_equal(load_check(&f.h, err, sizeof(err)), "");
}

static void
test_open_peer(void **state)
{
	struct fixture	f;
	char		err[256];
	uint8_t		key[KEY_LEN];

	randombytes_buf(key, sizeof(key));
	fixture_init(&f);
	f.p.open = 1;
	f.p.name = "c-0123abcd";
	f.p.public_key.data = key;
	f.p.node = "";
	/* No passcode in the config: no passcode clients either. */
	assert_non_null(strstr(load_check(&f.h, err, sizeof(err)),
	    "no passcode"));
	conf->gw.enabled = 1;
	conf->gw.has_passcode = 1;
	assert_string_equal(load_check(&f.h, err, sizeof(err)), "");
	/* Its name or its key is a [peer]'s now. */
	f.p.name = "beta";
	assert_non_null(strstr(load_check(&f.h, err, sizeof(err)),
	    "[peer beta]"));
	f.p.name = "c-0123abcd";
	f.p.public_key.data = beta_pub;
	assert_non_null(strstr(load_check(&f.h, err, sizeof(err)),
	    "[peer beta]"));
	f.p.public_key.data = key;
	/* Names no interface could have. */
	f.p.name = "c-0123abcdef";
	assert_non_null(strstr(load_check(&f.h, err, sizeof(err)),
	    "malformed"));
	f.p.name = "../x";
	assert_non_null(strstr(load_check(&f.h, err, sizeof(err)),
	    "malformed"));
	f.p.name = "";
	assert_non_null(strstr(load_check(&f.h, err, sizeof(err)),
	    "malformed"));
	f.p.name = "c-0123abcd";
	f.p.public_key.len = 16;
	assert_non_null(strstr(load_check(&f.h, err, sizeof(err)),
	    "malformed"));
	conf->gw.enabled = 0;
	conf->gw.has_passcode = 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_other_version),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_unknown_peer),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_open_peer),
	};

	if (sodium_init() == -1)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
