/* SPDX-License-Identifier: ISC */
/*
 * One logging API for all ipcp processes (after usr.sbin/ntpd/log.h).
 * ipcpd logs to syslog, or to stderr with -d.  A forwarder installs a sink
 * with log_setsink() that hands each line to ipcpd over its channel, as the
 * OpenSSH monitor's log channel does; ipcpd prefixes and writes it.
 */
#ifndef IPCP_LOG_H
#define IPCP_LOG_H

#include <stdarg.h>
#include <syslog.h>

typedef void (*log_sink_fn)(int priority, const char *line);

void	 log_init(int foreground, int verbose, int facility);
void	 log_procinit(const char *procname);
void	 log_setverbose(int);
int	 log_getverbose(void);
void	 log_setsink(log_sink_fn);
void	 log_emit(int priority, const char *line);
void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 fatal(const char *, ...) __attribute__((format(printf, 1, 2)))
	    __attribute__((noreturn));
void	 fatalx(const char *, ...) __attribute__((format(printf, 1, 2)))
	    __attribute__((noreturn));

/*
 * A token bucket for anything a remote peer can trigger: at most `burst'
 * lines, refilled at one per `interval_ms'.  Returns 1 if the caller may
 * log now.  Suppressed lines are counted and reported with the next one.
 */
struct log_ratelimit {
	unsigned	burst;
	unsigned	interval_ms;
	double		tokens;
	unsigned long	last_ms;
	unsigned long	suppressed;
};
#define LOG_RATELIMIT_INIT(b, i)	{ (b), (i), (b), 0, 0 }
int	 log_ratelimit(struct log_ratelimit *);
/* The same bucket without the logging, for rates that are not logs. */
int	 ratelimit_take(struct log_ratelimit *);

#endif
