// SPDX-License-Identifier: BSD-2-Clause
/*
 * ptnetctl - administer ptnetd: list switches and ports, show counters,
 * detach ports, create and delete switches (vale-ctl's role), show and
 * flush the MAC table; top (live rates) is in top.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ptnet/ptnet.h>
#include "ptnetctl.h"
#include "common/common.h"
#include "ptnetctl.h"

#define MAX_RECS 4096

struct rec {
	struct ptc_tokens t;
	char line[PTC_MAX_MSG + 1];
};

struct recs {
	struct rec *r;
	unsigned int n;
};

static int json;

static int collect(const char *line, void *arg)
{
	struct recs *rs = arg;
	struct rec *r;

	if (rs->n == MAX_RECS)
		return 0;
	r = &rs->r[rs->n];
	snprintf(r->line, sizeof(r->line), "%s", line);
	if (ptc_split(r->line, &r->t) < 0)
		return 0;
	rs->n++;
	return 0;
}

static const char *get(const struct rec *r, const char *key)
{
	const char *v = ptc_kv_get(&r->t, 0, key);

	return v ? v : "-";
}

static int is_number(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static void print_json(const struct recs *rs)
{
	printf("[");
	for (unsigned int i = 0; i < rs->n; i++) {
		const struct rec *r = &rs->r[i];

		printf("%s{", i ? "," : "");
		for (int k = 0; k < r->t.n; k++) {
			char *eq = strchr(r->t.tok[k], '=');

			if (!eq)
				continue;
			printf("%s\"%.*s\":", k ? "," : "", (int)(eq - r->t.tok[k]), r->t.tok[k]);
			if (is_number(eq + 1))
				printf("%s", eq + 1);
			else
				printf("\"%s\"", eq + 1);	/* values are printable, no quotes/spaces */
		}
		printf("}");
	}
	printf("]\n");
}

static unsigned long long num(const struct rec *r, const char *key)
{
	const char *v = ptc_kv_get(&r->t, 0, key);

	return v ? strtoull(v, NULL, 10) : 0;
}

static void print_list(const struct recs *rs)
{
	for (unsigned int i = 0; i < rs->n; i++) {
		const struct rec *sw = &rs->r[i];

		if (strcmp(get(sw, "type"), "switch"))
			continue;
		printf("%s: %s ports, MAC table of %s entries\n", get(sw, "name"), get(sw, "ports"),
		       get(sw, "mac_table"));
		for (unsigned int k = 0; k < rs->n; k++) {
			const struct rec *p = &rs->r[k];

			if (strcmp(get(p, "type"), "port") || strcmp(get(p, "switch"), get(sw, "name")))
				continue;
			printf("  %-20s %-11s mac %s  rings %s/%s slots %s/%s buf %s hdr %s "
			       "pid %s\n", get(p, "name"), get(p, "kind"), get(p, "mac"),
			       get(p, "tx_rings"), get(p, "rx_rings"), get(p, "tx_slots"),
			       get(p, "rx_slots"), get(p, "buf_size"), get(p, "vnet_hdr"),
			       get(p, "pid"));
			if (!strcmp(get(p, "kind"), "vhost"))
				printf("  %-20s %s %s, queues %s/%s, features %s, socket %s\n", "",
				       get(p, "mode"), get(p, "state"), get(p, "active"),
				       get(p, "queues"), get(p, "features"), get(p, "socket"));
		}
	}
}

/*
 * Is token TOK a drop counter ("drop_REASON=N")?  The daemon's stats records
 * carry every counter it keeps, so the drops are whatever it sends under
 * that prefix, not a list of our own that could fall behind.
 */
static int is_drop(const char *tok)
{
	return !strncmp(tok, "drop_", 5) && strchr(tok, '=');
}

