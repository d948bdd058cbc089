// SPDX-License-Identifier: BSD-2-Clause
/*
 * top.c - ptnetctl top [SWITCH] [-n COUNT]: rates, refreshed every second.
 *
 * Asks ptnetd for "stats" once a second on one connection and shows, per
 * port, frames and bits per second in (RX: switch to client) and out (TX:
 * client to switch) and drops per second by reason, ports sorted by their
 * total frame rate under their switch's totals (switches sorted the same
 * way).  On a terminal: a full-screen view (alternate screen, no echo,
 * non-canonical input), `q` quits, and the terminal is restored on every
 * way out (q, -n reached, SIGINT, SIGTERM, SIGHUP, ptnetd gone).  Otherwise
 * one block of plain lines per second, COUNT blocks (-n; default: until
 * killed).  Rates need two samples: the first block comes after a second.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <ptnet/ptnet.h>
#include "common/common.h"
#include "ptnetctl.h"

#define TOP_MAX_RECS	4096
#define TOP_MAX_DROPS	16

struct trec {
	char name[PTC_FULLNAME_MAX + 1];
	char sw[PTC_FULLNAME_MAX + 1];	/* (a switch name is shorter; records are not trusted) */
	int is_switch;
	uint64_t txp, txb, rxp, rxb;
	unsigned int ndrop;
	char dname[TOP_MAX_DROPS][24];
	uint64_t dval[TOP_MAX_DROPS];
};

struct sample {
	struct trec *r;
	unsigned int n;
	uint64_t t_ns;
};

/* One line of the view: a record and its rates over the last interval. */
struct row {
	const struct trec *r;
	double rxpps, rxbps, txpps, txbps, dps;
	double drop_ps[TOP_MAX_DROPS];
};

static volatile sig_atomic_t got_signal;
static struct termios saved_tio;
static int tty_in, tty_out;

static void on_signal(int sig)
{
	got_signal = sig;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t kv_u64(const struct ptc_tokens *t, const char *key)
{
	const char *v = ptc_kv_get(t, 0, key);

	return v ? strtoull(v, NULL, 10) : 0;
}

static int collect(const char *line, void *arg)
{
	struct sample *s = arg;
	struct ptc_tokens t;
	char buf[PTC_MAX_MSG + 1];
	const char *v;
	struct trec *r;

	if (s->n == TOP_MAX_RECS)
		return 0;
	snprintf(buf, sizeof(buf), "%s", line);
	if (ptc_split(buf, &t) < 0)
		return 0;
	r = &s->r[s->n];
	memset(r, 0, sizeof(*r));
	v = ptc_kv_get(&t, 0, "type");
	r->is_switch = v && !strcmp(v, "switch");
	v = ptc_kv_get(&t, 0, "name");
	snprintf(r->name, sizeof(r->name), "%s", v ? v : "?");
	v = r->is_switch ? r->name : ptc_kv_get(&t, 0, "switch");
	snprintf(r->sw, sizeof(r->sw), "%s", v ? v : "?");
	r->txp = kv_u64(&t, "tx_packets");
	r->txb = kv_u64(&t, "tx_bytes");
	r->rxp = kv_u64(&t, "rx_packets");
	r->rxb = kv_u64(&t, "rx_bytes");
	/* Drops are whatever ptnetd sends as drop_REASON: no list of our own. */
	for (int k = 0; k < t.n && r->ndrop < TOP_MAX_DROPS; k++) {
		const char *eq = strchr(t.tok[k], '=');

		if (strncmp(t.tok[k], "drop_", 5) || !eq)
			continue;
		snprintf(r->dname[r->ndrop], sizeof(r->dname[0]), "%.*s", (int)(eq - t.tok[k] - 5),
			 t.tok[k] + 5);
		r->dval[r->ndrop++] = strtoull(eq + 1, NULL, 10);
	}
	s->n++;
	return 0;
}

static int take(int fd, const char *req, struct sample *s)
{
	char status[PTC_MAX_MSG];

	s->n = 0;
	if (ptnet_ctl_call(fd, req, collect, s, status, sizeof(status)) < 0)
		return -1;
	s->t_ns = mono_ns();
	return 0;
}

static const struct trec *find(const struct sample *s, const struct trec *r)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (s->r[i].is_switch == r->is_switch && !strcmp(s->r[i].name, r->name))
			return &s->r[i];
	return NULL;
}

static double rate(uint64_t now, uint64_t before, double dt)
{
	return now >= before ? (double)(now - before) / dt : 0;
}

