// SPDX-License-Identifier: BSD-2-Clause
/*
 * metrics.c - a tiny HTTP/1.0 and 1.1 server for GET /metrics (metrics.h).
 *
 * One exchange per connection: read the request head (bounded), answer it
 * with "Connection: close", send the reply without blocking (EPOLLOUT when
 * the socket is full), shut down our side and read until the client closes
 * (so that unread request bytes cannot turn our close into a reset that
 * loses the reply).  A client that takes longer than PTD_METRICS_TIMEOUT_S
 * for all of it is dropped by a timer that runs only while clients exist.
 *
 * The page is built at once from the counters (each read whole with
 * PTNET_READ_ONCE; the page is not a snapshot across ports).  Families:
 *   ptnet_port_<counter>_total{switch,port,kind}     every non-drop counter
 *   ptnet_port_drops_total{switch,port,kind,reason}  every drop_<reason>
 *   ptnet_switch_<counter>_total{switch}, ptnet_switch_drops_total{switch,reason}
 *                                                    sums, ports that left included
 *   ptnet_switch_ports, ptnet_switch_fdb_entries, ptnet_switch_fdb_capacity
 *   ptnet_worker_{busy,poll,sleep}_seconds_total, _wakeups_total, _kicks_total,
 *   ptnet_worker_rings, ptnet_worker_local_rings, ptnet_worker_batch_slots (histogram)
 *   ptnet_build_info, ptnet_ports, ptnet_switches, ptnet_port_memory_bytes
 * The counter list comes from PTD_STATS_FIELDS, so a new counter appears here by itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/port.h"
#include "daemon/switch.h"
#include "daemon/worker.h"

struct mclient {
	struct ptd_ev ev;
	struct ptd_deferred gone;
	struct ptd_metrics *m;
	unsigned int slot;		/* in m->clients */
	uint64_t deadline_ns;
	size_t inlen;
	char in[PTD_METRICS_REQ_MAX + 1];
	char *out;			/* the reply, malloc'ed */
	size_t outlen, outoff;
	bool draining;			/* reply sent, waiting for the client's close */
};

struct ptd_metrics {
	struct ptd_ev ev_listen, ev_timer;
	struct ptd_metrics_addr addr;
	char path[108];			/* a UNIX socket we made, to remove */
	struct mclient *clients[PTD_METRICS_CLIENTS];
	unsigned int nclients;
	bool timer_on;
	bool paused;			/* at the client limit: not accepting */
	uint64_t last_sleep_ns[PTD_MAX_WORKERS];	/* keeps the sleep counters monotonic */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- addresses ---- */

int ptd_metrics_parse_addr(const char *addr, struct ptd_metrics_addr *out, struct ptd_err *e)
{
	static const char accepted[] = "a loopback address: 127.0.0.1:PORT, [::1]:PORT, "
				       "localhost:PORT, or an absolute UNIX socket path";
	char host[64];
	const char *colon, *port;
	uint32_t portnum;

	memset(out, 0, sizeof(*out));
	if (addr[0] == '/') {
		struct sockaddr_un *sun = (struct sockaddr_un *)&out->ss;

		if (strlen(addr) >= sizeof(sun->sun_path))
			return ptd_err(e, -EINVAL, "--metrics: socket path too long (at most %zu "
				       "bytes): %.64s", sizeof(sun->sun_path) - 1, addr);
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, addr);
		out->len = sizeof(*sun);
		return 0;
	}
	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');

