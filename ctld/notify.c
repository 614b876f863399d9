/* SPDX-License-Identifier: ISC */
/*
 * The service manager's side of ipcpd: sd_notify(3) for a unit with
 * Type=notify (contrib/ipcpd.service.in).  Without NOTIFY_SOCKET in the
 * environment every function here does nothing.
 *
 *	READY=1		once listeners, control socket, TUNs and peers are
 *			set up (main), and again after each reload
 *	RELOADING=1	when a reload starts applying, with MONOTONIC_USEC=
 *			as systemd 253 and later want it (252 ignores it)
 *	STOPPING=1	when the shut-down begins
 *	STATUS=		"3/5 peers up, 12 routes" for systemctl status
 *	WATCHDOG=1	at half of WATCHDOG_USEC, from a timer on the libuv
 *			loop: a loop that hangs stops the pings, and
 *			systemd kills and restarts ipcpd
 *
 * STATUS= is polled, not pushed from the peer FSM: counts change in
 * bursts (a mesh comes up, a reload adds ten peers), and one look a
 * second sends at most one message a second without any hook in the
 * code that changes them.  It is sent only when the text changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "ipcpd.h"

/* How often STATUS= is looked at; at most one message per period. */
#define NOTIFY_STATUS_MS	1000

static struct {
	int		 on;		/* NOTIFY_SOCKET was set */
	uv_timer_t	 status_timer;
	uv_timer_t	 watchdog_timer;
	int		 watchdog;
	char		 status[128];	/* the last STATUS= sent */
} nt;

static void
status_text(char *buf, size_t len)
{
	size_t	up = peer_count_up(), n = ipcpd->n_peers, routes = rib_count();

	if (ipcpd->stopping)
		snprintf(buf, len, "stopping");
	else
		snprintf(buf, len, "%zu/%zu peer%s up, %zu route%s", up, n,
		    n == 1 ? "" : "s", routes, routes == 1 ? "" : "s");
}

/* STATUS= if it changed since the last one. */
static void
status_send(void)
{
	char	text[sizeof(nt.status)];

	status_text(text, sizeof(text));
	if (strcmp(text, nt.status) == 0)
		return;
	if (sd_notifyf(0, "STATUS=%s", text) > 0)
		memcpy(nt.status, text, sizeof(nt.status));
}

static void
status_cb(uv_timer_t *t)
{
	status_send();
}

static void
watchdog_cb(uv_timer_t *t)
{
	sd_notify(0, "WATCHDOG=1");
}

void
notify_init(void)
{
	uint64_t	usec = 0;
	uint64_t	ms;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return;
	nt.on = 1;
	/* Neither timer is a reason to keep the loop running at exit. */
	uv_timer_init(ipcpd->loop, &nt.status_timer);
	uv_unref((uv_handle_t *)&nt.status_timer);
	uv_timer_start(&nt.status_timer, status_cb, NOTIFY_STATUS_MS,
	    NOTIFY_STATUS_MS);
	/* 0: not asked for, or for another process (WATCHDOG_PID). */
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return;
	/* Half the interval, as sd_watchdog_enabled(3) advises. */
	ms = usec / 2000;
	if (ms == 0)
		ms = 1;
	uv_timer_init(ipcpd->loop, &nt.watchdog_timer);
	uv_unref((uv_handle_t *)&nt.watchdog_timer);
	uv_timer_start(&nt.watchdog_timer, watchdog_cb, 0, ms);
	nt.watchdog = 1;
	log_debug("systemd watchdog: pinging every %llu ms",
	    (unsigned long long)ms);
}

void
notify_ready(void)
{
	char	text[sizeof(nt.status)];

	if (!nt.on)
		return;
	status_text(text, sizeof(text));
	if (sd_notifyf(0, "READY=1\nSTATUS=%s", text) > 0)
		memcpy(nt.status, text, sizeof(nt.status));
}

void
notify_reloading(void)
{
	struct timespec	ts;

	if (!nt.on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nSTATUS=reloading %s\nMONOTONIC_USEC=%llu",
	    ipcpd->conf->file, (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
	nt.status[0] = '\0';
}

void
notify_stopping(void)
{
	if (!nt.on)
		return;
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	snprintf(nt.status, sizeof(nt.status), "stopping");
}

void
notify_close(void)
{
	if (!nt.on)
		return;
	uv_close((uv_handle_t *)&nt.status_timer, NULL);
	if (nt.watchdog)
		uv_close((uv_handle_t *)&nt.watchdog_timer, NULL);
	nt.on = nt.watchdog = 0;
}
