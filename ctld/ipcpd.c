/* SPDX-License-Identifier: ISC */
/*
 * ipcpd: main, command line, start-up and shut-down.
 *
 *	ipcpd [-dv] [-c file] [-s socket]	run the daemon
 *	ipcpd -n [-v] [-c file]		check the config, print it
 *	ipcpd -h | --help, ipcpd -V | --version
 *	ipcpd IFNAME IP PORT SERVERFLAG SECRETFILE
 *					the original ipcp command line
 *	ipcpd -U FD [-n] ARGS		take over from the ipcpd before
 *					(ipcpctl restart: handover.c)
 *
 * Start-up order matters: the config is parsed and checked completely
 * before anything in the system changes, so a bad file leaves no trace.
 * Shut-down (SIGTERM, SIGINT, `ipcpctl goodbye') tells every peer
 * goodbye through its forwarder, so they withdraw our routes at once,
 * waits a bounded time for them, and removes what ipcpd put in the
 * system: routes, TUN devices and the control socket.  SIGHUP reloads
 * the config (reload.c).  Under systemd (Type=notify) notify.c tells the
 * service manager when all this is done.
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

#include "handover.h"
#include "ipcpd.h"
#include "log.h"
#include "netlink.h"
#include "paths.h"
#include "version.h"

static struct ipcpd	 ipcpd_state;
struct ipcpd		*ipcpd = &ipcpd_state;

static uv_signal_t	 sig_term, sig_int, sig_hup, sig_pipe, sig_usr2;
static uv_timer_t	 stop_timer;

static const struct option longopts[] = {
	{ "help",	no_argument,	NULL, 'h' },
	{ "version",	no_argument,	NULL, 'V' },
	/* The original ipcp's wire, on its command line (config_compat). */
	{ "legacy",	no_argument,	NULL, 'L' },
	{ NULL,		0,		NULL, 0 }
};

static void
help(void)
{
	printf("usage: ipcpd [-dnv] [-c file] [-s socket]\n"
	    "       ipcpd [--legacy] IFNAME IP PORT SERVERFLAG SECRETFILE\n"
	    "  -c file     configuration file (default %s)\n"
	    "  -d          stay in the foreground, log to stderr\n"
	    "  -n          check the configuration, print it, exit\n"
	    "  -s socket   control socket, instead of the file's `control'\n"
	    "  -v          more verbose (debug messages)\n"
	    "  -h, --help  this text;  -V, --version  the version\n",
	    CONFIG_DEFAULT_FILE);
}

/* A usage error: one line on stderr, exit 2. */
static __attribute__((noreturn)) void
usage(const char *what)
{
	fprintf(stderr, "ipcpd: %s (ipcpd -h for help)\n", what);
	exit(2);
}

/* ipcpd -s: the socket it listens on, whatever the file says. */
void
ipcpd_control_override(struct config *conf)
{
	if (ipcpd->control != NULL)
		snprintf(conf->control, sizeof(conf->control), "%s",
		    ipcpd->control);
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
	snprintf(ipcpd->self_path, sizeof(ipcpd->self_path), "%s", self);
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

/*
 * A gateway holds two fds per peer (its TUN and its forwarder's channel)
 * and one per handshake, and a soft limit of 1024 (systemd's default)
 * stops it near 500 peers.  Take what the hard limit allows; select(2)
 * is not used anywhere here, so large fd numbers are safe.
 */
static void
raise_nofile(void)
{
	struct rlimit	rl;
	rlim_t		old;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit RLIMIT_NOFILE");
		return;
	}
	if (rl.rlim_cur >= rl.rlim_max)
		return;
	old = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("setrlimit RLIMIT_NOFILE %llu",
		    (unsigned long long)rl.rlim_max);
		return;
	}
	log_info("limit of open files raised from %llu to %llu",
	    (unsigned long long)old, (unsigned long long)rl.rlim_max);
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
	/* The host as it was before us: rules, nftables, resolver. */
	gateway_stop();
	tunnel_stop();
	listener_close_all();
	control_close();
	nl_close();
	notify_close();
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
	notify_stopping();
	listener_quiesce();
	hsconn_close_all();
	control_close();
	peer_stop_all(reason);
	/*
	 * From now, not from when this turn of the loop began: telling a
	 * thousand forwarders takes a while, and the time they then have
	 * to say goodbye must not be spent already.
	 */
	uv_update_time(ipcpd->loop);
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
	case SIGUSR2:
		log_info("SIGUSR2: restarting in place");
		handover_request(NULL);
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
	uv_signal_init(ipcpd->loop, &sig_usr2);
	uv_signal_start(&sig_term, on_signal, SIGTERM);
	uv_signal_start(&sig_int, on_signal, SIGINT);
	uv_signal_start(&sig_hup, on_signal, SIGHUP);
	uv_signal_start(&sig_usr2, on_signal, SIGUSR2);
	/* Writes to a closed socket must fail with EPIPE, not kill us. */
	uv_signal_start(&sig_pipe, on_signal, SIGPIPE);
	uv_timer_init(ipcpd->loop, &stop_timer);
}