		if (!end || end[1] != ':' || (size_t)(end - addr - 1) >= sizeof(host))
			return ptd_err(e, -EINVAL, "--metrics: '%.64s' is not %s", addr, accepted);
		memcpy(host, addr + 1, (size_t)(end - addr - 1));
		host[end - addr - 1] = '\0';
		port = end + 2;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || (size_t)(colon - addr) >= sizeof(host))
			return ptd_err(e, -EINVAL, "--metrics: '%.64s' is not %s", addr, accepted);
		memcpy(host, addr, (size_t)(colon - addr));
		host[colon - addr] = '\0';
		port = colon + 1;
	}
	if (ptc_parse_u32(port, 0, 65535, &portnum))
		return ptd_err(e, -EINVAL, "--metrics: bad port '%.16s' in '%.64s' (0-65535; 0: "
			       "any free port, logged)", port, addr);
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	{
		struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;

		if (addr[0] != '[' && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
			if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127)
				goto not_loopback;
			sin->sin_family = AF_INET;
			sin->sin_port = htons((uint16_t)portnum);
			out->len = sizeof(*sin);
			return 0;
		}
		if (addr[0] == '[' && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
			if (!IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
				goto not_loopback;
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons((uint16_t)portnum);
			out->len = sizeof(*sin6);
			return 0;
		}
	}
	return ptd_err(e, -EINVAL, "--metrics: '%.64s' is not %s", addr, accepted);
not_loopback:
	memset(out, 0, sizeof(*out));
	return ptd_err(e, -EINVAL, "--metrics: %.64s is not a loopback address: metrics are "
		       "served on loopback only (127.0.0.1, [::1], localhost) or on a UNIX socket",
		       host);
}

static void format_addr(const struct ptd_metrics_addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (a->ss.ss_family == AF_UNIX) {
		snprintf(buf, len, "%s", ((const struct sockaddr_un *)&a->ss)->sun_path);
	} else if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(sin6->sin6_port));
	}
}

/* ---- the page ---- */

struct mbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void __attribute__((format(printf, 2, 3))) put(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < b->cap - b->len)
			break;
		size_t cap = b->cap * 2 + (size_t)n + 1;
		char *np = realloc(b->p, cap);

		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	b->len += (size_t)n;
}

/* A label value: names are identifiers, but escape as the format says anyway. */
static const char *lv(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s && n + 3 < len; s++) {
		if (*s == '\\' || *s == '"')
			buf[n++] = '\\';
		if (*s == '\n') {
			buf[n++] = '\\';
			buf[n++] = 'n';
			continue;
		}
		buf[n++] = *s;
	}
	buf[n] = '\0';
	return buf;
}

static void family(struct mbuf *b, const char *name, const char *type, const char *help)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *counter_help(const char *f)
{
	static const struct {
		const char *name, *help;
	} h[] = {
		{ "tx_packets", "Frames taken from the port's TX rings, dropped ones included." },
		{ "tx_bytes", "Bytes of the frames taken from the port's TX rings." },
		{ "rx_packets", "Frames delivered into the port's RX rings." },
		{ "rx_bytes", "Bytes delivered into the port's RX rings." },
		{ "rx_segs", "Extra frames made by software segmentation." },
		{ "rx_bypass", "Frames of rx_packets handed to the port's host side directly." },
		{ "bad_tx_head", "Invalid TX head values written by the client." },
		{ "kicks", "Wakeups by the client (kick pipe readings)." },
		{ "irqs", "Notifications sent to the client." },
	};

	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		if (!strcmp(h[i].name, f))
			return h[i].help;
	return "A ptnetd counter (docs/protocol.md, Counters).";
}

/* Every counter, by name, in record order. */
static const char *const stat_names[] = {
#define X(f) #f,
	PTD_STATS_FIELDS(X)
#undef X
};
#define NSTATS (sizeof(stat_names) / sizeof(stat_names[0]))

static void stats_values(const struct ptd_stats *st, uint64_t *v)
{
	unsigned int i = 0;

#define X(f) v[i++] = st->f;
	PTD_STATS_FIELDS(X)
#undef X
}

static bool is_drop(const char *f)
{
	return !strncmp(f, "drop_", 5);
}

struct pview {
	const struct ptd_port *p;
	uint64_t v[NSTATS];
};

struct sview {
	const struct ptd_switch *sw;
	uint64_t v[NSTATS];
	unsigned int fdb;
};

