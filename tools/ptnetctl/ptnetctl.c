// SPDX-License-Identifier: BSD-2-Clause
/*
 * ptnetctl - administer ptnetd: list switches and ports, show counters,
 * detach ports, create and delete switches (vale-ctl's role).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ptnet/ptnet.h>
#include "common/common.h"

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
		printf("%s: %s ports\n", get(sw, "name"), get(sw, "ports"));
		for (unsigned int k = 0; k < rs->n; k++) {
			const struct rec *p = &rs->r[k];

			if (strcmp(get(p, "type"), "port") || strcmp(get(p, "switch"), get(sw, "name")))
				continue;
			printf("  %-20s %-11s mac %s  rings %s/%s slots %s/%s buf %s hdr %s "
			       "pid %s\n", get(p, "name"), get(p, "kind"), get(p, "mac"),
			       get(p, "tx_rings"), get(p, "rx_rings"), get(p, "tx_slots"),
			       get(p, "rx_slots"), get(p, "buf_size"), get(p, "vnet_hdr"),
			       get(p, "pid"));
		}
	}
}

static void print_stats(const struct recs *rs)
{
	static const char *const drops[] = { "drop_bad_slot", "drop_bad_chain", "drop_runt",
					     "drop_no_dest", "drop_ring_full", "drop_bad_ring",
					     "drop_offload" };

	printf("%-20s %14s %16s %14s %16s %12s\n", "NAME", "TX-PKTS", "TX-BYTES", "RX-PKTS",
	       "RX-BYTES", "DROPS");
	for (unsigned int i = 0; i < rs->n; i++) {
		const struct rec *r = &rs->r[i];
		unsigned long long d = 0;
		char name[80];

		for (size_t k = 0; k < sizeof(drops) / sizeof(drops[0]); k++)
			d += num(r, drops[k]);
		snprintf(name, sizeof(name), "%s%s", strcmp(get(r, "type"), "switch") ? "  " : "",
			 get(r, "name"));
		printf("%-20s %14llu %16llu %14llu %16llu %12llu\n", name, num(r, "tx_packets"),
		       num(r, "tx_bytes"), num(r, "rx_packets"), num(r, "rx_bytes"), d);
		for (size_t k = 0; k < sizeof(drops) / sizeof(drops[0]); k++)
			if (num(r, drops[k]))
				printf("%-20s %14s %s=%llu\n", "", "", drops[k], num(r, drops[k]));
	}
}

/*
 * "tap|vm add NAME [--opt VALUE]..." -> "tap-add NAME opt=VALUE ..." (the
 * daemon checks the values); "tap|vm del NAME".
 */