static void print_stats(const struct recs *rs)
{
	printf("%-20s %14s %16s %14s %16s %12s\n", "NAME", "TX-PKTS", "TX-BYTES", "RX-PKTS",
	       "RX-BYTES", "DROPS");
	for (unsigned int i = 0; i < rs->n; i++) {
		const struct rec *r = &rs->r[i];
		unsigned long long d = 0;
		char name[80];

		for (int k = 0; k < r->t.n; k++)
			if (is_drop(r->t.tok[k]))
				d += strtoull(strchr(r->t.tok[k], '=') + 1, NULL, 10);
		snprintf(name, sizeof(name), "%s%s", strcmp(get(r, "type"), "switch") ? "  " : "",
			 get(r, "name"));
		printf("%-20s %14llu %16llu %14llu %16llu %12llu\n", name, num(r, "tx_packets"),
		       num(r, "tx_bytes"), num(r, "rx_packets"), num(r, "rx_bytes"), d);
		for (int k = 0; k < r->t.n; k++) {
			const char *tok = r->t.tok[k];

			if (is_drop(tok) && strtoull(strchr(tok, '=') + 1, NULL, 10))
				printf("%-20s %14s %s\n", "", "", tok);
		}
	}
}

/* fdb records: one line per learned address, by switch, as ptnetd sent them. */
static void print_fdb(const struct recs *rs)
{
	printf("%-16s %-17s %-24s %8s\n", "SWITCH", "MAC", "PORT", "AGE(S)");
	for (unsigned int i = 0; i < rs->n; i++) {
		const struct rec *r = &rs->r[i];

		printf("%-16s %-17s %-24s %8s\n", get(r, "switch"), get(r, "mac"), get(r, "port"),
		       get(r, "age"));
	}
}

/*
 * "tap|vm|vhost add NAME [--opt VALUE]..." -> "tap-add NAME opt=VALUE ..."
 * (the daemon checks the values); "tap|vm|vhost del NAME".  vhost's
 * --client is a flag: "client=1".
 */
static int add_request(char *req, size_t len, const char *kind, int argc, char **argv)
{
	static const char *const tap_opts[] = { "netns", "ifname", "queues", "mtu", "mac", NULL };
	static const char *const vm_opts[] = { "socket", "rings", "slots", "buf-size", "mac", NULL };
	static const char *const vhost_opts[] = { "socket", "queues", "mac", NULL };
	const char *const *opts = !strcmp(kind, "tap") ? tap_opts :
				  !strcmp(kind, "vhost") ? vhost_opts : vm_opts;
	size_t n;
	int i;

	if (argc == 2 && !strcmp(argv[0], "del")) {
		snprintf(req, len, "%s-del %.200s", kind, argv[1]);
		return 0;
	}
	if (argc < 2 || strcmp(argv[0], "add")) {
		if (!strcmp(kind, "tap"))
			fprintf(stderr, "ptnetctl: usage: ptnetctl tap add vale0:NAME [--netns NS] "
				"[--ifname IF] [--queues N] [--mtu M] [--mac MAC] | tap del vale0:NAME\n");
		else if (!strcmp(kind, "vhost"))
			fprintf(stderr, "ptnetctl: usage: ptnetctl vhost add vale0:NAME --socket PATH "
				"[--queues N] [--mac MAC] [--client] | vhost del vale0:NAME\n");
		else
			fprintf(stderr, "ptnetctl: usage: ptnetctl vm add vale0:NAME --socket PATH "
				"[--rings N] [--slots S] [--buf-size B] [--mac MAC] | vm del vale0:NAME\n");
		return -1;
	}
	n = (size_t)snprintf(req, len, "%s-add %.200s", kind, argv[1]);
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		size_t k;

		if (strncmp(a, "--", 2))
			goto bad;
		a += 2;
		if (!strcmp(kind, "vhost") && !strcmp(a, "client")) {
			n += (size_t)snprintf(req + n, len - n, " client=1");
			continue;
		}
		for (k = 0; opts[k]; k++) {
			size_t ol = strlen(opts[k]);

			if (!strncmp(a, opts[k], ol) && (a[ol] == '\0' || a[ol] == '=')) {
				val = a[ol] == '=' ? a + ol + 1 : (i + 1 < argc ? argv[++i] : NULL);
				break;
			}
		}
		if (!opts[k] || !val || !*val || strchr(val, ' '))
			goto bad;
		n += (size_t)snprintf(req + n, len - n, " %s=%.100s", opts[k], val);
		if (n >= len)
			goto bad;
	}
	return 0;
bad:
	fprintf(stderr, "ptnetctl: %s add: bad option '%s' (try --help)\n", kind,
		argv[i < argc ? i : argc - 1]);
	return -1;
}