static void port_labels(struct mbuf *b, const struct pview *pv)
{
	char s[64], p[64], k[64];

	put(b, "switch=\"%s\",port=\"%s\",kind=\"%s\"", lv(pv->p->sw->name, s, sizeof(s)),
	    lv(pv->p->pname, p, sizeof(p)), lv(pv->p->ops->name, k, sizeof(k)));
}

static void render_counters(struct mbuf *b, const struct pview *pv, unsigned int np,
			    const struct sview *sv, unsigned int ns)
{
	char name[96], l[64];

	for (unsigned int f = 0; f < NSTATS; f++) {
		if (is_drop(stat_names[f]))
			continue;
		snprintf(name, sizeof(name), "ptnet_port_%s_total", stat_names[f]);
		family(b, name, "counter", counter_help(stat_names[f]));
		for (unsigned int i = 0; i < np; i++) {
			put(b, "%s{", name);
			port_labels(b, &pv[i]);
			put(b, "} %llu\n", (unsigned long long)pv[i].v[f]);
		}
	}
	family(b, "ptnet_port_drops_total", "counter",
	       "Frames dropped, by reason (drop_REASON in docs/protocol.md, Counters).");
	for (unsigned int f = 0; f < NSTATS; f++) {
		if (!is_drop(stat_names[f]))
			continue;
		for (unsigned int i = 0; i < np; i++) {
			put(b, "ptnet_port_drops_total{");
			port_labels(b, &pv[i]);
			put(b, ",reason=\"%s\"} %llu\n", stat_names[f] + 5,
			    (unsigned long long)pv[i].v[f]);
		}
	}
	for (unsigned int f = 0; f < NSTATS; f++) {
		if (is_drop(stat_names[f]))
			continue;
		snprintf(name, sizeof(name), "ptnet_switch_%s_total", stat_names[f]);
		family(b, name, "counter", "Sum over the switch's ports, ports that left included.");
		for (unsigned int i = 0; i < ns; i++)
			put(b, "%s{switch=\"%s\"} %llu\n", name, lv(sv[i].sw->name, l, sizeof(l)),
			    (unsigned long long)sv[i].v[f]);
	}
	family(b, "ptnet_switch_drops_total", "counter",
	       "Frames dropped on the switch's ports, by reason, ports that left included.");
	for (unsigned int f = 0; f < NSTATS; f++) {
		if (!is_drop(stat_names[f]))
			continue;
		for (unsigned int i = 0; i < ns; i++)
			put(b, "ptnet_switch_drops_total{switch=\"%s\",reason=\"%s\"} %llu\n",
			    lv(sv[i].sw->name, l, sizeof(l)), stat_names[f] + 5,
			    (unsigned long long)sv[i].v[f]);
	}
	family(b, "ptnet_switch_ports", "gauge", "Ports on the switch now.");
	for (unsigned int i = 0; i < ns; i++)
		put(b, "ptnet_switch_ports{switch=\"%s\"} %u\n", lv(sv[i].sw->name, l, sizeof(l)),
		    sv[i].sw->nports);
	family(b, "ptnet_switch_fdb_entries", "gauge",
	       "MAC table entries in force (learned, not aged out).");
	for (unsigned int i = 0; i < ns; i++)
		put(b, "ptnet_switch_fdb_entries{switch=\"%s\"} %u\n",
		    lv(sv[i].sw->name, l, sizeof(l)), sv[i].fdb);
	family(b, "ptnet_switch_fdb_capacity", "gauge", "MAC table size (entries).");
	for (unsigned int i = 0; i < ns; i++)
		put(b, "ptnet_switch_fdb_capacity{switch=\"%s\"} %u\n",
		    lv(sv[i].sw->name, l, sizeof(l)), sv[i].sw->mac_sets * PTD_MAC_WAYS);
}

static void put_seconds(struct mbuf *b, const char *name, unsigned int id, uint64_t ns)
{
	put(b, "%s{worker=\"%u\"} %llu.%09llu\n", name, id, (unsigned long long)(ns / 1000000000),
	    (unsigned long long)(ns % 1000000000));
}