static int add_request(char *req, size_t len, const char *kind, int argc, char **argv)
{
	static const char *const tap_opts[] = { "netns", "ifname", "queues", "mtu", "mac", NULL };
	static const char *const vm_opts[] = { "socket", "rings", "slots", "buf-size", "mac", NULL };
	const char *const *opts = !strcmp(kind, "tap") ? tap_opts : vm_opts;
	size_t n;

	if (argc == 2 && !strcmp(argv[0], "del")) {
		snprintf(req, len, "%s %.200s", !strcmp(kind, "tap") ? "tap-del" : "detach",
			 argv[1]);
		return 0;
	}
	if (argc < 2 || strcmp(argv[0], "add")) {
		if (!strcmp(kind, "tap"))
			fprintf(stderr, "ptnetctl: usage: ptnetctl tap add vale0:NAME [--netns NS] "
				"[--ifname IF] [--queues N] [--mtu M] [--mac MAC] | tap del vale0:NAME\n");
		else
			fprintf(stderr, "ptnetctl: usage: ptnetctl vm add vale0:NAME --socket PATH "
				"[--rings N] [--slots S] [--buf-size B] [--mac MAC] | vm del vale0:NAME\n");
		return -1;
	}
	n = (size_t)snprintf(req, len, "%s-add %.200s", kind, argv[1]);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		size_t k;

		if (strncmp(a, "--", 2))
			goto bad;
		a += 2;
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
	fprintf(stderr, "ptnetctl: %s add: bad option '%s' (try --help)\n", kind, argv[argc - 1]);
	return -1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ptnetctl [-s SOCKET] [--json] COMMAND [ARGS]\n"
		"  list                    switches and their ports\n"
		"  stats [SWITCH|PORT]     counters (packets, bytes, drops by reason)\n"
		"  detach PORT             detach a port (its client sees it gone)\n"
		"  switch add|del NAME [--allow-uid U,..] [--allow-gid G,..]\n"
		"                          create (optionally restricted to these users) or delete a switch\n"
		"  tap add PORT [--netns NS] [--ifname IF] [--queues N] [--mtu M] [--mac MAC]\n"
		"                          create a TAP interface on the switch, served by ptnetd\n"
		"  tap del PORT            delete it (the interface goes away)\n"
		"  vm add PORT --socket PATH [--rings N] [--slots S] [--buf-size B] [--mac MAC]\n"
		"                          a port for a QEMU guest (ivshmem-doorbell server on PATH)\n"
		"  vm del PORT             remove it\n"
		"options:\n"
		"  -s, --socket PATH       ptnetd's socket (default $PTNET_SOCKET or %s)\n"
		"  -j, --json              machine-readable output\n"
		"  -h, --help              this help\n", PTNET_DEFAULT_SOCKET);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct recs rs = { 0 };
	char req[PTC_MAX_MSG], status[PTC_MAX_MSG];
	const char *cmd;
	int c, fd, ret;

	while ((c = getopt_long(argc, argv, "+s:jh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			setenv(PTNET_SOCKET_ENV, optarg, 1);
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	if (!strcmp(cmd, "list") || !strcmp(cmd, "stats")) {
		if (argc - optind > 1) {
			fprintf(stderr, "ptnetctl: %s takes at most one name\n", cmd);
			return 2;
		}
		snprintf(req, sizeof(req), "%s%s%.200s", cmd, optind < argc ? " " : "",
			 optind < argc ? argv[optind] : "");
	} else if (!strcmp(cmd, "detach")) {
		if (argc - optind != 1) {
			fprintf(stderr, "ptnetctl: usage: ptnetctl detach PORT\n");
			return 2;
		}
		snprintf(req, sizeof(req), "detach %.200s", argv[optind]);
	} else if (!strcmp(cmd, "switch")) {
		size_t n;

		if (argc - optind < 2 || (strcmp(argv[optind], "add") && strcmp(argv[optind], "del"))) {
			fprintf(stderr, "ptnetctl: usage: ptnetctl switch add|del NAME "
				"[--allow-uid U,..] [--allow-gid G,..]\n");
			return 2;
		}
		n = (size_t)snprintf(req, sizeof(req), "switch-%s %.200s", argv[optind],
				     argv[optind + 1]);
		for (int i = optind + 2; i < argc; i++) {
			if ((strcmp(argv[i], "--allow-uid") && strcmp(argv[i], "--allow-gid")) ||
			    i + 1 == argc || strchr(argv[i + 1], ' ')) {
				fprintf(stderr, "ptnetctl: switch add: bad option '%s' (--allow-uid "
					"LIST, --allow-gid LIST)\n", argv[i]);
				return 2;
			}
			n += (size_t)snprintf(req + n, sizeof(req) - n, " %s=%.100s", argv[i] + 2,
					      argv[i + 1]);
			i++;
		}
	} else if (!strcmp(cmd, "tap") || !strcmp(cmd, "vm")) {
		if (add_request(req, sizeof(req), cmd, argc - optind, argv + optind))
			return 2;
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
	if (json && (!strcmp(cmd, "list") || !strcmp(cmd, "stats")))
		print_json(&rs);
	else if (!strcmp(cmd, "list"))
		print_list(&rs);
	else if (!strcmp(cmd, "stats"))
		print_stats(&rs);
	else if (json)
		printf("{\"ok\":true}\n");
	else if ((!strcmp(cmd, "tap") || !strcmp(cmd, "vm")) && strlen(status) > 3)
		printf("%s\n", status + 3);
	free(rs.r);
	return 0;
}
