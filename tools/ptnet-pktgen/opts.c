// SPDX-License-Identifier: BSD-2-Clause
/* opts.c - the command line of ptnet-pktgen. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/common.h"
#include "../common/pkt.h"
#include "pktgen.h"

static const char *const mode_names[] = {
	[PG_TX] = "tx",
	[PG_RX] = "rx",
	[PG_PING] = "ping",
	[PG_PONG] = "pong",
};

enum {
	OPT_JSON = 0x100,
	OPT_BUSY,
};

static const struct option long_opts[] = {
	{ "interface",	required_argument, NULL, 'i' },
	{ "function",	required_argument, NULL, 'f' },
	{ "length",	required_argument, NULL, 'l' },
	{ "count",	required_argument, NULL, 'n' },
	{ "batch",	required_argument, NULL, 'b' },
	{ "rate",	required_argument, NULL, 'R' },
	{ "rings",	required_argument, NULL, 'p' },
	{ "interval",	required_argument, NULL, 'T' },
	{ "exit-idle",	no_argument,	   NULL, 'W' },
	{ "src-mac",	required_argument, NULL, 'S' },
	{ "dst-mac",	required_argument, NULL, 'D' },
	{ "duration",	required_argument, NULL, 'd' },
	{ "cpu",	required_argument, NULL, 'a' },
	{ "verify",	no_argument,	   NULL, 'V' },
	{ "quiet",	no_argument,	   NULL, 'q' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ "json",	no_argument,	   NULL, OPT_JSON },
	{ "busy",	no_argument,	   NULL, OPT_BUSY },
	{ NULL, 0, NULL, 0 },
};

const char *pg_mode_name(enum pg_mode m)
{
	return mode_names[m];
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PG_NAME " -i PORT -f tx|rx|ping|pong [options]\n"
		"  -i, --interface PORT   ptnet port, e.g. vale0:a or vale0:a@conf:rings=2\n"
		"  -f, --function FN      tx, rx, ping or pong\n"
		"  -l, --length LEN       frame length without CRC, 60..65535 (default 60);\n"
		"                         twice: random lengths in [min, max]\n"
		"  -n, --count N          packets (tx/rx) or transactions (ping), 0 = forever\n"
		"  -b, --batch N          packets per ring per sync (default 512; ping/pong 1)\n"
		"  -R, --rate PPS         rate limit, packets (ping: transactions) per second\n"
		"  -p, --rings N          ring pairs to open the port with, one thread each\n"
		"  -T, --interval MS      report interval (default 1000)\n"
		"  -W, --exit-idle        rx/pong: exit after 1 s without traffic once traffic was seen\n"
		"  -S, --src-mac MAC      source MAC (default: the port's MAC)\n"
		"  -D, --dst-mac MAC      destination MAC (default ff:ff:ff:ff:ff:ff)\n"
		"  -d, --duration SEC     stop after SEC seconds\n"
		"  -a, --cpu CPU          pin thread i to CPU+i\n"
		"  -V, --verify           stamp (tx) or check (rx) sequence numbers and checksums\n"
		"      --busy             busy-poll the rings, never sleep\n"
		"      --json             print only a JSON summary on stdout (text goes to stderr)\n"
		"  -q, --quiet            no periodic lines\n"
		"  -h, --help             this text\n"
		"The daemon socket is $" PTNET_SOCKET_ENV " or " PTNET_DEFAULT_SOCKET ".\n");
}

static int bad(const char *opt, const char *arg, const char *why)
{
	fprintf(stderr, PG_NAME ": invalid %s '%s': %s\n", opt, arg, why);
	return -EINVAL;
}

static int parse_u32(const char *opt, const char *arg, uint32_t min, uint32_t max,
		     uint32_t *out)
{
	int ret = ptc_parse_u32(arg, min, max, out);

	if (ret == -ERANGE) {
		char why[64];

		snprintf(why, sizeof(why), "must be in %u..%u", min, max);
		return bad(opt, arg, why);
	}
	if (ret)
		return bad(opt, arg, "not a number");
	return 0;
}

static int parse_u64(const char *opt, const char *arg, uint64_t *out)
{
	if (ptc_parse_u64(arg, out))
		return bad(opt, arg, "not a number");
	return 0;
}

static int parse_seconds(const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v > 0) || v > 1e9)
		return bad("-d", arg, "need a positive number of seconds");
	*out = v;
	return 0;
}

static int parse_mode(const char *arg, enum pg_mode *m)
{
	for (unsigned int i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (!strcmp(arg, mode_names[i])) {
			*m = (enum pg_mode)i;
			return 0;
		}
	}
	return bad("-f", arg, "expected tx, rx, ping or pong");
}

static int parse_len(struct pg_conf *c, const char *arg, int *nlen)
{
	uint32_t v;
	int ret = parse_u32("-l", arg, PTT_MIN_FRAME, PTT_MAX_FRAME, &v);

	if (ret)
		return ret;
	switch ((*nlen)++) {
	case 0:
		c->len_min = c->len_max = v;
		return 0;
	case 1:
		if (v < c->len_min)
			c->len_min = v;
		else
			c->len_max = v;
		c->random_len = c->len_min != c->len_max;
		return 0;
	default:
		return bad("-l", arg, "given more than twice");
	}
}

static int parse_one(struct pg_conf *c, int opt, const char *arg, int *nlen, int *have_mode)
{
	uint32_t v;
	int ret;

	switch (opt) {
	case 'i':
		c->ifname = arg;
		return 0;
	case 'f':
		*have_mode = 1;
		return parse_mode(arg, &c->mode);
	case 'l':
		return parse_len(c, arg, nlen);
	case 'n':
		return parse_u64("-n", arg, &c->count);
	case 'b':
		return parse_u32("-b", arg, 1, 65536, &c->batch);
	case 'R':
		return parse_u64("-R", arg, &c->rate);
	case 'p':
		return parse_u32("-p", arg, 1, PG_MAX_RINGS, &c->rings);
	case 'T':
		return parse_u32("-T", arg, 1, 3600000, &c->report_ms);
	case 'W':
		c->exit_idle = 1;
		return 0;
	case 'S':
		if (ptc_parse_mac(arg, c->src_mac))
			return bad("-S", arg, "expected xx:xx:xx:xx:xx:xx");
		c->src_mac_set = 1;
		return 0;
	case 'D':
		if (ptc_parse_mac(arg, c->dst_mac))
			return bad("-D", arg, "expected xx:xx:xx:xx:xx:xx");
		return 0;
	case 'd':
		return parse_seconds(arg, &c->duration);
	case 'a':
		ret = parse_u32("-a", arg, 0, 4095, &v);
		c->cpu = (int)v;
		return ret;
	case 'V':
		c->verify = 1;
		return 0;
	case 'q':
		c->quiet = 1;
		return 0;
	case OPT_JSON:
		c->json = 1;
		return 0;
	case OPT_BUSY:
		c->busy = 1;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * Fill C from the command line.  Returns 0 to run, 1 after printing the
 * help, or -EINVAL after printing one line about the problem.
 */