static void render_workers(struct ptd *d, struct ptd_metrics *m, struct mbuf *b)
{
	uint64_t now = mono_ns();
	unsigned int nw = d->nworkers;

	family(b, "ptnet_worker_busy_seconds_total", "counter",
	       "Time a forwarding worker spent in rounds that forwarded frames.");
	for (unsigned int i = 0; i < nw; i++)
		put_seconds(b, "ptnet_worker_busy_seconds_total", i,
			    PTNET_READ_ONCE(d->workers[i].ws.busy_ns));
	family(b, "ptnet_worker_poll_seconds_total", "counter",
	       "Time a forwarding worker spent polling its active rings and finding nothing.");
	for (unsigned int i = 0; i < nw; i++)
		put_seconds(b, "ptnet_worker_poll_seconds_total", i,
			    PTNET_READ_ONCE(d->workers[i].ws.poll_ns));
	family(b, "ptnet_worker_sleep_seconds_total", "counter",
	       "Time a forwarding worker spent asleep, waiting for a kick.");
	for (unsigned int i = 0; i < nw; i++) {
		const struct ptd_worker_stats *ws = &d->workers[i].ws;
		uint64_t s = PTNET_READ_ONCE(ws->sleep_ns), since = PTNET_READ_ONCE(ws->asleep_since);

		/*
		 * The sleep in progress counts too.  The two words are not read
		 * together: just as the worker wakes, this may count a few
		 * microseconds of it twice; never report less than before.
		 */
		if (since && now > since)
			s += now - since;
		if (i < PTD_MAX_WORKERS) {
			if (s < m->last_sleep_ns[i])
				s = m->last_sleep_ns[i];
			m->last_sleep_ns[i] = s;
		}
		put_seconds(b, "ptnet_worker_sleep_seconds_total", i, s);
	}
	family(b, "ptnet_worker_wakeups_total", "counter",
	       "Times a forwarding worker woke up from sleep (a kick or a command).");
	for (unsigned int i = 0; i < nw; i++)
		put(b, "ptnet_worker_wakeups_total{worker=\"%u\"} %llu\n", i,
		    (unsigned long long)PTNET_READ_ONCE(d->workers[i].ws.wakeups));
	family(b, "ptnet_worker_kicks_total", "counter",
	       "Kick events a forwarding worker took from its rings.");
	for (unsigned int i = 0; i < nw; i++)
		put(b, "ptnet_worker_kicks_total{worker=\"%u\"} %llu\n", i,
		    (unsigned long long)PTNET_READ_ONCE(d->workers[i].ws.kicks));
	family(b, "ptnet_worker_cpu", "gauge",
	       "The CPU a forwarding worker is pinned to (--pin-workers), -1 if none.");
	for (unsigned int i = 0; i < nw; i++)
		put(b, "ptnet_worker_cpu{worker=\"%u\"} %d\n", i, d->workers[i].cpu);
	family(b, "ptnet_worker_rings", "gauge", "TX rings a forwarding worker serves.");
	for (unsigned int i = 0; i < nw; i++)
		put(b, "ptnet_worker_rings{worker=\"%u\"} %u\n", i, d->workers[i].ntxq);
	family(b, "ptnet_worker_local_rings", "gauge",
	       "Of those, rings whose client is pinned to the worker's CPU (--pin-workers).");
	for (unsigned int i = 0; i < nw; i++)
		put(b, "ptnet_worker_local_rings{worker=\"%u\"} %u\n", i, d->workers[i].nlocal);
	family(b, "ptnet_worker_batch_slots", "histogram",
	       "Slots forwarded per batch (one pass over one TX ring).");
	for (unsigned int i = 0; i < nw; i++) {
		const struct ptd_worker_stats *ws = &d->workers[i].ws;
		uint64_t cum = 0;

		for (unsigned int k = 0; k < PTD_BATCH_BUCKETS; k++) {
			cum += PTNET_READ_ONCE(ws->batches[k]);
			if (k < PTD_BATCH_BUCKETS - 1)
				put(b, "ptnet_worker_batch_slots_bucket{worker=\"%u\",le=\"%u\"} %llu\n",
				    i, 1u << k, (unsigned long long)cum);
			else
				put(b, "ptnet_worker_batch_slots_bucket{worker=\"%u\",le=\"+Inf\"} "
				    "%llu\n", i, (unsigned long long)cum);
		}
		put(b, "ptnet_worker_batch_slots_sum{worker=\"%u\"} %llu\n", i,
		    (unsigned long long)PTNET_READ_ONCE(ws->batch_slots));
		put(b, "ptnet_worker_batch_slots_count{worker=\"%u\"} %llu\n", i,
		    (unsigned long long)cum);
	}
}

