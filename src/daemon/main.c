// SPDX-License-Identifier: BSD-2-Clause
/*
 * main.c - ptnetd: options, signals and the control thread's event loop.
 * The forwarding itself runs in the workers (worker.c).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include "daemon/conffile.h"
#include "daemon/ctl.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/port.h"
#include "daemon/switch.h"
#include "daemon/worker.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ptnetd [options]\n"
		"  -c, --config FILE       read switches, ports and options from FILE (ptnetd.conf(5));\n"
		"                          SIGHUP or 'ptnetctl reload' reads it again\n"
		"  -s, --socket PATH       control socket (default $PTNET_SOCKET or %s)\n"
		"  -w, --workers N         forwarding threads (default: one per CPU)\n"
		"      --pin-workers       pin worker i to the i-th CPU ptnetd may run on; the rings\n"
		"                          of a client pinned to one CPU go to that CPU's worker\n"
		"      --poll-min-us US    shortest polling window after traffic (default 20)\n"
		"      --poll-max-us US    longest polling window (default 1000)\n"
		"      --mac-age S         MAC table aging time in seconds (default 300)\n"
		"      --mac-table N       MAC table entries of a switch made without mac-table=,\n"
		"                          and of those made on first use (default 1024, at most\n"
		"                          1048576; rounded up to a power of two; 8 bytes each)\n"
		"      --socket-mode MODE  permissions of the socket, octal (default 0660)\n"
		"      --socket-owner USER owner of the socket (name or uid)\n"
		"      --socket-group GROUP group of the socket (name or gid)\n"
		"limits (a refused request names the limit it hit):\n"
		"      --max-switches N    switches (default 64, at most %d)\n"
		"      --max-ports N       ports on all switches (default 512, at most %d)\n"
		"      --max-ports-per-switch N  (default and most %d)\n"
		"      --max-port-mem MIB  memory of one port region (default 512)\n"
		"      --max-mem MIB       memory of all port regions (default 8192)\n"
		"      --uid-max-ports N   ports one non-root uid may hold (default unlimited)\n"
		"      --uid-max-mem MIB   port memory one non-root uid may use (default unlimited)\n"
		"      --metrics ADDR      serve Prometheus metrics (GET /metrics) on 127.0.0.1:PORT,\n"
		"                          [::1]:PORT, localhost:PORT or a UNIX socket PATH\n"
		"  -v, --verbose           more log output\n"
		"  -q, --quiet             errors only\n"
		"  -V, --version           print the version\n"
		"  -h, --help              this help\n"
		"Runs in the foreground and logs to stderr; SIGINT/SIGTERM stop it cleanly.\n"
		"Options on the command line win over the file's.\n",
		PTNET_DEFAULT_SOCKET, PTD_MAX_SWITCHES, PTD_MAX_TOTAL_PORTS, PTD_MAX_PORTS);
}

/* -c FILE; and the command line, kept to apply again over the file's options at a reload. */
static const char *conf_path;
static int saved_argc;
static char **saved_argv;