/* "0", "950", "1.23k", "45.6M", "1.20G" */
static const char *human(double v, char *buf, size_t len)
{
	static const char unit[] = " kMGTP";
	unsigned int u = 0;

	while (v >= 999.5 && u < sizeof(unit) - 2) {
		v /= 1000;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.*f%c", v < 9.995 ? 2 : v < 99.95 ? 1 : 0, v, unit[u]);
	return buf;
}

static int by_pps(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	double px = x->rxpps + x->txpps, py = y->rxpps + y->txpps;

	if (px != py)
		return px < py ? 1 : -1;
	return strcmp(x->r->name, y->r->name);
}

static void row_line(FILE *f, const struct row *w, const char *label)
{
	char a[16], b[16], c[16], d[16], e[16];
	int n;

	n = fprintf(f, "%-24s %9s %9s %9s %9s %9s", label, human(w->rxpps, a, sizeof(a)),
		    human(w->rxbps, b, sizeof(b)), human(w->txpps, c, sizeof(c)),
		    human(w->txbps, d, sizeof(d)), human(w->dps, e, sizeof(e)));
	(void)n;
	for (unsigned int k = 0; k < w->r->ndrop; k++)
		if (w->drop_ps[k] > 0)
			fprintf(f, " %s=%s", w->r->dname[k], human(w->drop_ps[k], a, sizeof(a)));
	fputc('\n', f);
}

/*
 * One block: the header, then per switch its totals and its ports.  On a
 * terminal at most MAXLINES lines (the screen), else all of them.
 */
static void show(FILE *f, const struct sample *cur, const struct sample *prev, unsigned int maxlines)
{
	double dt = (double)(cur->t_ns - prev->t_ns) / 1e9;
	struct row *rows = calloc(cur->n + 1, sizeof(*rows));
	unsigned int nrows = 0, nsw = 0, lines = 2;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	if (!rows)
		return;
	if (dt <= 0)
		dt = 1e-9;
	for (unsigned int i = 0; i < cur->n; i++) {
		const struct trec *r = &cur->r[i], *p = find(prev, r);
		struct row *w = &rows[nrows++];

		w->r = r;
		nsw += r->is_switch;
		if (!p)
			continue;	/* new since the last sample: rates next time */
		w->rxpps = rate(r->rxp, p->rxp, dt);
		w->rxbps = rate(r->rxb, p->rxb, dt) * 8;
		w->txpps = rate(r->txp, p->txp, dt);
		w->txbps = rate(r->txb, p->txb, dt) * 8;
		for (unsigned int k = 0; k < r->ndrop; k++)
			for (unsigned int j = 0; j < p->ndrop; j++)
				if (!strcmp(r->dname[k], p->dname[j])) {
					w->drop_ps[k] = rate(r->dval[k], p->dval[j], dt);
					w->dps += w->drop_ps[k];
				}
	}
	qsort(rows, nrows, sizeof(*rows), by_pps);
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(f, "ptnetctl top %s  %u switches, %u ports, interval %.2f s%s\n", when, nsw,
		nrows - nsw, dt, tty_out ? "  (q: quit)" : "");
	fprintf(f, "%-24s %9s %9s %9s %9s %9s %s\n", "PORT", "RX-PPS", "RX-BPS", "TX-PPS",
		"TX-BPS", "DROP/S", "DROPS/S BY REASON");
	for (unsigned int i = 0; i < nrows && lines < maxlines; i++) {
		char label[PTC_FULLNAME_MAX + 16];

		if (!rows[i].r->is_switch)
			continue;
		snprintf(label, sizeof(label), "%s (total)", rows[i].r->name);
		row_line(f, &rows[i], label);
		lines++;
		for (unsigned int k = 0; k < nrows && lines < maxlines; k++) {
			if (rows[k].r->is_switch || strcmp(rows[k].r->sw, rows[i].r->name))
				continue;
			snprintf(label, sizeof(label), "  %s", rows[k].r->name);
			row_line(f, &rows[k], label);
			lines++;
		}
	}
	free(rows);
}

static void term_restore(void)
{
	if (tty_out) {
		fputs("\033[?25h\033[?1049l", stdout);	/* cursor back, main screen back */
		fflush(stdout);
	}
	if (tty_in)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	tty_in = tty_out = 0;
}

static int term_setup(void)
{
	struct termios t;

	tty_out = isatty(STDOUT_FILENO);
	if (!tty_out)
		return 0;
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		t = saved_tio;
		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);	/* ISIG stays: ^C is SIGINT */
		t.c_cc[VMIN] = 0;
		t.c_cc[VTIME] = 0;
		if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0)
			tty_in = 1;
	}
	fputs("\033[?1049h\033[?25l", stdout);	/* alternate screen, no cursor */
	fflush(stdout);
	return 0;
}