char *ptd_metrics_render(struct ptd *d, size_t *len)
{
	struct mbuf b = { .cap = 16384 };
	struct pview *pv = calloc(d->nports + 1, sizeof(*pv));
	struct sview *sv = calloc(d->nsw + 1, sizeof(*sv));
	unsigned int np = 0;
	uint32_t now_s = ptd_now_s();

	b.p = malloc(b.cap);
	if (!b.p || !pv || !sv) {
		free(b.p);
		free(pv);
		free(sv);
		return NULL;
	}
	b.p[0] = '\0';
	for (unsigned int i = 0; i < d->nsw; i++) {
		struct ptd_switch *sw = d->sw[i];
		struct ptd_stats tot = sw->gone;

		for (unsigned int k = 0; k < sw->nports && np < d->nports; k++) {
			struct ptd_port *p = sw->ports[sw->active[k]];
			struct ptd_stats st;

			ptd_port_stats(p, &st);
			ptd_stats_accum(&tot, &st);
			pv[np].p = p;
			stats_values(&st, pv[np].v);
			np++;
		}
		sv[i].sw = sw;
		stats_values(&tot, sv[i].v);
		pthread_rwlock_rdlock(&sw->lock);
		sv[i].fdb = sw->ops->dump(sw, now_s, NULL, NULL);
		pthread_rwlock_unlock(&sw->lock);
	}
	family(&b, "ptnet_build_info", "gauge", "ptnetd's release and ABI; always 1.");
	put(&b, "ptnet_build_info{version=\"%s\",abi=\"%u\"} 1\n", PTNET_VERSION, PTNET_ABI_VERSION);
	family(&b, "ptnet_switches", "gauge", "Switches now.");
	put(&b, "ptnet_switches %u\n", d->nsw);
	family(&b, "ptnet_ports", "gauge", "Ports on all switches now.");
	put(&b, "ptnet_ports %u\n", d->nports);
	family(&b, "ptnet_port_memory_bytes", "gauge", "Memory of all port regions.");
	put(&b, "ptnet_port_memory_bytes %llu\n", (unsigned long long)d->mem);
	family(&b, "ptnet_ctl_unread_drops_total", "counter",
	       "Control clients dropped for letting their replies pile up unread.");
	put(&b, "ptnet_ctl_unread_drops_total %llu\n", (unsigned long long)d->ctl_unread_drops);
	render_counters(&b, pv, np, sv, d->nsw);
	if (d->metrics)
		render_workers(d, d->metrics, &b);
	free(pv);
	free(sv);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* ---- the server ---- */

static void timer_arm(struct ptd_metrics *m, bool on)
{
	struct itimerspec its = { 0 };

	if (m->timer_on == on)
		return;
	if (on)
		its.it_interval.tv_sec = its.it_value.tv_sec = 1;
	timerfd_settime(m->ev_timer.fd, 0, &its, NULL);
	m->timer_on = on;
}

/* Clients are freed after the current event batch: it may name them. */
static void client_close(struct ptd *d, struct mclient *c)
{
	struct ptd_metrics *m = c->m;
	int fd = c->ev.fd;

	ptd_ev_del(d, &c->ev);
	close(fd);
	free(c->out);
	c->out = NULL;
	m->clients[c->slot] = m->clients[--m->nclients];
	m->clients[c->slot]->slot = c->slot;
	if (!m->nclients)
		timer_arm(m, false);
	if (m->paused) {
		m->paused = false;
		ptd_ev_mod(d, &m->ev_listen, EPOLLIN);
	}
	ptd_defer_free(d, &c->gone, c);
}

static void reply(struct mclient *c, const char *version, const char *status, const char *extra,
		  const char *body, size_t blen, bool head)
{
	char hdr[512];
	int n = snprintf(hdr, sizeof(hdr), "%s %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "%sConnection: close\r\n\r\n", version, status,
			 body && !strncmp(status, "200", 3) ?
			 "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8",
			 blen, extra);

	if (head)
		blen = 0;
	c->out = malloc((size_t)n + blen);
	if (!c->out) {
		c->outlen = 0;
		return;
	}
	/* A whole request came: it may take the full time to be answered. */
	c->deadline_ns = mono_ns() + PTD_METRICS_TIMEOUT_S * 1000000000ull;
	memcpy(c->out, hdr, (size_t)n);
	if (blen)
		memcpy(c->out + n, body, blen);
	c->outlen = (size_t)n + blen;
	c->outoff = 0;
}

static void reply_text(struct mclient *c, const char *version, const char *status,
		       const char *extra, const char *text)
{
	reply(c, version, status, extra, text, strlen(text), false);
}

/* The request head is complete in c->in (NUL-terminated): make the reply. */
static void answer(struct ptd *d, struct mclient *c)
{
	char *sp1, *sp2, *eol, *target, *version = "HTTP/1.1";
	bool head;

	eol = strpbrk(c->in, "\r\n");
	*eol = '\0';
	sp1 = strchr(c->in, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strchr(sp2 + 1, ' ')) {
		reply_text(c, version, "400 Bad Request", "", "bad request line\n");
		return;
	}
	*sp1 = *sp2 = '\0';
	target = sp1 + 1;
	if (!strcmp(sp2 + 1, "HTTP/1.0"))
		version = "HTTP/1.0";
	else if (strcmp(sp2 + 1, "HTTP/1.1")) {
		reply_text(c, version, "505 HTTP Version Not Supported", "",
			   "HTTP/1.0 and HTTP/1.1 only\n");
		return;
	}
	head = !strcmp(c->in, "HEAD");
	if (!head && strcmp(c->in, "GET")) {
		reply_text(c, version, "405 Method Not Allowed", "Allow: GET, HEAD\r\n",
			   "GET /metrics\n");
		return;
	}
	if (strncmp(target, "/metrics", 8) || (target[8] && target[8] != '?')) {
		reply_text(c, version, "404 Not Found", "", "ptnetd serves GET /metrics only\n");
		return;
	}
	size_t len;
	char *page = ptd_metrics_render(d, &len);

	if (!page) {
		reply_text(c, version, "503 Service Unavailable", "", "out of memory\n");
		return;
	}
	reply(c, version, "200 OK", "", page, len, head);
	free(page);
}

/* Send what the socket takes; at the end, shut down our side and wait for the client's. */
static void flush_out(struct ptd *d, struct mclient *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->ev.fd, c->out + c->outoff, c->outlen - c->outoff,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				ptd_ev_mod(d, &c->ev, EPOLLOUT);
				return;
			}
			client_close(d, c);
			return;
		}
		c->outoff += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->draining = true;
	shutdown(c->ev.fd, SHUT_WR);
	ptd_ev_mod(d, &c->ev, EPOLLIN | EPOLLRDHUP);
}