/*
 * How we were started, for a restart to start the next binary the same
 * way: the arguments without a restart's own "-U FD", and the directory
 * a relative config path is relative to.
 */
static void
remember_args(int argc, char *argv[])
{
	int	i, skip = argc >= 3 && strcmp(argv[1], "-U") == 0 ? 2 : 0;

	if ((ipcpd->argv = calloc(argc + 1, sizeof(char *))) == NULL)
		fatal("arguments");
	ipcpd->argv[0] = argv[0];
	for (i = 1 + skip; i < argc; i++)
		ipcpd->argv[i - skip] = argv[i];
	ipcpd->argc = argc - skip;
	if (getcwd(ipcpd->cwd, sizeof(ipcpd->cwd)) == NULL)
		strcpy(ipcpd->cwd, "/");
}

/* -U FD: the state a restart left; we carry on from it. */
static Ipcp__Handover *
takeover_arg(const char *arg)
{
	Ipcp__Handover	*h;
	char		 err[1024], *end;
	long		 fd;

	errno = 0;
	fd = strtol(arg, &end, 10);
	if (errno != 0 || *end != '\0' || fd < 3 || fd > INT_MAX)
		usage("-U: not a descriptor number");
	if ((h = takeover_load((int)fd, err, sizeof(err))) == NULL) {
		fprintf(stderr, "ipcpd: %s\n", err);
		exit(1);
	}
	if (chdir(h->cwd) == -1) {
		fprintf(stderr, "ipcpd: %s: %s\n", h->cwd, strerror(errno));
		exit(1);
	}
	snprintf(ipcpd->cwd, sizeof(ipcpd->cwd), "%s", h->cwd);
	return h;
}