static unsigned int screen_lines(void)
{
	struct winsize ws;

	if (tty_out && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 2)
		return ws.ws_row - 1u;
	return tty_out ? 24 : ~0u;
}

/* Wait until DEADLINE (ns): 1 if the user asked to quit, -1 on a signal, else 0. */
static int wait_until(uint64_t deadline)
{
	for (;;) {
		uint64_t now = mono_ns();
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		int ms, n;

		if (got_signal)
			return -1;
		if (now >= deadline)
			return 0;
		ms = (int)((deadline - now + 999999) / 1000000);
		n = poll(&pfd, tty_in ? 1 : 0, ms);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0 && (pfd.revents & POLLIN)) {
			char c[64];
			ssize_t r = read(STDIN_FILENO, c, sizeof(c));

			for (ssize_t i = 0; i < r; i++)
				if (c[i] == 'q' || c[i] == 'Q')
					return 1;
		} else if (n > 0) {
			tty_in = 0;	/* the terminal hung up: no more keys */
		}
	}
}

static void usage_top(void)
{
	fprintf(stderr, "ptnetctl: usage: ptnetctl top [SWITCH] [-n COUNT]\n");
}

int ptctl_top(int argc, char **argv, int json)
{
	struct sample s[2] = { 0 };
	const char *filter = NULL;
	unsigned long count = 0, shown = 0;
	char req[PTC_MAX_MSG];
	struct sigaction sa = { .sa_handler = on_signal };
	int fd, ret = 0, cur = 0;
	uint64_t next;

	if (json) {
		fprintf(stderr, "ptnetctl: top has no --json (use --json stats, or --metrics)\n");
		return 2;
	}
	for (int i = 0; i < argc; i++) {
		char *end;

		if (!strcmp(argv[i], "-n") || !strcmp(argv[i], "--count")) {
			if (i + 1 == argc || !*argv[i + 1] ||
			    (count = strtoul(argv[i + 1], &end, 10), *end) || !count) {
				fprintf(stderr, "ptnetctl: top: %s wants a positive count\n", argv[i]);
				return 2;
			}
			i++;
		} else if (argv[i][0] != '-' && !filter) {
			filter = argv[i];
		} else {
			usage_top();
			return 2;
		}
	}
	snprintf(req, sizeof(req), "stats%s%.200s", filter ? " " : "", filter ? filter : "");
	s[0].r = calloc(TOP_MAX_RECS, sizeof(struct trec));
	s[1].r = calloc(TOP_MAX_RECS, sizeof(struct trec));
	if (!s[0].r || !s[1].r) {
		fprintf(stderr, "ptnetctl: out of memory\n");
		return 1;
	}
	fd = ptnet_ctl_open();
	if (fd < 0 || take(fd, req, &s[cur]) < 0) {
		fprintf(stderr, "ptnetctl: %s\n", ptnet_errmsg());
		if (fd >= 0)
			ptnet_ctl_close(fd);
		free(s[0].r);
		free(s[1].r);
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	term_setup();
	next = s[cur].t_ns;
	for (;;) {
		int w;

		next += 1000000000ull;
		w = wait_until(next);
		if (w)
			break;
		cur ^= 1;
		if (take(fd, req, &s[cur]) < 0) {
			term_restore();
			fprintf(stderr, "ptnetctl: %s\n", ptnet_errmsg());
			ret = 1;
			break;
		}
		if (tty_out)
			fputs("\033[H\033[J", stdout);
		else if (shown)
			fputc('\n', stdout);
		show(stdout, &s[cur], &s[cur ^ 1], screen_lines());
		if (fflush(stdout) == EOF || ferror(stdout))
			break;	/* nobody reads us any more */
		if (++shown == count)
			break;
		if (next < mono_ns())
			next = mono_ns();	/* we were late (suspended?): do not catch up */
	}
	term_restore();
	ptnet_ctl_close(fd);
	free(s[0].r);
	free(s[1].r);
	if (got_signal) {
		/* The terminal is back: die of the signal, as without the handler. */
		signal(got_signal, SIG_DFL);
		raise(got_signal);
	}
	return ret;
}