static void on_client(struct ptd *d, struct ptd_ev *ev, uint32_t events)
{
	struct mclient *c = ptd_container_of(ev, struct mclient, ev);

	if (c->out) {
		if (events & (EPOLLERR | EPOLLHUP)) {
			client_close(d, c);
			return;
		}
		flush_out(d, c);
		return;
	}
	if (c->draining) {
		char junk[4096];
		ssize_t n = recv(c->ev.fd, junk, sizeof(junk), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			client_close(d, c);
		return;
	}
	/* One bounded read per event: a client sending fast cannot keep us here. */
	ssize_t n = recv(c->ev.fd, c->in + c->inlen, PTD_METRICS_REQ_MAX - c->inlen, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(d, c);
		return;
	}
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	if (memchr(c->in, '\0', c->inlen)) {
		reply_text(c, "HTTP/1.1", "400 Bad Request", "", "NUL byte in the request\n");
	} else if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n")) {
		answer(d, c);
	} else if (c->inlen == PTD_METRICS_REQ_MAX) {
		reply_text(c, "HTTP/1.1", "431 Request Header Fields Too Large", "",
			   "request head too long\n");
	} else {
		return;		/* more to come */
	}
	if (!c->out) {		/* out of memory for the reply */
		client_close(d, c);
		return;
	}
	flush_out(d, c);
}