int
main(int argc, char *argv[])
{
	Ipcp__Handover	*h = NULL;
	const char	*file = CONFIG_DEFAULT_FILE, *control = NULL;
	struct peer	*p;
	char		 err[1024], msg[256];
	size_t		 i;
	int		 ch, debug = 0, verbose = 0, check = 0, legacy = 0;
	/* Only with the seed command line: the original ipcp's wire. */
	if (sodium_init() == -1) {
		fprintf(stderr, "ipcpd: cannot initialise libsodium\n");
		return 1;
	}
	log_procinit("ipcpd");
	log_init(1, 0, LOG_DAEMON);
	remember_args(argc, argv);

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:c:dhns:U:vV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'U':
			h = takeover_arg(optarg);
			break;
		case 'L':
			legacy = 1;
			break;
		case 'c':
			file = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'h':
			help();
			return 0;
		case 'n':
			check = 1;
			break;
		case 's':
			control = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("ipcpd %s\n", IPCP_VERSION);
			return 0;
		case ':':
			snprintf(err, sizeof(err), "option %s needs an "
			    "argument", argv[optind - 1]);
			usage(err);
		default:
			if (optopt != 0)
				snprintf(err, sizeof(err), "unknown option "
				    "-%c", optopt);
			else
				snprintf(err, sizeof(err), "unknown option "
				    "%s", argv[optind - 1]);
			usage(err);
		}
	}
	argc -= optind;
	argv += optind;
	if (control != NULL) {
		if (config_control_check(control, msg, sizeof(msg)) == -1) {
			snprintf(err, sizeof(err), "-s: %s", msg);
			usage(err);
		}
		ipcpd->control = control;
	}

	if (argc == 5) {
		/* The original ipcp command line runs in the foreground. */
		ipcpd->conf = config_compat(argv[0], argv[1], argv[2],
		    argv[3], argv[4], legacy, err, sizeof(err));
		debug = 1;
	} else if (argc == 0 && !legacy)
		ipcpd->conf = config_parse(file, err, sizeof(err));
	else {
		snprintf(err, sizeof(err), "expected no arguments, or the "
		    "five of the original command line; got %d", argc);
		usage(err);
	}
	if (ipcpd->conf == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/*
	 * -s wins over the file's `control' (several instances from one
	 * template unit, each with its own socket); reloads keep it.
	 */
	ipcpd_control_override(ipcpd->conf);
	for (i = 0; i < ipcpd->conf->n_warning; i++)
		fprintf(stderr, "%s\n", ipcpd->conf->warning[i]);
	if (h != NULL && takeover_check(h, ipcpd->conf, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "ipcpd: %s\n", err);
		return 1;
	}
	if (check) {
		config_print(stdout, ipcpd->conf);
		if (verbose)
			fprintf(stderr, "configuration OK\n");
		/* -U with -n: a restart's check of this binary, passed. */
		if (h != NULL)
			ipcp__handover__free_unpacked(h, NULL);
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
	raise_nofile();

	ipcpd->loop = uv_default_loop();
	ipcpd->start_ms = now_ms();
	ipcpd->local_caps = hs_local_caps();
	TAILQ_INIT(&ipcpd->peers);
	/*
	 * Everything that can fail, before we detach: first the single-
	 * instance check (the control socket), so a second ipcpd touches
	 * nothing, then rtnetlink and the listeners.
	 */
	if (h != NULL) {
		/* Already a daemon, if we were one: the same process. */
		if (takeover_sockets(h, err, sizeof(err)) == -1)
			fatalx("%s", err);
	} else if (control_open(ipcpd->conf->control, err, sizeof(err)) == -1)
		startup_failed(err);
	if (nl_init() == -1) {
		snprintf(err, sizeof(err), "rtnetlink: %s", strerror(errno));
		startup_failed(err);
	}
	if (listener_sync(ipcpd->conf, err, sizeof(err)) == -1)
		startup_failed(err);
	/*
	 * Before any dial: the killswitch and the full tunnel's rules stand
	 * (or stay, from the ipcpd before us), and the leases are loaded.
	 */
	if (tunnel_init(err, sizeof(err)) == -1 ||
	    gateway_init(err, sizeof(err)) == -1)
		startup_failed(err);
	if (!debug && h == NULL) {
		if (daemon(0, 0) == -1)
			startup_failed(strerror(errno));
		if (uv_loop_fork(ipcpd->loop) != 0)
			fatalx("libuv: cannot continue after fork");
	} else if (!debug && chdir("/") == -1)
		fatal("chdir /");
	signals_init();
	notify_init();
	add_peers();
	route_local_sync();
	if (h != NULL)
		takeover_peers(h);

	log_info("node %s %s with %zu peer%s", ipcpd->conf->name,
	    h != NULL ? "restarted" : "started", ipcpd->n_peers,
	    ipcpd->n_peers == 1 ? "" : "s");
	TAILQ_FOREACH(p, &ipcpd->peers, entry)
		if (p->state != PEER_STATE_UP)
			peer_fsm(p, PEER_EV_START, NULL);
	if (h != NULL)
		takeover_done(h);
	/* The control socket answers as soon as the loop runs. */
	notify_ready();
	uv_run(ipcpd->loop, UV_RUN_DEFAULT);
	return 0;
}