/*
 * save: the records of the running configuration ("rec section=tap
 * name=vale0:t1 ifname=eth0 mac=...") as a ptnetd.conf(5) file.
 */
static void print_conf(const struct recs *rs)
{
	printf("# ptnetd.conf(5): the running configuration (ptnetctl save)\n");
	for (unsigned int i = 0; i < rs->n; i++) {
		const struct rec *r = &rs->r[i];
		const char *name = ptc_kv_get(&r->t, 0, "name");

		printf("\n[%s%s%s]\n", get(r, "section"), name ? " " : "", name ? name : "");
		for (int k = 1; k < r->t.n; k++) {
			const char *tok = r->t.tok[k], *eq = strchr(tok, '=');

			if (!eq || !strncmp(tok, "section=", 8) || !strncmp(tok, "name=", 5))
				continue;
			printf("%.*s = %s\n", (int)(eq - tok), tok, eq + 1);
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ptnetctl [-s SOCKET] [--json] COMMAND [ARGS]\n"
		"  list                    switches and their ports\n"
		"  stats [SWITCH|PORT]     counters (packets, bytes, drops by reason)\n"
		"  detach PORT             detach a port (its client sees it gone)\n"
		"  switch add|del NAME [--allow-uid U,..] [--allow-gid G,..] [--mac-table N]\n"
		"                          create (optionally restricted to these users, with a MAC table\n"
		"                          of N entries, up to 1048576) or delete a switch\n"
		"  tap add PORT [--netns NS] [--ifname IF] [--queues N] [--mtu M] [--mac MAC]\n"
		"                          create a TAP interface on the switch, served by ptnetd\n"
		"  tap del PORT            delete it (the interface goes away)\n"
		"  vm add PORT --socket PATH [--rings N] [--slots S] [--buf-size B] [--mac MAC]\n"
		"                          a port for a QEMU guest (ivshmem-doorbell server on PATH)\n"
		"  vm del PORT             remove it\n"
		"  vhost add PORT --socket PATH [--queues N] [--mac MAC] [--client]\n"
		"                          a vhost-user-net backend for a VMM's virtio-net (listens on\n"
		"                          PATH, or connects to it with --client)\n"
		"  vhost del PORT          remove it\n"
		"  capture PORT [-w FILE|-] [-c COUNT] [-s SNAPLEN] [--rx|--tx] [--nano] [FILTER...]\n"
		"                          write what PORT sends and receives as pcap (BPF FILTER)\n"
		"  reload                  make ptnetd read its configuration file again\n"
		"  save                    print the running configuration (ptnetd.conf(5))\n"
		"  fdb [SWITCH]            the MAC table: address, port, age in seconds\n"
		"  fdb flush [SWITCH]      forget the learned addresses (root)\n"
		"  top [SWITCH] [-n COUNT] live rates per port, every second (q quits)\n"
		"options (before or after the command):\n"
		"  -s, --socket PATH       ptnetd's socket (default $PTNET_SOCKET or %s)\n"
		"  -j, --json              machine-readable output\n"
		"  -h, --help              this help\n", PTNET_DEFAULT_SOCKET);
}

/* The options of each command (all take a value), as "--NAME VALUE" or "--NAME=VALUE". */
static const char *const *cmd_opts(const char *cmd)
{
	static const char *const sw[] = { "allow-uid", "allow-gid", "mac-table", NULL };
	static const char *const tap[] = { "netns", "ifname", "queues", "mtu", "mac", NULL };
	static const char *const vm[] = { "socket", "rings", "slots", "buf-size", "mac", NULL };
	static const char *const vhost[] = { "socket", "queues", "mac", "client", NULL };
	static const char *const none[] = { NULL };
	static const char *const all[] = { "*", NULL };	/* it parses its own */
	static const char *const top[] = { "count", NULL };	/* and -n: its parser checks */

	if (!strcmp(cmd, "capture"))
		return all;
	if (!strcmp(cmd, "switch"))
		return sw;
	if (!strcmp(cmd, "tap"))
		return tap;
	if (!strcmp(cmd, "vm"))
		return vm;
	if (!strcmp(cmd, "vhost"))
		return vhost;
	if (!strcmp(cmd, "top"))
		return top;
	return none;
}

/* Is A "--NAME" or "--NAME=..." for one of OPTS? */
static int is_cmd_opt(const char *a, const char *const *opts)
{
	if (strncmp(a, "--", 2))
		return 0;
	for (size_t k = 0; opts[k]; k++) {
		size_t ol = strlen(opts[k]);

		if (!strncmp(a + 2, opts[k], ol) && (a[2 + ol] == '\0' || a[2 + ol] == '='))
			return 1;
	}
	return 0;
}

/*
 * Take ptnetctl's own options (-s PATH, -j, -h and their long forms) out of
 * ARGV wherever they are, before or after the command, and put the command
 * and its arguments, in order, in ARGS.  After the command, the command's
 * own options win ("vm add ... --socket PATH" is the guest's socket) and
 * their values pass through untouched, as do other dashed words of a command
 * that has options (its parser names them); "--" ends ptnetctl's options.
 * Returns the number of ARGS, -1 on a usage error (reported), or -2 for
 * --help.
 */
static int split_args(int argc, char **argv, char **args)
{
	const char *const *own = NULL;
	int n = 0, i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (own && own[0] && !strcmp(own[0], "*")) {
			args[n++] = argv[i];
			continue;
		}
		if (own && is_cmd_opt(a, own)) {
			args[n++] = argv[i];
			if (!strchr(a, '=') && i + 1 < argc && strcmp(a, "--client"))
				args[n++] = argv[++i];	/* its value (--client is a flag) */
			continue;
		}
		if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			return -2;
		} else if (!strcmp(a, "-s") || !strcmp(a, "--socket")) {
			if (i + 1 == argc) {
				fprintf(stderr, "ptnetctl: %s needs a socket path\n", a);
				return -1;
			}
			setenv(PTNET_SOCKET_ENV, argv[++i], 1);
		} else if (!strncmp(a, "--socket=", 9)) {
			setenv(PTNET_SOCKET_ENV, a + 9, 1);
		} else if (!strncmp(a, "-s", 2)) {
			setenv(PTNET_SOCKET_ENV, a + 2, 1);
		} else if (a[0] == '-' && a[1] && (!own || !own[0])) {
			fprintf(stderr, "ptnetctl: unknown option '%s' (try --help)\n", a);
			return -1;
		} else {
			/* the command, or one of its arguments (it checks them) */
			if (!own)
				own = cmd_opts(a);
			args[n++] = argv[i];
		}
	}
	for (; i < argc; i++)
		args[n++] = argv[i];
	return n;
}