static void on_listen(struct ptd *d, struct ptd_ev *ev, uint32_t events)
{
	struct ptd_metrics *m = ptd_container_of(ev, struct ptd_metrics, ev_listen);

	(void)events;
	for (int round = 0; round < 64; round++) {
		struct mclient *c;
		int fd;

		/*
		 * Full: make room by dropping the oldest client that has not
		 * sent a whole request yet (a scraper sends its request at once:
		 * idle connections cannot keep it out); if every client is being
		 * answered, leave the rest in the backlog (client_close resumes).
		 */
		if (m->nclients == PTD_METRICS_CLIENTS) {
			struct mclient *idle = NULL;

			for (unsigned int i = 0; i < m->nclients; i++)
				if (!m->clients[i]->out &&
				    (!idle || m->clients[i]->deadline_ns < idle->deadline_ns))
					idle = m->clients[i];
			if (!idle) {
				ptd_ev_mod(d, &m->ev_listen, 0);
				m->paused = true;
				return;
			}
			client_close(d, idle);
		}
		fd = accept4(ev->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
			    errno == ENOBUFS) {
				/*
				 * Out of descriptors: a level-triggered listener would
				 * wake us forever.  Pause; the timer retries every second.
				 */
				LOG_RATELIMIT(1, "metrics: cannot accept: %s", strerror(errno));
				ptd_ev_mod(d, &m->ev_listen, 0);
				m->paused = true;
				timer_arm(m, true);
			} else if (errno != EAGAIN && errno != EINTR) {
				LOG_RATELIMIT(1, "metrics: accept: %s", strerror(errno));
			}
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c || ptd_ev_add(d, &c->ev, fd, EPOLLIN | EPOLLRDHUP, on_client)) {
			free(c);
			close(fd);
			continue;
		}
		c->m = m;
		/* The request head within PTD_METRICS_HEAD_S; the reply gets the rest. */
		c->deadline_ns = mono_ns() + PTD_METRICS_HEAD_S * 1000000000ull;
		c->slot = m->nclients;
		m->clients[m->nclients++] = c;
		timer_arm(m, true);
	}
}

/* Every second while clients exist: drop those past their deadline. */
static void on_timer(struct ptd *d, struct ptd_ev *ev, uint32_t events)
{
	struct ptd_metrics *m = ptd_container_of(ev, struct ptd_metrics, ev_timer);
	uint64_t n, now = mono_ns();

	(void)events;
	if (read(ev->fd, &n, sizeof(n)) < 0)
		return;
	for (unsigned int i = m->nclients; i-- > 0;)
		if (m->clients[i]->deadline_ns <= now)
			client_close(d, m->clients[i]);
	/* Paused for want of descriptors (not for clients): try again. */
	if (m->paused && m->nclients < PTD_METRICS_CLIENTS) {
		m->paused = false;
		ptd_ev_mod(d, &m->ev_listen, EPOLLIN);
	}
	if (!m->nclients && !m->paused)
		timer_arm(m, false);
}

