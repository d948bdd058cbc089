// SPDX-License-Identifier: BSD-2-Clause
/*
 * conffile.c - the configuration file: read it (libinih), check all of it,
 * apply it through the control requests, reload it, save the running
 * configuration (see conffile.h and ptnetd.conf(5)).
 *
 * libinih calls us for each "key = value"; it does not report sections
 * without keys, so our line reader (which counts lines for the error
 * messages) also notes each "[section]" line as inih reads it.
 *
 * Each switch and port section is kept in a canonical form, the options of
 * its request with the defaults left out ("ifname=eth0 queues=2"); a running
 * port is put in the same form from its list record, and "unchanged" means
 * the two are equal.  `save` prints that form.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ini.h>
#include <systemd/sd-daemon.h>
#include "daemon/conffile.h"
#include "daemon/ctl.h"
#include "daemon/log.h"
#include "daemon/port.h"
#include "daemon/switch.h"

#define CONF_MAX_KEYS	24
#define CONF_MAX_SECS	(PTD_MAX_TOTAL_PORTS + PTD_MAX_SWITCHES + 1)

enum sec_kind { SEC_PTNETD, SEC_SWITCH, SEC_TAP, SEC_VM, SEC_VHOST, SEC_NKINDS };

static const char *const kind_name[SEC_NKINDS] = { "ptnetd", "switch", "tap", "vm", "vhost" };

/* The keys of each section: for switches and ports, the options of its request. */
static const char *const sw_keys[] = { "allow-uid", "allow-gid", "mac-table", NULL };
static const char *const tap_keys[] = { "netns", "ifname", "queues", "mtu", "mac", NULL };
static const char *const vm_keys[] = { "socket", "rings", "tx-rings", "rx-rings", "slots",
				       "tx-slots", "rx-slots", "buf-size", "mtu", "mac", NULL };
static const char *const vhost_keys[] = { "socket", "queues", "mac", "client", NULL };

struct conf_kv {
	char key[32];
	char val[160];
	int line;
};

struct conf_sec {
	enum sec_kind kind;
	char name[PTC_FULLNAME_MAX + 1];
	int line;
	unsigned int nkv;
	struct conf_kv kv[CONF_MAX_KEYS];
	char opts[1024];		/* canonical options, without mac= (nor mac-table=) */
	unsigned int mac_table;		/* [switch] mac-table, rounded; 0: not given */
	uint8_t mac[6];
	bool mac_set;
};

struct ptd_conf {
	char path[256];
	struct conf_sec *sec;
	unsigned int nsec;
	/* while reading */
	FILE *f;
	int line;
	struct conf_sec *cur;
	struct ptd_err *e;
	int err;			/* the first error */
};

/* The options of [ptnetd]: ptnetd's long options, with the same ranges. */
enum opt_type { O_STR, O_UINT, O_U32, O_MIB, O_MODE };

struct conf_opt {
	const char *key;
	enum opt_type type;
	uint32_t min, max;
	size_t off;
	bool live;			/* a reload applies it; others need a restart */
};

#define CFG(f) offsetof(struct ptd_config, f)
static const struct conf_opt opts[] = {
	{ "socket", O_STR, 0, 0, CFG(sock_path), false },
	{ "socket-mode", O_MODE, 0, 0777, CFG(sock_mode), false },
	{ "socket-owner", O_STR, 0, 0, CFG(sock_owner), false },
	{ "socket-group", O_STR, 0, 0, CFG(sock_group), false },
	{ "workers", O_UINT, 1, PTD_MAX_WORKERS / 2, CFG(nworkers), false },
	{ "pin-workers", O_UINT, 0, 1, CFG(pin_workers), false },
	{ "poll-min-us", O_U32, 0, 1000000, CFG(poll_min_us), false },
	{ "poll-max-us", O_U32, 0, 1000000, CFG(poll_max_us), false },
	{ "mac-age", O_UINT, 4, 900, CFG(mac_age_s), false },
	{ "mac-table", O_UINT, 1, PTD_MAC_MAX, CFG(mac_table), false },
	{ "max-switches", O_UINT, 1, PTD_MAX_SWITCHES, CFG(max_switches), true },
	{ "max-ports", O_UINT, 1, PTD_MAX_TOTAL_PORTS, CFG(max_ports), true },
	{ "max-ports-per-switch", O_UINT, 1, PTD_MAX_PORTS, CFG(max_ports_per_switch), true },
	{ "max-port-mem", O_MIB, 1, 1u << 24, CFG(max_port_mem), true },
	{ "max-mem", O_MIB, 1, 1u << 24, CFG(max_mem), true },
	{ "uid-max-ports", O_UINT, 0, PTD_MAX_TOTAL_PORTS, CFG(uid_max_ports), true },
	{ "uid-max-mem", O_MIB, 0, 1u << 24, CFG(uid_max_mem), true },
	{ NULL, O_STR, 0, 0, 0, false },
};
#undef CFG

