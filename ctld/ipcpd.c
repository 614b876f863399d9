/* SPDX-License-Identifier: ISC */
/*
 * ipcpd: main, command line, start-up and shut-down.
 *
 *	ipcpd [-dv] [-c file]		run the daemon
 *	ipcpd -n [-v] [-c file]		check the config, print it
 *	ipcpd IFNAME IP PORT SERVERFLAG SECRETFILE
 *					the original ipcp command line
 *
 * Start-up order matters: the config is parsed and checked completely
 * before anything in the system changes, so a bad file leaves no trace.
 * Shut-down (SIGTERM, SIGINT, `ipcpctl goodbye') tells every peer
 * goodbye through its forwarder, so they withdraw our routes at once,
 * waits a bounded time for them, and removes what ipcpd put in the
 * system: routes, TUN devices and the control socket.  SIGHUP reloads
 * the config (reload.c).
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ipcpd.h"
#include "log.h"
#include "netlink.h"
#include "paths.h"

static struct ipcpd	 ipcpd_state;
struct ipcpd		*ipcpd = &ipcpd_state;

static uv_signal_t	 sig_term, sig_int, sig_hup, sig_pipe;
static uv_timer_t	 stop_timer;

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr,
	    "usage: ipcpd [-dnv] [-c file]\n"
	    "       ipcpd [--legacy] IFNAME IP PORT SERVERFLAG SECRETFILE\n");
	exit(2);
}

/* Forwarders live beside ipcpd, wherever it was installed or built. */
static void
find_fwd(void)
{
	char	self[PATH_MAX];
	ssize_t	n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		fatal("readlink /proc/self/exe");
	self[n] = '\0';
	if ((size_t)snprintf(ipcpd->fwd_path, sizeof(ipcpd->fwd_path),
	    "%s/ipcp-fwd", dirname(self)) >= sizeof(ipcpd->fwd_path))
		fatalx("path of ipcp-fwd too long");
	if (access(ipcpd->fwd_path, X_OK) == -1)
		fatal("%s", ipcpd->fwd_path);
}

/*
 * The forwarders' chroot: an empty directory only root can write to, so
 * nothing a forwarder could reach through it exists.
 */
static void
make_dirs(void)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;

	if (mkdir(IPCP_RUN_DIR, 0755) == -1 && errno != EEXIST)
		fatal("mkdir %s", IPCP_RUN_DIR);
	if (mkdir(IPCP_EMPTY_DIR, 0755) == -1 && errno != EEXIST)
		fatal("mkdir %s", IPCP_EMPTY_DIR);
	if (lstat(IPCP_EMPTY_DIR, &st) == -1)
		fatal("%s", IPCP_EMPTY_DIR);
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		fatalx("%s must be a directory owned by root and writable "
		    "only by root", IPCP_EMPTY_DIR);
	/*
	 * Several ipcpd may share it (one per network namespace), and live
	 * forwarders are chrooted in it: look, never recreate.
	 */
	if ((d = opendir(IPCP_EMPTY_DIR)) == NULL)
		fatal("%s", IPCP_EMPTY_DIR);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			fatalx("%s is not empty", IPCP_EMPTY_DIR);
	closedir(d);
}

static void
no_cores(void)
{
	struct rlimit	rl = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl PR_SET_DUMPABLE");
	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		fatal("setrlimit RLIMIT_CORE");
}

/* One line on stderr, nothing left behind, exit 1. */
static __attribute__((noreturn)) void
startup_failed(const char *why)
{
	control_close();
	fprintf(stderr, "ipcpd: %s\n", why);
	exit(1);
}

/*
 * One peer per [peer] section.  A peer whose TUN cannot be made now (its
 * name held by a forwarder of an ipcpd that crashed) retries on its own;
 * it does not stop the others.
 */
static void
add_peers(void)
{
	struct peer_conf	*pc;

	TAILQ_FOREACH(pc, &ipcpd->conf->peers, entry)
		if (peer_add(pc) == NULL)
			fatal("peer %s", pc->name);
}

static void
finish(void)
{
	trace_clear();
	reload_clear();
	/*
	 * Forget the routes without electing anything in their place: every
	 * one goes through one of our TUNs, and goes with it.
	 */
	export_clear();
	rib_free_all();
	peer_free_all();	/* closes the TUNs: they vanish, routes too */
	listener_close_all();
	control_close();
	nl_close();
	log_info("exiting");
	exit(0);
}

/* Called when a forwarder is reaped; the last one lets us exit. */
void
ipcpd_shutdown_check(void)
{
	if (ipcpd->stopping && fwd_count() == 0)
		finish();
}

static void
stop_timeout(uv_timer_t *t)
{
	log_warnx("forwarders did not stop in time; killing them");
	fwd_kill_all();
}

void
ipcpd_shutdown(const char *reason)
{
	if (ipcpd->stopping)
		return;
	log_info("shutting down: %s", reason);
	ipcpd->stopping = 1;
	hsconn_close_all();
	listener_close_all();
	control_close();
	peer_stop_all(reason);
	uv_timer_start(&stop_timer, stop_timeout, FWD_STOP_MS, 0);
	ipcpd_shutdown_check();
}