int pg_parse_args(int argc, char **argv, struct pg_conf *c)
{
	int opt, nlen = 0, have_mode = 0;

	memset(c, 0, sizeof(*c));
	c->len_min = c->len_max = PTT_MIN_FRAME;
	c->report_ms = 1000;
	c->cpu = -1;
	memset(c->dst_mac, 0xff, sizeof(c->dst_mac));

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":i:f:l:n:b:R:p:T:WS:D:d:a:Vqh", long_opts,
				  NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 1;
		}
		if (opt == '?' || opt == ':') {
			const char *o = argv[optind - 1];

			if (optopt > 0 && optopt < 0x80 && o[0] == '-' && o[1] != '-')
				fprintf(stderr, PG_NAME ": %s '-%c'; try -h\n",
					opt == ':' ? "missing argument for" : "invalid option",
					optopt);
			else
				fprintf(stderr, PG_NAME ": %s '%s'; try -h\n",
					opt == ':' ? "missing argument for" : "invalid option", o);
			return -EINVAL;
		}
		if (parse_one(c, opt, optarg, &nlen, &have_mode))
			return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, PG_NAME ": unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!c->ifname) {
		fprintf(stderr, PG_NAME ": missing -i PORT (try -h)\n");
		return -EINVAL;
	}
	if (!have_mode) {
		fprintf(stderr, PG_NAME ": missing -f tx|rx|ping|pong (try -h)\n");
		return -EINVAL;
	}
	if (c->verify && c->mode != PG_TX && c->mode != PG_RX) {
		fprintf(stderr, PG_NAME ": -V works with -f tx and -f rx only\n");
		return -EINVAL;
	}
	if (c->random_len && (c->mode == PG_PING || c->mode == PG_PONG)) {
		fprintf(stderr, PG_NAME ": random lengths (-l twice) work with -f tx only\n");
		return -EINVAL;
	}
	if (!c->batch)
		c->batch = (c->mode == PG_PING || c->mode == PG_PONG) ? 1 : 512;
	return 0;
}