static int conf_err(struct ptd_conf *cf, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Note the first error only (inih goes on reading). */
static int conf_err(struct ptd_conf *cf, int line, const char *fmt, ...)
{
	char msg[PTD_ERR_MAX];
	va_list ap;

	if (cf->err)
		return cf->err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cf->err = ptd_err(cf->e, -EINVAL, "%s:%d: %s", cf->path, line, msg);
	return cf->err;
}

static const char *const *sec_keys(enum sec_kind k)
{
	return k == SEC_SWITCH ? sw_keys : k == SEC_TAP ? tap_keys : k == SEC_VM ? vm_keys :
	       k == SEC_VHOST ? vhost_keys : NULL;
}

static bool is_port(const struct conf_sec *s)
{
	return s->kind == SEC_TAP || s->kind == SEC_VM || s->kind == SEC_VHOST;
}

/* Sections whose ports serve a socket (no two may share one). */
static bool has_socket(enum sec_kind k)
{
	return k == SEC_VM || k == SEC_VHOST;
}

static struct conf_sec *sec_find(struct ptd_conf *cf, bool port, const char *name)
{
	for (unsigned int i = 0; cf && i < cf->nsec; i++) {
		struct conf_sec *s = &cf->sec[i];

		if ((port ? is_port(s) : s->kind == SEC_SWITCH) && !strcmp(s->name, name))
			return s;
	}
	return NULL;
}

/* "[kind name]" at LINE: a new section. */
static void sec_new(struct ptd_conf *cf, const char *hdr, size_t len)
{
	char buf[128], *name, *sp;
	struct conf_sec *s, *prev;
	unsigned int k;

	cf->cur = NULL;
	if (len >= sizeof(buf)) {
		conf_err(cf, cf->line, "section name too long");
		return;
	}
	memcpy(buf, hdr, len);
	buf[len] = '\0';
	sp = strchr(buf, ' ');
	name = sp ? sp + 1 : buf + len;
	if (sp)
		*sp = '\0';
	for (k = 0; k < SEC_NKINDS; k++)
		if (!strcmp(buf, kind_name[k]))
			break;
	if (k == SEC_NKINDS) {
		conf_err(cf, cf->line, "unknown section [%s] (known: [ptnetd], [switch valeX], "
			 "[tap valeX:NAME], [vm valeX:NAME])", buf);
		return;
	}
	if ((k == SEC_PTNETD) != !*name || strchr(name, ' ') || strlen(name) > PTC_FULLNAME_MAX) {
		conf_err(cf, cf->line, k == SEC_PTNETD ? "[ptnetd] takes no name" :
			 "want [%s NAME] with one name", kind_name[k]);
		return;
	}
	prev = k == SEC_PTNETD ? NULL : sec_find(cf, k != SEC_SWITCH, name);
	for (unsigned int i = 0; k == SEC_PTNETD && i < cf->nsec; i++)
		if (cf->sec[i].kind == SEC_PTNETD)
			prev = &cf->sec[i];
	if (prev) {
		conf_err(cf, cf->line, "[%s%s%s] already defined at line %d", kind_name[k],
			 *name ? " " : "", name, prev->line);
		return;
	}
	if (cf->nsec == CONF_MAX_SECS) {
		conf_err(cf, cf->line, "too many sections (at most %d)", CONF_MAX_SECS);
		return;
	}
	if (!(cf->nsec & 63)) {
		s = realloc(cf->sec, (cf->nsec + 64) * sizeof(*s));
		if (!s) {
			conf_err(cf, cf->line, "out of memory");
			return;
		}
		cf->sec = s;
	}
	s = &cf->sec[cf->nsec++];
	memset(s, 0, sizeof(*s));
	s->kind = (enum sec_kind)k;
	s->line = cf->line;
	snprintf(s->name, sizeof(s->name), "%s", name);
	cf->cur = s;
}

/* inih's reader: one line, counted; section lines noted. */
static char *read_line(char *str, int num, void *stream)
{
	struct ptd_conf *cf = stream;
	size_t len;
	char *p, *end;

	if (!fgets(str, num, cf->f))
		return NULL;
	cf->line++;
	len = strlen(str);
	if (len == (size_t)num - 1 && str[len - 1] != '\n' && !feof(cf->f)) {
		int c;

		conf_err(cf, cf->line, "line longer than %d characters", num - 3);
		while ((c = fgetc(cf->f)) != EOF && c != '\n')
			;
	}
	p = str;
	if (cf->line == 1 && !strncmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	p += strspn(p, " \t");
	if (*p == '[' && (end = strchr(p, ']')))
		sec_new(cf, p + 1, (size_t)(end - p - 1));
	return str;
}

static bool printable_word(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s <= 0x20 || *s > 0x7e)
			return false;
	return true;
}

/* inih's handler: "key = value" of SECTION. */
static int on_kv(void *user, const char *section, const char *key, const char *value)
{
	struct ptd_conf *cf = user;
	struct conf_sec *s = cf->cur;
	const char *const *keys;
	struct conf_kv *kv;
	char list[256] = "";
	size_t n = 0;
	bool known = false;

	(void)section;
	if (cf->err)
		return 1;
	if (!s) {
		/* Before any section, or in one that was refused (already reported). */
		conf_err(cf, cf->line, "'%s' is outside a section (start with [ptnetd], [switch "
			 "valeX], [tap valeX:NAME] or [vm valeX:NAME])", key);
		return 1;
	}
	if (s->kind == SEC_PTNETD) {
		for (unsigned int i = 0; opts[i].key; i++) {
			known |= !strcmp(key, opts[i].key);
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? " " : "",
					      opts[i].key);
			n = n < sizeof(list) ? n : sizeof(list) - 1;
		}
	} else {
		keys = sec_keys(s->kind);
		for (unsigned int i = 0; keys[i]; i++) {
			known |= !strcmp(key, keys[i]);
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? " " : "",
					      keys[i]);
		}
	}
	if (!known) {
		conf_err(cf, cf->line, "unknown key '%.32s' in [%s%s%s] (known: %s)", key,
			 kind_name[s->kind], s->name[0] ? " " : "", s->name, list);
		return 1;
	}
	for (unsigned int i = 0; i < s->nkv; i++)
		if (!strcmp(s->kv[i].key, key)) {
			conf_err(cf, cf->line, "'%s' given twice (first at line %d)", key,
				 s->kv[i].line);
			return 1;
		}
	if (!printable_word(value) || strlen(value) >= sizeof(kv->val)) {
		conf_err(cf, cf->line, "%s: want one word of printable characters (no spaces, at "
			 "most %zu)", key, sizeof(kv->val) - 1);
		return 1;
	}
	kv = &s->kv[s->nkv++];		/* the key lists are shorter than kv[] */
	snprintf(kv->key, sizeof(kv->key), "%s", key);
	snprintf(kv->val, sizeof(kv->val), "%s", value);
	kv->line = cf->line;
	return 1;
}