static void
on_signal(uv_signal_t *h, int signum)
{
	switch (signum) {
	case SIGTERM:
	case SIGINT:
		ipcpd_shutdown(signum == SIGTERM ? "ipcpd stopped (SIGTERM)" :
		    "ipcpd stopped (SIGINT)");
		break;
	case SIGHUP:
		if (!ipcpd->stopping) {
			log_info("SIGHUP: reloading %s", ipcpd->conf->file);
			reload_request(NULL, 0, 0);
		}
		break;
	default:
		break;
	}
}

static void
signals_init(void)
{
	uv_signal_init(ipcpd->loop, &sig_term);
	uv_signal_init(ipcpd->loop, &sig_int);
	uv_signal_init(ipcpd->loop, &sig_hup);
	uv_signal_init(ipcpd->loop, &sig_pipe);
	uv_signal_start(&sig_term, on_signal, SIGTERM);
	uv_signal_start(&sig_int, on_signal, SIGINT);
	uv_signal_start(&sig_hup, on_signal, SIGHUP);
	/* Writes to a closed socket must fail with EPIPE, not kill us. */
	uv_signal_start(&sig_pipe, on_signal, SIGPIPE);
	uv_timer_init(ipcpd->loop, &stop_timer);
}

int
main(int argc, char *argv[])
{
	const char	*file = CONFIG_DEFAULT_FILE;
	struct peer	*p;
	char		 err[1024];
	size_t		 i;
	int		 ch, debug = 0, verbose = 0, check = 0, legacy = 0;
	/* Only with the seed command line: the original ipcp's wire. */
	static const struct option longopts[] = {
		{ "legacy", no_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 }
	};

	if (sodium_init() == -1) {
		fprintf(stderr, "ipcpd: cannot initialise libsodium\n");
		return 1;
	}
	log_procinit("ipcpd");
	log_init(1, 0, LOG_DAEMON);

	while ((ch = getopt_long(argc, argv, "c:dnv", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'L':
			legacy = 1;
			break;
		case 'c':
			file = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if (argc == 5) {
		/* The original ipcp command line runs in the foreground. */
		ipcpd->conf = config_compat(argv[0], argv[1], argv[2],
		    argv[3], argv[4], legacy, err, sizeof(err));
		debug = 1;
	} else if (argc == 0 && !legacy)
		ipcpd->conf = config_parse(file, err, sizeof(err));
	else
		usage();
	if (ipcpd->conf == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (i = 0; i < ipcpd->conf->n_warning; i++)
		fprintf(stderr, "%s\n", ipcpd->conf->warning[i]);
	if (check) {
		config_print(stdout, ipcpd->conf);
		if (verbose)
			fprintf(stderr, "configuration OK\n");
		return 0;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "ipcpd: must run as root\n");
		return 1;
	}
	/* Reloads read the file again, after daemon() moved us to /. */
	if (!ipcpd->conf->compat && config_absolute(ipcpd->conf) == -1) {
		fprintf(stderr, "ipcpd: %s: %s\n", file, strerror(errno));
		return 1;
	}

	/* This process holds the private key and psks: no core files. */
	no_cores();
	/* Until we are a daemon, every failure is one line on stderr. */
	log_init(1, verbose, LOG_DAEMON);
	find_fwd();
	make_dirs();
	/* What goes well is for the log; startup_failed() uses stderr. */
	log_init(debug, verbose, LOG_DAEMON);

	ipcpd->loop = uv_default_loop();
	ipcpd->start_ms = now_ms();
	ipcpd->local_caps = hs_local_caps();
	TAILQ_INIT(&ipcpd->peers);
	/*
	 * Everything that can fail, before we detach: first the single-
	 * instance check (the control socket), so a second ipcpd touches
	 * nothing, then rtnetlink and the listeners.
	 */
	if (control_open(ipcpd->conf->control, err, sizeof(err)) == -1)
		startup_failed(err);
	if (nl_init() == -1) {
		snprintf(err, sizeof(err), "rtnetlink: %s", strerror(errno));
		startup_failed(err);
	}
	if (listener_sync(ipcpd->conf, err, sizeof(err)) == -1)
		startup_failed(err);
	if (!debug) {
		if (daemon(0, 0) == -1)
			startup_failed(strerror(errno));
		if (uv_loop_fork(ipcpd->loop) != 0)
			fatalx("libuv: cannot continue after fork");
	}
	signals_init();
	add_peers();
	route_local_sync();

	log_info("node %s started with %zu peer%s", ipcpd->conf->name,
	    ipcpd->n_peers, ipcpd->n_peers == 1 ? "" : "s");
	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		peer_fsm(p, PEER_EV_START, NULL);
	uv_run(ipcpd->loop, UV_RUN_DEFAULT);
	return 0;
}
