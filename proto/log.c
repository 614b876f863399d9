/* SPDX-License-Identifier: ISC */
/*
 * Logging for ipcpd, ipcp-fwd and ipcpctl.  Lines go to stderr in the
 * foreground, to syslog otherwise, or to a sink (a forwarder's channel to
 * ipcpd).  Nothing here allocates after log_init, so it is safe to call
 * from any path, including fatal ones.
 *
 * When stderr is the journal (systemd sets JOURNAL_STREAM to its
 * device:inode), each line starts with its priority as "<N>", which
 * journald turns into the entry's PRIORITY (sd-daemon(3), SD_ERR and
 * friends have the syslog numbers).  Not sd_journal_print(): this file is
 * linked into the forwarder and ipcpctl too, which have no business
 * linking libsystemd, and one stream keeps the order of everything
 * ipcpd and its children write to stderr.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static int		 log_foreground = 1;
static int		 log_verbose;
static const char	*log_procname = "ipcp";
static log_sink_fn	 log_sink;
static int		 log_journal;	/* stderr is the journal's stream */

/* JOURNAL_STREAM names stderr's file, not one a parent passed on. */
static int
stderr_is_journal(void)
{
	const char		*env = getenv("JOURNAL_STREAM");
	struct stat		 st;
	unsigned long long	 dev, ino;

	if (env == NULL || sscanf(env, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(int foreground, int verbose, int facility)
{
	log_foreground = foreground;
	log_journal = foreground && stderr_is_journal();
	log_verbose = verbose;
	/*
	 * syslog stamps lines with the local time: read the zone now, while
	 * /etc/localtime can still be opened.  Lines on stderr or through a
	 * sink carry no time, and a forwarder, started for every session,
	 * saves reading the file.
	 */
	if (!foreground) {
		openlog(log_procname, LOG_PID | LOG_NDELAY, facility);
		tzset();
	}
}

void
log_procinit(const char *procname)
{
	if (procname != NULL)
		log_procname = procname;
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

int
log_getverbose(void)
{
	return log_verbose;
}

void
log_setsink(log_sink_fn fn)
{
	log_sink = fn;
}

void
log_emit(int pri, const char *line)
{
	if (pri == LOG_DEBUG && !log_verbose)
		return;
	if (log_sink != NULL) {
		log_sink(pri, line);
		return;
	}
	if (log_foreground) {
		int saved = errno;

		if (log_journal)
			fprintf(stderr, "<%d>%s: %s\n", LOG_PRI(pri),
			    log_procname, line);
		else
			fprintf(stderr, "%s: %s\n", log_procname, line);
		fflush(stderr);
		errno = saved;
	} else
		syslog(pri, "%s", line);
}

static void
vlog(int pri, const char *fmt, va_list ap, int with_errno)
{
	char	buf[1024];
	int	saved = errno, n;

	if (pri == LOG_DEBUG && !log_verbose)
		return;
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (with_errno && n >= 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(saved));
	log_emit(pri, buf);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, 1);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}

int
ratelimit_take(struct log_ratelimit *rl)
{
	unsigned long	now = (unsigned long)now_ms();

	if (rl->last_ms != 0 && rl->interval_ms != 0) {
		rl->tokens += (double)(now - rl->last_ms) / rl->interval_ms;
		if (rl->tokens > rl->burst)
			rl->tokens = rl->burst;
	}
	rl->last_ms = now;
	if (rl->tokens < 1)
		return 0;
	rl->tokens -= 1;
	return 1;
}

int
log_ratelimit(struct log_ratelimit *rl)
{
	if (ratelimit_take(rl)) {
		if (rl->suppressed) {
			log_warnx("(%lu similar messages suppressed)",
			    rl->suppressed);
			rl->suppressed = 0;
		}
		return 1;
	}
	rl->suppressed++;
	return 0;
}