static const struct conf_kv *kv_get(const struct conf_sec *s, const char *key)
{
	for (unsigned int i = 0; i < s->nkv; i++)
		if (!strcmp(s->kv[i].key, key))
			return &s->kv[i];
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* "1000,1001" -> sorted ids; count or -EINVAL (the rules of switch-add). */
static int parse_ids(const char *v, uint32_t ids[8])
{
	int n = ptc_parse_ids(v, ids, 8);

	if (n > 0)
		qsort(ids, (size_t)n, sizeof(ids[0]), cmp_u32);
	return n;
}

static size_t fmt_ids(char *buf, size_t len, const char *key, const uint32_t *ids, unsigned int n)
{
	size_t k = 0;

	for (unsigned int i = 0; i < n && k < len; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s%u", i ? "," : key, ids[i]);
	return k < len ? k : len - 1;
}

/* A switch's canonical options: "allow-uid=1,2 allow-gid=3" (ids sorted). */
static void fmt_switch(char *buf, size_t len, uint32_t *uid, unsigned int nu, uint32_t *gid,
		       unsigned int ng)
{
	size_t n;

	qsort(uid, nu, sizeof(*uid), cmp_u32);
	qsort(gid, ng, sizeof(*gid), cmp_u32);
	n = fmt_ids(buf, len, "allow-uid=", uid, nu);
	buf[n] = '\0';
	if (ng)
		fmt_ids(buf + n, len - n, n ? " allow-gid=" : "allow-gid=", gid, ng);
}

/* A tap port's canonical options (defaults left out). */
static void fmt_tap(char *buf, size_t len, const char *pname, const char *ifname,
		    const char *netns, unsigned int queues, unsigned int mtu)
{
	int n = 0;

	buf[0] = '\0';
	if (netns && *netns && strcmp(netns, "-"))
		n += snprintf(buf + n, len - (size_t)n, " netns=%s", netns);
	if (ifname && strcmp(ifname, pname))
		n += snprintf(buf + n, len - (size_t)n, " ifname=%s", ifname);
	if (queues != 1)
		n += snprintf(buf + n, len - (size_t)n, " queues=%u", queues);
	if (mtu != 1500)
		snprintf(buf + n, len - (size_t)n, " mtu=%u", mtu);
	memmove(buf, buf + (buf[0] == ' '), strlen(buf + (buf[0] == ' ')) + 1);
}

/* A vhost port's canonical options (defaults left out; socket first). */
static void fmt_vhost(char *buf, size_t len, const char *sock, unsigned int queues, bool client)
{
	int n = snprintf(buf, len, "socket=%s", sock);

	if (queues != 1)
		n += snprintf(buf + n, len - (size_t)n, " queues=%u", queues);
	if (client)
		snprintf(buf + n, len - (size_t)n, " client=1");
}

/* A vm port's canonical options (defaults left out; socket first). */
static void fmt_vm(char *buf, size_t len, const char *sock, unsigned int ntx, unsigned int nrx,
		   unsigned int txs, unsigned int rxs, unsigned int bufsz, unsigned int mtu)
{
	int n = snprintf(buf, len, "socket=%s", sock);

	if (ntx == nrx && ntx != 1)
		n += snprintf(buf + n, len - (size_t)n, " rings=%u", ntx);
	else if (ntx != nrx)
		n += snprintf(buf + n, len - (size_t)n, " tx-rings=%u rx-rings=%u", ntx, nrx);
	if (txs == rxs && txs != 1024)
		n += snprintf(buf + n, len - (size_t)n, " slots=%u", txs);
	else if (txs != rxs)
		n += snprintf(buf + n, len - (size_t)n, " tx-slots=%u rx-slots=%u", txs, rxs);
	if (bufsz != 2048)
		n += snprintf(buf + n, len - (size_t)n, " buf-size=%u", bufsz);
	if (mtu != 1500)
		snprintf(buf + n, len - (size_t)n, " mtu=%u", mtu);
}

static int check_ptnetd(struct ptd_conf *cf, struct conf_sec *s)
{
	for (unsigned int i = 0; i < s->nkv; i++) {
		const struct conf_kv *kv = &s->kv[i];
		const struct conf_opt *o = opts;
		uint32_t v;

		while (strcmp(o->key, kv->key))
			o++;
		if (o->type == O_MODE) {
			char *end;
			long m = strtol(kv->val, &end, 8);

			if (*end || m < 0 || m > 0777)
				return conf_err(cf, kv->line, "socket-mode wants an octal mode like "
						"0660");
		} else if (o->type != O_STR && ptc_parse_u32(kv->val, o->min, o->max, &v)) {
			return conf_err(cf, kv->line, "%s must be %u..%u%s", kv->key, o->min, o->max,
					o->type == O_MIB ? " (MiB)" : "");
		} else if (o->type == O_STR && !strcmp(o->key, "socket") && kv->val[0] != '/') {
			return conf_err(cf, kv->line, "socket wants an absolute path");
		}
	}
	return 0;
}

static int check_switch(struct ptd_conf *cf, struct conf_sec *s)
{
	const struct conf_kv *ku = kv_get(s, "allow-uid"), *kg = kv_get(s, "allow-gid");
	const struct conf_kv *km = kv_get(s, "mac-table");
	uint32_t uid[8], gid[8];
	int nu = 0, ng = 0;

	if (strncmp(s->name, "vale", 4) || !ptc_valid_ident(s->name, strlen(s->name)) ||
	    strlen(s->name) > PTC_NAME_MAX)
		return conf_err(cf, s->line, "bad switch name '%s' (vale followed by up to 11 "
				"letters, digits or _)", s->name);
	if (ku && (nu = parse_ids(ku->val, uid)) < 0)
		return conf_err(cf, ku->line, "allow-uid wants up to 8 numeric uids, comma "
				"separated");
	if (kg && (ng = parse_ids(kg->val, gid)) < 0)
		return conf_err(cf, kg->line, "allow-gid wants up to 8 numeric gids, comma "
				"separated");
	if (km && (ptc_parse_u32(km->val, 1, PTD_MAC_MAX, &s->mac_table) ||
		   !(s->mac_table = ptd_mac_round(s->mac_table))))
		return conf_err(cf, km->line, "mac-table wants 1..%u entries (rounded up to a "
				"power of two, at least %u)", PTD_MAC_MAX, PTD_MAC_MIN);
	fmt_switch(s->opts, sizeof(s->opts), uid, (unsigned int)nu, gid, (unsigned int)ng);
	return 0;
}

static int check_mac(struct ptd_conf *cf, struct conf_sec *s)
{
	const struct conf_kv *kv = kv_get(s, "mac");

	if (!kv)
		return 0;
	if (ptc_parse_mac(kv->val, s->mac) || (s->mac[0] & 1))
		return conf_err(cf, kv->line, "mac=%s: want a unicast aa:bb:cc:dd:ee:ff", kv->val);
	s->mac_set = true;
	return 0;
}

/* tap.c's rules for tap-add's options, checked before anything is done. */
static int check_tap(struct ptd_conf *cf, struct conf_sec *s, const struct ptc_portname *pn)
{
	const struct conf_kv *ns = kv_get(s, "netns"), *ifn = kv_get(s, "ifname"), *kv;
	uint32_t queues = 1, mtu = 1500;
	struct stat st;
	char path[128];

	if (ns && (strchr(ns->val, '/') || strlen(ns->val) > 60 || ns->val[0] == '.'))
		return conf_err(cf, ns->line, "bad netns name '%s'", ns->val);
	if (ns) {
		snprintf(path, sizeof(path), "/run/netns/%s", ns->val);
		if (stat(path, &st) < 0)
			return conf_err(cf, ns->line, "no network namespace '%s' (%s): create it "
					"with 'ip netns add %s'", ns->val, strerror(errno), ns->val);
	}
	if (ifn && (strlen(ifn->val) > PTC_NAME_MAX || strchr(ifn->val, ':') ||
		    strchr(ifn->val, '/')))
		return conf_err(cf, ifn->line, "bad interface name '%s' (1..15 characters, no "
				"'/' ':')", ifn->val);
	if ((kv = kv_get(s, "queues")) && ptc_parse_u32(kv->val, 1, PTNET_MAX_RINGS, &queues))
		return conf_err(cf, kv->line, "queues=%s: must be 1..%d", kv->val, PTNET_MAX_RINGS);
	if ((kv = kv_get(s, "mtu")) && ptc_parse_u32(kv->val, 68, 9000, &mtu))
		return conf_err(cf, kv->line, "mtu=%s: must be 68..9000", kv->val);
	fmt_tap(s->opts, sizeof(s->opts), pn->port, ifn ? ifn->val : NULL, ns ? ns->val : NULL,
		queues, mtu);
	return check_mac(cf, s);
}

/* vm.c's rules for vm-add's options (the shared port option parser). */
static int check_vm(struct ptd_conf *cf, struct conf_sec *s)
{
	const struct conf_kv *sock = kv_get(s, "socket");
	struct ptnet_port_opts o = { 0 };
	unsigned int given = 0;
	char err[PTD_ERR_MAX];

	if (!sock)
		return conf_err(cf, s->line, "[vm %s] needs socket = PATH", s->name);
	if (sock->val[0] != '/' || strlen(sock->val) >= 108)
		return conf_err(cf, sock->line, "socket=PATH must be an absolute path of at most "
				"107 bytes");
	for (unsigned int i = 0; i < s->nkv; i++) {
		const struct conf_kv *kv = &s->kv[i];

		if (kv != sock && ptc_opt_apply(&o, &given, kv->key, kv->val, err, sizeof(err)))
			return conf_err(cf, kv->line, "%s", err);
	}
	if (ptc_opts_finish(&o, err, sizeof(err)))
		return conf_err(cf, s->line, "%s", err);
	fmt_vm(s->opts, sizeof(s->opts), sock->val, o.tx_rings, o.rx_rings, o.tx_slots,
	       o.rx_slots, o.buf_size, o.mtu);
	return check_mac(cf, s);
}

/* vhost.c's rules for vhost-add's options. */
static int check_vhost(struct ptd_conf *cf, struct conf_sec *s)
{
	const struct conf_kv *sock = kv_get(s, "socket"), *kv;
	uint32_t queues = 1;
	bool client = false;

	if (!sock)
		return conf_err(cf, s->line, "[vhost %s] needs socket = PATH", s->name);
	if (sock->val[0] != '/' || strlen(sock->val) >= 108)
		return conf_err(cf, sock->line, "socket=PATH must be an absolute path of at most "
				"107 bytes");
	if ((kv = kv_get(s, "queues")) && ptc_parse_u32(kv->val, 1, PTNET_MAX_RINGS, &queues))
		return conf_err(cf, kv->line, "queues=%s: must be 1..%d", kv->val, PTNET_MAX_RINGS);
	if ((kv = kv_get(s, "client"))) {
		if (strcmp(kv->val, "0") && strcmp(kv->val, "1"))
			return conf_err(cf, kv->line, "client=%s: must be 0 or 1", kv->val);
		client = !strcmp(kv->val, "1");
	}
	fmt_vhost(s->opts, sizeof(s->opts), sock->val, queues, client);
	return check_mac(cf, s);
}

/* Every section, and what sections must not share (interfaces, sockets). */
static int check_all(struct ptd_conf *cf)
{
	for (unsigned int i = 0; i < cf->nsec && !cf->err; i++) {
		struct conf_sec *s = &cf->sec[i];
		struct ptc_portname pn;
		unsigned int given = 0;
		char err[PTD_ERR_MAX];

		if (s->kind == SEC_PTNETD) {
			check_ptnetd(cf, s);
			continue;
		}
		if (s->kind == SEC_SWITCH) {
			check_switch(cf, s);
			continue;
		}
		if (ptc_parse_portname(s->name, &pn, NULL, &given, err, sizeof(err))) {
			conf_err(cf, s->line, "%s", err);
			break;
		}
		if (s->kind == SEC_TAP)
			check_tap(cf, s, &pn);
		else if (s->kind == SEC_VHOST)
			check_vhost(cf, s);
		else
			check_vm(cf, s);
		for (unsigned int j = 0; j < i && !cf->err; j++) {
			const struct conf_sec *o = &cf->sec[j];
			const struct conf_kv *a, *b;

			if (has_socket(s->kind) && has_socket(o->kind)) {
				a = kv_get(s, "socket");
				b = kv_get(o, "socket");
				if (!strcmp(a->val, b->val))
					conf_err(cf, a->line, "socket %s is also [%s %s]'s (line %d)",
						 a->val, kind_name[o->kind], o->name, b->line);
				continue;
			}
			if (o->kind != s->kind || s->kind != SEC_TAP)
				continue;
			a = kv_get(s, "netns");
			b = kv_get(o, "netns");
			if ((!a) != (!b) || (a && strcmp(a->val, b->val)))
				continue;
			a = kv_get(s, "ifname");
			b = kv_get(o, "ifname");
			if (!strcmp(a ? a->val : strchr(s->name, ':') + 1,
				    b ? b->val : strchr(o->name, ':') + 1))
				conf_err(cf, s->line, "[tap %s] and [tap %s] (line %d) would make the "
					 "same interface", s->name, o->name, o->line);
		}
	}
	return cf->err;
}

void ptd_conf_free(struct ptd_conf *cf)
{
	if (!cf)
		return;
	free(cf->sec);
	free(cf);
}

int ptd_conf_load(const char *path, struct ptd_conf **out, struct ptd_err *e)
{
	struct ptd_conf *cf = calloc(1, sizeof(*cf));
	int ret;

	*out = NULL;
	if (!cf)
		return ptd_err(e, -ENOMEM, "out of memory");
	snprintf(cf->path, sizeof(cf->path), "%s", path);
	cf->e = e;
	cf->f = fopen(path, "re");
	if (!cf->f) {
		ret = ptd_err(e, -errno, "cannot read %s: %s", path, strerror(errno));
		free(cf);
		return ret;
	}
	/* Our syntax: one line per key, comments on lines of their own or after ';'. */
	ini_allow_multiline = false;
	ret = ini_parse_stream(read_line, cf, on_kv, cf);
	fclose(cf->f);
	cf->f = NULL;
	if (ret > 0 && !cf->err)
		conf_err(cf, ret, "syntax error (want [section] or key = value)");
	else if (ret < 0 && !cf->err)
		ptd_err(e, cf->err = -ENOMEM, "%s: out of memory", path);
	if (!cf->err)
		check_all(cf);
	if (cf->err) {
		ret = cf->err;
		ptd_conf_free(cf);
		return ret;
	}
	cf->e = NULL;
	*out = cf;
	return 0;
}

void ptd_conf_options(const struct ptd_conf *cf, struct ptd_config *cfg)
{
	for (unsigned int i = 0; i < cf->nsec; i++) {
		const struct conf_sec *s = &cf->sec[i];

		for (unsigned int k = 0; s->kind == SEC_PTNETD && k < s->nkv; k++) {
			const struct conf_opt *o = opts;
			char *f;
			uint32_t v = 0;

			while (strcmp(o->key, s->kv[k].key))
				o++;
			f = (char *)cfg + o->off;
			if (o->type == O_STR) {
				*(const char **)(void *)f = s->kv[k].val;
				continue;
			}
			if (o->type == O_MODE) {
				*(int *)(void *)f = (int)strtol(s->kv[k].val, NULL, 8);
				continue;
			}
			ptc_parse_u32(s->kv[k].val, o->min, o->max, &v);	/* checked */
			if (o->type == O_MIB)
				*(uint64_t *)(void *)f = (uint64_t)v << 20;
			else if (o->type == O_U32)
				*(uint32_t *)(void *)f = v;
			else
				*(unsigned int *)(void *)f = v;
		}
	}
}

/* An option's value in CFG, as the file writes it. */
static void opt_format(const struct conf_opt *o, const struct ptd_config *cfg, char *buf,
		       size_t len)
{
	const char *f = (const char *)cfg + o->off;

	switch (o->type) {
	case O_STR: {
		const char *s = *(const char *const *)(const void *)f;

		snprintf(buf, len, "%s", s ? s : "");
		break;
	}
	case O_MODE: {
		int m = *(const int *)(const void *)f;

		snprintf(buf, len, "%04o", m >= 0 ? m : 0660);
		break;
	}
	case O_MIB:
		snprintf(buf, len, "%llu",
			 (unsigned long long)(*(const uint64_t *)(const void *)f >> 20));
		break;
	case O_U32:
		snprintf(buf, len, "%u", *(const uint32_t *)(const void *)f);
		break;
	case O_UINT:
		snprintf(buf, len, "%u", *(const unsigned int *)(const void *)f);
		break;
	}
}

/* ---- the running configuration, in the file's terms ---- */

/* Value of KEY in a describe() text (" ifname=eth0 netns=-"). */
static void describe_get(const char *desc, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);

	out[0] = '\0';
	for (const char *p = desc; (p = strstr(p, key)); p += kl) {
		if ((p == desc || p[-1] == ' ') && p[kl] == '=') {
			snprintf(out, len, "%.*s", (int)strcspn(p + kl + 1, " "), p + kl + 1);
			return;
		}
	}
}

/* A running tap, vm or vhost port in canonical form; false for the other kinds. */
static bool port_conf(const struct ptd_port *p, enum sec_kind *kind, char *buf, size_t len)
{
	char desc[512], a[128], b[128];

	p->ops->describe(p, desc, sizeof(desc));
	if (!strcmp(p->ops->name, "tap")) {
		describe_get(desc, "ifname", a, sizeof(a));
		describe_get(desc, "netns", b, sizeof(b));
		fmt_tap(buf, len, p->pname, a, b, p->ntx, p->mtu);
		*kind = SEC_TAP;
		return true;
	}
	if (!strcmp(p->ops->name, "vm")) {
		describe_get(desc, "socket", a, sizeof(a));
		fmt_vm(buf, len, a, p->ntx, p->nrx, p->txq[0].nslots, p->rxq[0].nslots,
		       p->buf_size, p->mtu);
		*kind = SEC_VM;
		return true;
	}
	if (!strcmp(p->ops->name, "vhost")) {
		describe_get(desc, "socket", a, sizeof(a));
		describe_get(desc, "mode", b, sizeof(b));
		fmt_vhost(buf, len, a, p->ntx, !strcmp(b, "client"));
		*kind = SEC_VHOST;
		return true;
	}
	return false;
}

static void switch_conf(const struct ptd_switch *sw, char *buf, size_t len)
{
	uint32_t uid[8], gid[8];

	for (unsigned int i = 0; i < sw->nuid; i++)
		uid[i] = (uint32_t)sw->allow_uid[i];
	for (unsigned int i = 0; i < sw->ngid; i++)
		gid[i] = (uint32_t)sw->allow_gid[i];
	fmt_switch(buf, len, uid, sw->acl ? sw->nuid : 0, gid, sw->acl ? sw->ngid : 0);
}

/* Its access lists and, when it is not --mac-table's, its MAC table size (save, undo). */
static void switch_conf_all(const struct ptd *d, const struct ptd_switch *sw, char *buf,
			    size_t len)
{
	unsigned int n = sw->mac_sets * PTD_MAC_WAYS;
	size_t k;

	switch_conf(sw, buf, len);
	k = strlen(buf);
	if (n != ptd_switch_mac_default(d))
		snprintf(buf + k, len - k, "%smac-table=%u", k ? " " : "", n);
}

/* The request that makes a running port again as it is ("tap-add NAME ... mac=M"). */
static bool port_add_line(const struct ptd_port *p, char *buf, size_t len)
{
	enum sec_kind k;
	char o[1024], mac[18];

	if (!port_conf(p, &k, o, sizeof(o)))
		return false;
	ptc_format_mac(p->mac, mac);
	snprintf(buf, len, "%s-add %s%s%s mac=%s", kind_name[k], p->name, o[0] ? " " : "", o,
		 mac);
	return true;
}

/* ---- applying ---- */

/* Run one control request as root would, through the request table. */
static int run(struct ptd *d, const char *line, struct ptd_err *e)
{
	struct ptd_conn c = { .fd = -1, .closed = true, .pid = getpid() };
	const struct ptd_request *req;
	struct ptd_reply *r;
	struct ptc_tokens t;
	char buf[PTC_MAX_MSG];
	int ret;

	snprintf(buf, sizeof(buf), "%s", line);
	if (ptc_split(buf, &t) < 1 || !(req = ptd_ctl_find_request(t.tok[0])))
		return ptd_err(e, -EINVAL, "bad request '%.64s'", line);
	r = calloc(1, sizeof(*r));
	if (!r)
		return ptd_err(e, -ENOMEM, "out of memory");
	LOG_DEBUG("config: %s", line);
	ret = req->handler(d, &c, &t, r, e);
	for (unsigned int i = r->give_from; i < r->nfds; i++)
		close(r->fds[i]);
	free(r);
	return ret;
}

/* What an apply did, to undo it if a later step fails. */
struct undo {
	enum { U_REQ, U_SWITCH } type;
	char line[PTC_MAX_MSG];		/* U_REQ: the request that undoes it */
	char name[PTC_NAME_MAX + 1];	/* U_SWITCH: its settings before */
	bool persistent, acl;
	unsigned int nuid, ngid, mac_table;
	uid_t uid[8];
	gid_t gid[8];
};

struct apply {
	struct ptd *d;
	const struct ptd_config *was;	/* the limits in force before (reload), or NULL */
	struct undo *u;
	unsigned int nu, cap;
	unsigned int added, removed, changed, unchanged;
	bool oom;
};

static struct undo *undo_push(struct apply *a)
{
	if (a->nu == a->cap) {
		unsigned int cap = a->cap ? 2 * a->cap : 16;
		struct undo *u = realloc(a->u, cap * sizeof(*u));

		if (!u) {
			a->oom = true;
			return NULL;
		}
		a->u = u;
		a->cap = cap;
	}
	memset(&a->u[a->nu], 0, sizeof(a->u[0]));
	return &a->u[a->nu++];
}

/* Run LINE; on success remember UNDO (a request line) for a rollback. */
static int step(struct apply *a, const char *line, const char *undo, struct ptd_err *e)
{
	struct undo *u = undo_push(a);
	int ret;

	if (!u)
		return ptd_err(e, -ENOMEM, "out of memory");
	ret = run(a->d, line, e);
	if (ret) {
		a->nu--;
		return ret;
	}
	u->type = U_REQ;
	snprintf(u->line, sizeof(u->line), "%s", undo);
	return 0;
}

static void rollback(struct apply *a)
{
	/* Undo under the limits that were in force when it was done. */
	if (a->was)
		a->d->cfg = *a->was;
	while (a->nu) {
		struct undo *u = &a->u[--a->nu];
		struct ptd_err e = { "" };
		struct ptd_switch *sw;

		if (u->type == U_REQ) {
			if (run(a->d, u->line, &e))
				LOG_WARN("config: cannot undo with '%s': %s", u->line, e.msg);
			continue;
		}
		sw = ptd_switch_find(a->d, u->name);
		if (!sw)
			continue;
		sw->persistent = u->persistent;
		if (ptd_switch_mac_resize(a->d, sw, u->mac_table, &e))
			LOG_WARN("config: cannot undo the MAC table size of %s: %s", sw->name, e.msg);
		sw->acl = u->acl;
		sw->nuid = u->nuid;
		sw->ngid = u->ngid;
		memcpy(sw->allow_uid, u->uid, sizeof(u->uid));
		memcpy(sw->allow_gid, u->gid, sizeof(u->gid));
	}
}

/* Set switch SW's persistence and access lists in place (its ports stay). */
static int switch_set(struct apply *a, struct ptd_switch *sw, bool persistent,
		      const struct conf_sec *s, struct ptd_err *e)
{
	struct undo *u = undo_push(a);
	uint32_t uid[8], gid[8];
	const struct conf_kv *kv;
	int nu = 0, ng = 0, ret;

	if (!u)
		return ptd_err(e, -ENOMEM, "out of memory");
	u->type = U_SWITCH;
	snprintf(u->name, sizeof(u->name), "%s", sw->name);
	u->persistent = sw->persistent;
	u->mac_table = sw->mac_sets * PTD_MAC_WAYS;
	u->acl = sw->acl;
	u->nuid = sw->nuid;
	u->ngid = sw->ngid;
	memcpy(u->uid, sw->allow_uid, sizeof(u->uid));
	memcpy(u->gid, sw->allow_gid, sizeof(u->gid));
	sw->persistent = persistent;
	if (!s)
		return 0;
	ret = ptd_switch_mac_resize(a->d, sw, s->mac_table ? s->mac_table :
				    ptd_switch_mac_default(a->d), e);
	if (ret)
		return ret;
	if ((kv = kv_get(s, "allow-uid")))
		nu = parse_ids(kv->val, uid);
	if ((kv = kv_get(s, "allow-gid")))
		ng = parse_ids(kv->val, gid);
	sw->acl = nu || ng;
	sw->nuid = (unsigned int)nu;
	sw->ngid = (unsigned int)ng;
	for (int i = 0; i < nu; i++)
		sw->allow_uid[i] = uid[i];
	for (int i = 0; i < ng; i++)
		sw->allow_gid[i] = gid[i];
	LOG_INFO("switch %s: %s%s", sw->name, persistent ? "persistent" : "no longer persistent",
		 sw->acl ? ", access lists set" : "");
	return 0;
}

static void sec_add_line(const struct conf_sec *s, char *buf, size_t len)
{
	char mac[18];

	ptc_format_mac(s->mac, mac);
	snprintf(buf, len, "%s-add %s%s%s%s%s", kind_name[s->kind], s->name, s->opts[0] ? " " : "",
		 s->opts, s->mac_set ? " mac=" : "", s->mac_set ? mac : "");
}

/* One port section: add it, leave it, or re-create it. */
static int apply_port(struct apply *a, const struct conf_sec *s, struct ptd_err *e)
{
	struct ptd_port *p = ptd_port_find(a->d, s->name);
	char line[PTC_MAX_MSG], old[PTC_MAX_MSG], del[64], o[1024];
	bool recreate = false;
	enum sec_kind k;
	int ret;

	sec_add_line(s, line, sizeof(line));
	snprintf(del, sizeof(del), "%s-del %s", kind_name[s->kind], s->name);
	if (p && port_conf(p, &k, o, sizeof(o))) {
		if (k == s->kind && !strcmp(o, s->opts) &&
		    (!s->mac_set || !memcmp(s->mac, p->mac, 6))) {
			a->unchanged++;
			return 0;
		}
		/* (A port of another kind, a client's, makes the add below fail: EBUSY.) */
		port_add_line(p, old, sizeof(old));
		if (!s->mac_set) {	/* it keeps its address */
			char mac[18];

			ptc_format_mac(p->mac, mac);
			snprintf(line + strlen(line), sizeof(line) - strlen(line), " mac=%s", mac);
		}
		LOG_INFO("config: %s changed: re-creating it", s->name);
		snprintf(o, sizeof(o), "%s-del %s", kind_name[k], s->name);
		ret = step(a, o, old, e);	/* P is gone */
		if (ret)
			return ret;
		recreate = true;
	}
	ret = step(a, line, del, e);
	if (!ret && recreate)
		a->changed++;
	else if (!ret)
		a->added++;
	return ret;
}

static int sec_fail(const struct ptd_conf *cf, const struct conf_sec *s, int ret,
		    struct ptd_err *e)
{
	char msg[PTD_ERR_MAX];

	snprintf(msg, sizeof(msg), "%s", e->msg[0] ? e->msg : strerror(-ret));
	return ptd_err(e, ret, "%s:%d: [%s %s]: %s", cf->path, s->line, kind_name[s->kind], s->name,
		       msg);
}

int ptd_conf_apply(struct ptd *d, struct ptd_conf *cf, const struct ptd_config *was, char *sum,
		   size_t len, struct ptd_err *e)
{
	struct ptd_conf *old = d->conf ? d->conf->applied : NULL;
	struct apply a = { .d = d, .was = was };
	const struct conf_sec *s = NULL;
	struct ptd_switch *sw;
	char line[PTC_MAX_MSG], buf[1024];
	int ret = 0;

	/* 1. Ports the file made and no longer names. */
	for (unsigned int i = 0; old && i < old->nsec && !ret; i++) {
		struct ptd_port *p;
		enum sec_kind k;

		s = &old->sec[i];
		if (!is_port(s) || sec_find(cf, true, s->name))
			continue;
		p = ptd_port_find(d, s->name);
		if (!p || !port_conf(p, &k, buf, sizeof(buf)) || k != s->kind)
			continue;
		port_add_line(p, buf, sizeof(buf));
		snprintf(line, sizeof(line), "%s-del %s", kind_name[k], s->name);
		ret = step(&a, line, buf, e);
		a.removed += !ret;
	}
	/* 2. Switches: made, or set in place. */
	for (unsigned int i = 0; i < cf->nsec && !ret; i++) {
		s = &cf->sec[i];
		if (s->kind != SEC_SWITCH)
			continue;
		sw = ptd_switch_find(d, s->name);
		if (!sw) {
			int k = snprintf(line, sizeof(line), "switch-add %s %s", s->name, s->opts);

			if (s->mac_table)
				snprintf(line + k, sizeof(line) - (size_t)k, " mac-table=%u",
					 s->mac_table);
			snprintf(buf, sizeof(buf), "switch-del %s", s->name);
			ret = step(&a, line, buf, e);
			a.added += !ret;
			continue;
		}
		switch_conf(sw, buf, sizeof(buf));
		if (sw->persistent && !strcmp(buf, s->opts) &&
		    sw->mac_sets * PTD_MAC_WAYS ==
			    (s->mac_table ? s->mac_table : ptd_switch_mac_default(d))) {
			a.unchanged++;
			continue;
		}
		ret = switch_set(&a, sw, true, s, e);
		a.changed += !ret;
	}
	/* 3. Ports: added, left alone, or re-created. */
	for (unsigned int i = 0; i < cf->nsec && !ret; i++) {
		s = &cf->sec[i];
		if (is_port(s))
			ret = apply_port(&a, s, e);
	}
	/* 4. Switches the file made and no longer names. */
	for (unsigned int i = 0; old && i < old->nsec && !ret; i++) {
		s = &old->sec[i];
		if (s->kind != SEC_SWITCH || sec_find(cf, false, s->name))
			continue;
		sw = ptd_switch_find(d, s->name);
		if (!sw || !sw->persistent)
			continue;
		if (sw->nports) {
			/* Its ports are not the file's: it goes with the last of them. */
			ret = switch_set(&a, sw, false, NULL, e);
		} else {
			char undo[PTC_MAX_MSG];

			switch_conf_all(d, sw, buf, sizeof(buf));
			snprintf(line, sizeof(line), "switch-del %s", s->name);
			snprintf(undo, sizeof(undo), "switch-add %s %s", s->name, buf);
			ret = step(&a, line, undo, e);
		}
		a.removed += !ret;
	}
	if (!ret && a.oom)
		ret = ptd_err(e, -ENOMEM, "out of memory");
	if (ret) {
		/* s is the section whose request failed (of the old file in steps 1 and 4). */
		if (s)
			sec_fail(old && s >= old->sec && s < old->sec + old->nsec ? old : cf, s, ret,
				 e);
		rollback(&a);
		free(a.u);
		return ret;
	}
	free(a.u);
	snprintf(sum, len, "added=%u removed=%u changed=%u unchanged=%u", a.added, a.removed,
		 a.changed, a.unchanged);
	return 0;
}

/* Options of the running ptnetd that the file (and command line) now set otherwise. */
static void apply_options(struct ptd *d, const struct ptd_config *want, struct ptd_config *was)
{
	*was = d->cfg;
	for (const struct conf_opt *o = opts; o->key; o++) {
		char a[256], b[256];

		opt_format(o, &d->cfg, a, sizeof(a));
		opt_format(o, want, b, sizeof(b));
		if (!strcmp(a, b))
			continue;
		if (!o->live) {
			LOG_WARN("config: %s %s -> %s takes effect when ptnetd restarts", o->key, a, b);
			continue;
		}
		LOG_INFO("config: %s %s -> %s", o->key, a, b);
		memcpy((char *)&d->cfg + o->off, (const char *)want + o->off,
		       o->type == O_MIB ? sizeof(uint64_t) : sizeof(unsigned int));
	}
}

int ptd_conf_reload(struct ptd *d, char *sum, size_t len, struct ptd_err *e)
{
	struct ptd_conffile *cfile = d->conf;
	struct ptd_config want, was;
	struct ptd_conf *cf;
	int ret;

	if (!cfile)
		return ptd_err(e, -ENOENT, "ptnetd runs without a configuration file (start it "
			       "with -c FILE)");
	sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
	ret = ptd_conf_load(cfile->path, &cf, e);
	if (!ret) {
		ptd_config_defaults(&want);
		ptd_conf_options(cf, &want);
		if (cfile->cmdline)
			cfile->cmdline(&want);
		apply_options(d, &want, &was);
		ret = ptd_conf_apply(d, cf, &was, sum, len, e);
		if (ret) {
			d->cfg = was;
			ptd_conf_free(cf);
		}
	}
	if (!ret) {
		if (cfile->applied != cfile->boot)
			ptd_conf_free(cfile->applied);
		cfile->applied = cf;
		LOG_INFO("configuration %s reloaded: %s", cfile->path, sum);
	} else {
		LOG_ERR("configuration not reloaded (nothing changed): %s", e->msg);
	}
	sd_notifyf(0, "READY=1\nSTATUS=%s", ret ? "reload failed, configuration unchanged" :
		   "running");
	return ret;
}

/* ---- the requests ---- */

/* reload: read the file again and apply what changed (root). */
int ptd_conf_do_reload(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
		       struct ptd_reply *r, struct ptd_err *e)
{
	(void)c;
	if (t->n != 1)
		return ptd_err(e, -EINVAL, "usage: reload");
	return ptd_conf_reload(d, r->text, sizeof(r->text), e);
}

/* save: the running configuration, one record per section (root). */
int ptd_conf_do_save(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
		     struct ptd_reply *r, struct ptd_err *e)
{
	struct ptd_config def;
	char rec[PTC_MAX_MSG], buf[1024];
	unsigned int nrec = 1;
	int n;

	if (t->n != 1)
		return ptd_err(e, -EINVAL, "usage: save");
	/* [ptnetd]: the options that differ from the defaults. */
	ptd_config_defaults(&def);
	n = snprintf(rec, sizeof(rec), "rec section=ptnetd");
	for (const struct conf_opt *o = opts; o->key; o++) {
		char a[256], b[256];

		opt_format(o, &d->cfg, a, sizeof(a));
		opt_format(o, &def, b, sizeof(b));
		if (strcmp(a, b) && a[0] && !strchr(a, ' '))
			n += snprintf(rec + n, sizeof(rec) - (size_t)n, " %s=%s", o->key, a);
	}
	ptd_ctl_rec(c, "%s", rec);
	for (unsigned int i = 0; i < d->nsw; i++) {
		const struct ptd_switch *sw = d->sw[i];

		if (!sw->persistent)
			continue;
		switch_conf_all(d, sw, buf, sizeof(buf));
		ptd_ctl_rec(c, "rec section=switch name=%s%s%s", sw->name, buf[0] ? " " : "", buf);
		nrec++;
	}
	/* Ports of the kinds the file knows; the others belong to their clients. */
	for (unsigned int i = 0; i < d->nsw; i++) {
		const struct ptd_switch *sw = d->sw[i];

		for (unsigned int k = 0; k < sw->nports; k++) {
			const struct ptd_port *p = sw->ports[sw->active[k]];
			enum sec_kind kind;
			char mac[18];

			if (!port_conf(p, &kind, buf, sizeof(buf)))
				continue;
			ptc_format_mac(p->mac, mac);
			ptd_ctl_rec(c, "rec section=%s name=%s%s%s mac=%s", kind_name[kind], p->name,
				    buf[0] ? " " : "", buf, mac);
			nrec++;
		}
	}
	snprintf(r->text, sizeof(r->text), "count=%u", nrec);
	return 0;
}