/* A UNIX socket path: refuse a live one or a non-socket, replace a stale one. */
static int unix_prepare(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		LOG_ERR("--metrics: %s exists and is not a socket: not touching it", path);
		return -EEXIST;
	}
	strcpy(sa.sun_path, path);
	/* Non-blocking: a listener whose backlog is full never makes us wait. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN) {
		close(fd);
		LOG_ERR("--metrics: %s is in use by another process", path);
		return -EADDRINUSE;
	}
	close(fd);
	unlink(path);
	return 0;
}

int ptd_metrics_start(struct ptd *d)
{
	struct ptd_metrics *m;
	struct ptd_err e = { "" };
	char where[160];
	int fd = -1, tfd = -1, ret, one = 1;

	if (!d->cfg.metrics_addr)
		return 0;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->ev_listen.fd = m->ev_timer.fd = -1;
	ret = ptd_metrics_parse_addr(d->cfg.metrics_addr, &m->addr, &e);
	if (ret) {
		LOG_ERR("%s", e.msg);
		goto fail;
	}
	if (m->addr.ss.ss_family == AF_UNIX) {
		ret = unix_prepare(((struct sockaddr_un *)&m->addr.ss)->sun_path);
		if (ret)
			goto fail;
	}
	fd = socket(m->addr.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		goto fail_log;
	}
	if (m->addr.ss.ss_family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (m->addr.ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	{
		/* A UNIX socket is born 0600: no window with the umask's mode. */
		mode_t um = m->addr.ss.ss_family == AF_UNIX ? umask(0177) : 0;

		ret = bind(fd, (struct sockaddr *)&m->addr.ss, m->addr.len) < 0 ? -errno : 0;
		if (m->addr.ss.ss_family == AF_UNIX)
			umask(um);
		if (ret)
			goto fail_log;
	}
	if (m->addr.ss.ss_family == AF_UNIX) {
		snprintf(m->path, sizeof(m->path), "%s",
			 ((struct sockaddr_un *)&m->addr.ss)->sun_path);
		chmod(m->path, 0600);
	} else {
		m->addr.len = sizeof(m->addr.ss);
		getsockname(fd, (struct sockaddr *)&m->addr.ss, &m->addr.len);	/* port 0 */
	}
	if (listen(fd, 16) < 0) {
		ret = -errno;
		goto fail_log;
	}
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (tfd < 0) {
		ret = -errno;
		goto fail_log;
	}
	ret = ptd_ev_add(d, &m->ev_listen, fd, EPOLLIN, on_listen);
	if (ret)
		goto fail_log;
	ret = ptd_ev_add(d, &m->ev_timer, tfd, EPOLLIN, on_timer);
	if (ret) {
		ptd_ev_del(d, &m->ev_listen);
		goto fail_log;
	}
	d->metrics = m;
	format_addr(&m->addr, where, sizeof(where));
	if (m->path[0])
		LOG_INFO("metrics on unix:%s (GET /metrics)", where);
	else
		LOG_INFO("metrics on http://%s/metrics", where);
	return 0;
fail_log:
	LOG_ERR("--metrics %s: %s", d->cfg.metrics_addr, strerror(-ret));
	if (m->path[0])
		unlink(m->path);
fail:
	if (fd >= 0)
		close(fd);
	if (tfd >= 0)
		close(tfd);
	free(m);
	return ret;
}

void ptd_metrics_stop(struct ptd *d)
{
	struct ptd_metrics *m = d->metrics;
	int fd;

	if (!m)
		return;
	while (m->nclients)
		client_close(d, m->clients[0]);
	fd = m->ev_listen.fd;
	ptd_ev_del(d, &m->ev_listen);
	close(fd);
	fd = m->ev_timer.fd;
	ptd_ev_del(d, &m->ev_timer);
	close(fd);
	if (m->path[0])
		unlink(m->path);
	d->metrics = NULL;
	ptd_defer_run(d);
	free(m);
}