int main(int argc, char **argv)
{
	struct recs rs = { 0 };
	char req[PTC_MAX_MSG], status[PTC_MAX_MSG];
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	const char *cmd;
	int fd, ret, ai = 1;

	if (!args) {
		fprintf(stderr, "ptnetctl: out of memory\n");
		return 1;
	}
	ret = split_args(argc, argv, args + 1);
	if (ret == -2) {
		usage(stdout);
		return 0;
	}
	if (ret <= 0) {
		if (ret == 0)
			usage(stderr);
		return 2;
	}
	args[0] = argv[0];
	argc = ret + 1;
	argv = args;
	cmd = argv[ai++];
	if (!strcmp(cmd, "capture"))
		return ptnetctl_capture(argc - 1, argv + 1);
	if (!strcmp(cmd, "top"))
		return ptctl_top(argc - ai, argv + ai, json);
	if (!strcmp(cmd, "fdb")) {
		int flush = ai < argc && !strcmp(argv[ai], "flush");

		if (argc - ai - flush > 1) {
			fprintf(stderr, "ptnetctl: usage: ptnetctl fdb [SWITCH] | fdb flush [SWITCH]\n");
			return 2;
		}
		snprintf(req, sizeof(req), "%s%s%.200s", flush ? "fdb-flush" : "fdb",
			 ai + flush < argc ? " " : "", ai + flush < argc ? argv[ai + flush] : "");
		if (flush)
			cmd = "fdb-flush";
	} else if (!strcmp(cmd, "list") || !strcmp(cmd, "stats")) {
		if (argc - ai > 1) {
			fprintf(stderr, "ptnetctl: %s takes at most one name\n", cmd);
			return 2;
		}
		snprintf(req, sizeof(req), "%s%s%.200s", cmd, ai < argc ? " " : "",
			 ai < argc ? argv[ai] : "");
	} else if (!strcmp(cmd, "detach")) {
		if (argc - ai != 1) {
			fprintf(stderr, "ptnetctl: usage: ptnetctl detach PORT\n");
			return 2;
		}
		snprintf(req, sizeof(req), "detach %.200s", argv[ai]);
	} else if (!strcmp(cmd, "switch")) {
		size_t n;

		if (argc - ai < 2 || (strcmp(argv[ai], "add") && strcmp(argv[ai], "del"))) {
			fprintf(stderr, "ptnetctl: usage: ptnetctl switch add|del NAME "
				"[--allow-uid U,..] [--allow-gid G,..] [--mac-table N]\n");
			return 2;
		}
		n = (size_t)snprintf(req, sizeof(req), "switch-%s %.200s", argv[ai], argv[ai + 1]);
		for (int i = ai + 2; i < argc; i++) {
			if ((strcmp(argv[i], "--allow-uid") && strcmp(argv[i], "--allow-gid") &&
			     strcmp(argv[i], "--mac-table")) ||
			    i + 1 == argc || strchr(argv[i + 1], ' ')) {
				fprintf(stderr, "ptnetctl: switch add: bad option '%s' (--allow-uid "
					"LIST, --allow-gid LIST, --mac-table N)\n", argv[i]);
				return 2;
			}
			n += (size_t)snprintf(req + n, sizeof(req) - n, " %s=%.100s", argv[i] + 2,
					      argv[i + 1]);
			i++;
		}
	} else if (!strcmp(cmd, "tap") || !strcmp(cmd, "vm") || !strcmp(cmd, "vhost")) {
		if (add_request(req, sizeof(req), cmd, argc - ai, argv + ai))
			return 2;
	} else if (!strcmp(cmd, "reload") || !strcmp(cmd, "save")) {
		if (argc - ai != 0) {
			fprintf(stderr, "ptnetctl: %s takes no arguments\n", cmd);
			return 2;
		}
		snprintf(req, sizeof(req), "%s", cmd);
	} else {
		fprintf(stderr, "ptnetctl: unknown command '%s' (try --help)\n", cmd);
		return 2;
	}
	for (const char *p = req; *p; p++)
		if (*p < 0x21 && *p != ' ') {
			fprintf(stderr, "ptnetctl: names cannot contain control characters\n");
			return 2;
		}

	fd = ptnet_ctl_open();
	if (fd < 0) {
		fprintf(stderr, "ptnetctl: %s\n", ptnet_errmsg());
		return 1;
	}
	rs.r = calloc(MAX_RECS, sizeof(*rs.r));
	if (!rs.r) {
		fprintf(stderr, "ptnetctl: out of memory\n");
		return 1;
	}
	ret = ptnet_ctl_call(fd, req, collect, &rs, status, sizeof(status));
	ptnet_ctl_close(fd);
	if (ret < 0) {
		fprintf(stderr, "ptnetctl: %s\n", ptnet_errmsg());
		free(rs.r);
		return 1;
	}
	if (json && (!strcmp(cmd, "list") || !strcmp(cmd, "stats") || !strcmp(cmd, "save") ||
		     !strcmp(cmd, "fdb")))
		print_json(&rs);
	else if (!strcmp(cmd, "fdb"))
		print_fdb(&rs);
	else if (!strcmp(cmd, "fdb-flush"))
		printf(json ? "{\"ok\":true,\"flushed\":%s}\n" : "%s entries flushed\n",
		       strstr(status, "flushed=") ? strstr(status, "flushed=") + 8 : "0");
	else if (!strcmp(cmd, "list"))
		print_list(&rs);
	else if (!strcmp(cmd, "stats"))
		print_stats(&rs);
	else if (!strcmp(cmd, "save"))
		print_conf(&rs);
	else if (!strcmp(cmd, "reload") && strlen(status) > 3)
		printf("%s\n", status + 3);
	else if (json)
		printf("{\"ok\":true}\n");
	else if ((!strcmp(cmd, "tap") || !strcmp(cmd, "vm") || !strcmp(cmd, "vhost")) &&
		 strlen(status) > 3)
		printf("%s\n", status + 3);
	free(rs.r);
	return 0;
}