static int parse_args(struct ptd_config *cfg, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "poll-min-us", required_argument, NULL, 1 },
		{ "poll-max-us", required_argument, NULL, 2 },
		{ "mac-age", required_argument, NULL, 3 },
		{ "socket-mode", required_argument, NULL, 4 },
		{ "socket-owner", required_argument, NULL, 5 },
		{ "socket-group", required_argument, NULL, 6 },
		{ "max-switches", required_argument, NULL, 7 },
		{ "max-ports", required_argument, NULL, 8 },
		{ "max-ports-per-switch", required_argument, NULL, 9 },
		{ "max-port-mem", required_argument, NULL, 10 },
		{ "max-mem", required_argument, NULL, 11 },
		{ "uid-max-ports", required_argument, NULL, 12 },
		{ "uid-max-mem", required_argument, NULL, 13 },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "config", required_argument, NULL, 'c' },
		{ "metrics", required_argument, NULL, 100 },
		{ "mac-table", required_argument, NULL, 101 },
		{ "pin-workers", no_argument, NULL, 102 },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t v;
	int c;

	optind = 0;	/* (again from the start at a reload) */
	while ((c = getopt_long(argc, argv, "s:w:vqVhc:", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf_path = optarg;
			break;
		case 's':
			cfg->sock_path = optarg;
			break;
		case 'w':
			if (ptc_parse_u32(optarg, 1, PTD_MAX_WORKERS / 2, &v)) {
				fprintf(stderr, "ptnetd: --workers must be 1..%d\n", PTD_MAX_WORKERS / 2);
				return -EINVAL;
			}
			cfg->nworkers = v;
			break;
		case 1:
		case 2:
			if (ptc_parse_u32(optarg, 0, 1000000, &v)) {
				fprintf(stderr, "ptnetd: polling windows are 0..1000000 us\n");
				return -EINVAL;
			}
			if (c == 1)
				cfg->poll_min_us = v;
			else
				cfg->poll_max_us = v;
			break;
		case 3:
			if (ptc_parse_u32(optarg, 4, 900, &v)) {
				fprintf(stderr, "ptnetd: --mac-age must be 4..900 seconds\n");
				return -EINVAL;
			}
			cfg->mac_age_s = v;
			break;
		case 102:
			cfg->pin_workers = 1;
			break;
		case 101:
			if (ptc_parse_u32(optarg, 1, PTD_MAC_MAX, &v)) {
				fprintf(stderr, "ptnetd: --mac-table must be 1..%u entries (rounded up "
					"to a power of two, at least %u)\n", PTD_MAC_MAX, PTD_MAC_MIN);
				return -EINVAL;
			}
			cfg->mac_table = ptd_mac_round(v);
			break;
		case 4: {
			char *end;
			long m = strtol(optarg, &end, 8);

			if (*end || m < 0 || m > 0777) {
				fprintf(stderr, "ptnetd: --socket-mode wants an octal mode like 0660\n");
				return -EINVAL;
			}
			cfg->sock_mode = (int)m;
			break;
		}
		case 5:
			cfg->sock_owner = optarg;
			break;
		case 6:
			cfg->sock_group = optarg;
			break;
		case 7: case 8: case 9: case 12: {
			static const uint32_t max[] = { [7] = PTD_MAX_SWITCHES, [8] = PTD_MAX_TOTAL_PORTS,
							[9] = PTD_MAX_PORTS, [12] = PTD_MAX_TOTAL_PORTS };

			if (ptc_parse_u32(optarg, c == 12 ? 0 : 1, max[c], &v)) {
				fprintf(stderr, "ptnetd: %s must be %d..%u\n", lo[c + 1].name,
					c == 12 ? 0 : 1, max[c]);
				return -EINVAL;
			}
			if (c == 7)
				cfg->max_switches = v;
			else if (c == 8)
				cfg->max_ports = v;
			else if (c == 9)
				cfg->max_ports_per_switch = v;
			else
				cfg->uid_max_ports = v;
			break;
		}
		case 10: case 11: case 13:
			if (ptc_parse_u32(optarg, c == 13 ? 0 : 1, 1u << 24, &v)) {
				fprintf(stderr, "ptnetd: %s wants MiB, 1..16777216\n", lo[c + 1].name);
				return -EINVAL;
			}
			if (c == 10)
				cfg->max_port_mem = (uint64_t)v << 20;
			else if (c == 11)
				cfg->max_mem = (uint64_t)v << 20;
			else
				cfg->uid_max_mem = (uint64_t)v << 20;
			break;
		case 100: {
			struct ptd_metrics_addr a;
			struct ptd_err e;

			if (ptd_metrics_parse_addr(optarg, &a, &e)) {
				fprintf(stderr, "ptnetd: %s\n", e.msg);
				return -EINVAL;
			}
			cfg->metrics_addr = optarg;
			break;
		}
		case 'v':
			ptd_log_level = LOG_LVL_DEBUG;
			break;
		case 'q':
			ptd_log_level = LOG_LVL_ERR;
			break;
		case 'V':
			printf("ptnetd %s (abi %u)\n", PTNET_VERSION, PTNET_ABI_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ptnetd: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (cfg->poll_min_us > cfg->poll_max_us)
		cfg->poll_min_us = cfg->poll_max_us;
	return 0;
}

/* The command line again over CFG (the file's options): it wins. */
static int cmdline_again(struct ptd_config *cfg)
{
	return parse_args(cfg, saved_argc, saved_argv);
}

/* -c FILE: the file's options under the command line's, kept in d->conf. */
static int conf_start(struct ptd *d, struct ptd_conffile *cfile)
{
	struct ptd_err e = { "" };
	int ret;

	ret = ptd_conf_load(conf_path, &cfile->boot, &e);
	if (ret) {
		LOG_ERR("%s", e.msg);
		return ret;
	}
	cfile->path = conf_path;
	cfile->applied = NULL;
	cfile->cmdline = cmdline_again;
	ptd_config_defaults(&d->cfg);
	ptd_conf_options(cfile->boot, &d->cfg);
	ret = parse_args(&d->cfg, saved_argc, saved_argv);
	if (ret)
		return ret;
	d->conf = cfile;
	return 0;
}

static void on_signal(struct ptd *d, struct ptd_ev *ev, uint32_t events)
{
	struct signalfd_siginfo si = { 0 };

	(void)events;
	if (read(ev->fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP && d->conf) {
		struct ptd_err e = { "" };
		char sum[128];

		LOG_INFO("SIGHUP: reloading %s", d->conf->path);
		ptd_conf_reload(d, sum, sizeof(sum), &e);	/* logs the outcome */
		return;
	}
	if (si.ssi_signo) {
		LOG_INFO("signal %u: shutting down", si.ssi_signo);
		d->stopping = true;
	}
}

static void on_timer(struct ptd *d, struct ptd_ev *ev, uint32_t events)
{
	uint64_t n;

	(void)events;
	if (read(ev->fd, &n, sizeof(n)) < 0)
		return;
	ptd_ctl_resume(d);
	for (unsigned int i = 0; i < d->nsw; i++) {
		pthread_rwlock_rdlock(&d->sw[i]->lock);
		ptd_mac_sweep(d->sw[i]);
		pthread_rwlock_unlock(&d->sw[i]->lock);
	}
}

static int setup(struct ptd *d)
{
	struct itimerspec its = { .it_interval = { 10, 0 }, .it_value = { 10, 0 } };
	sigset_t set;
	int sig_fd, timer_fd, ret;

	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0)
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0)
		return -errno;
	ret = ptd_ev_add(d, &d->ev_signal, sig_fd, EPOLLIN, on_signal);
	if (ret)
		return ret;
	timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (timer_fd < 0)
		return -errno;
	timerfd_settime(timer_fd, 0, &its, NULL);
	ret = ptd_ev_add(d, &d->ev_timer, timer_fd, EPOLLIN, on_timer);
	if (ret)
		return ret;
	ret = ptd_ctl_listen(d);
	if (ret)
		return ret;
	ret = ptd_metrics_start(d);
	if (ret)
		return ret;
	/* Workers start after the signal mask is set: they inherit it. */
	return ptd_workers_start(d);
}

static void teardown(struct ptd *d)
{
	/*
	 * Close every connection (their ports go with them), then the rest.
	 * A switch made on first use goes with its last port: start over at
	 * the first switch each time.
	 */
	while (d->nsw) {
		struct ptd_switch *sw = d->sw[0];

		if (sw->nports) {
			struct ptd_port *p = sw->ports[sw->active[0]];

			if (p->conn)
				ptd_ctl_close(d, p->conn);
			else
				ptd_port_destroy(d, p);
			continue;
		}
		d->sw[0] = d->sw[--d->nsw];
		ptd_switch_free(sw);
	}
	ptd_metrics_stop(d);
	ptd_defer_run(d);
	if (d->workers)
		ptd_workers_stop(d);
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		if (!d->sock_activated)
			unlink(d->cfg.sock_path);
	}
	if (d->conf) {
		if (d->conf->applied != d->conf->boot)
			ptd_conf_free(d->conf->applied);
		ptd_conf_free(d->conf->boot);
		d->conf = NULL;
	}
}

int main(int argc, char **argv)
{
	struct ptd d = { .listen_fd = -1, .epfd = -1, .ev_listen.fd = -1, .ev_signal.fd = -1,
			 .ev_timer.fd = -1 };
	struct ptd_conffile cfile = { 0 };
	int ret;

	setvbuf(stderr, NULL, _IOLBF, 0);
	saved_argc = argc;
	saved_argv = argv;
	ptd_config_defaults(&d.cfg);
	if (parse_args(&d.cfg, argc, argv))
		return 2;
	if (conf_path && conf_start(&d, &cfile)) {
		teardown(&d);
		ptd_conf_free(cfile.boot);
		return 2;
	}
	ret = setup(&d);
	if (!ret && d.conf) {
		struct ptd_err e = { "" };
		char sum[128];

		ret = ptd_conf_apply(&d, d.conf->boot, NULL, sum, sizeof(sum), &e);
		if (ret)
			LOG_ERR("%s", e.msg);
		else
			LOG_INFO("configuration %s applied: %s", d.conf->path, sum);
		d.conf->applied = d.conf->boot;
		ret = ret ? -ECANCELED : 0;
	}
	if (ret) {
		if (ret != -EADDRINUSE && ret != -EEXIST && ret != -ECANCELED)
			LOG_ERR("cannot start: %s", strerror(-ret));
		teardown(&d);
		return 1;
	}
	LOG_INFO("ptnetd %s listening on %s (%u workers)", PTNET_VERSION, d.cfg.sock_path,
		 d.nworkers);
	sd_notifyf(0, "READY=1\nSTATUS=running, %u workers\nMAINPID=%ld", d.nworkers,
		   (long)getpid());
	while (!d.stopping) {
		struct epoll_event ev[64];
		int n = epoll_wait(d.epfd, ev, 64, -1);

		if (n < 0 && errno != EINTR) {
			LOG_ERR("epoll_wait: %s", strerror(errno));
			break;
		}
		/* Each source carries its callback; one gone earlier in the batch has none. */
		for (int i = 0; i < n; i++) {
			struct ptd_ev *src = ev[i].data.ptr;

			if (src->fn)
				src->fn(&d, src, ev[i].events);
		}
		ptd_defer_run(&d);
	}
	sd_notify(0, "STOPPING=1");
	teardown(&d);
	LOG_INFO("stopped");
	return 0;
}
