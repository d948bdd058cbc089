// SPDX-License-Identifier: BSD-2-Clause
/*
 * parse_portname - port names "valeX:Y[@conf:k=v,...]" and port options
 * (common/portname.c).  Every bad input must be rejected with -EINVAL (the
 * contract of ptc_parse_portname, ptc_opts_finish and ptnet_port_open) and a
 * one-line message; unknown ptc_opt_apply keys give -ENOENT.
 */
#include <errno.h>
#include <string.h>
#include "common/common.h"
#include "t.h"

static int parse(const char *spec, struct ptc_portname *pn, struct ptnet_port_opts *o,
		 unsigned int *given, char *err, size_t errlen)
{
	err[0] = '\0';
	*given = 0;
	memset(o, 0, sizeof(*o));
	return ptc_parse_portname(spec, pn, o, given, err, errlen);
}

static void good(void)
{
	struct ptc_portname pn;
	struct ptnet_port_opts o;
	unsigned int given;
	char err[256];

	CHECK_EQ(parse("vale0:a", &pn, &o, &given, err, sizeof(err)), 0, "plain: %s", err);
	CHECK(!strcmp(pn.sw, "vale0") && !strcmp(pn.port, "a") && !strcmp(pn.full, "vale0:a"),
	      "plain split: sw=%s port=%s full=%s", pn.sw, pn.port, pn.full);
	CHECK_EQ(given, 0, "no options given");

	CHECK_EQ(parse("valeX_1:Port_2", &pn, &o, &given, err, sizeof(err)), 0, "mixed: %s", err);
	CHECK(!strcmp(pn.full, "valeX_1:Port_2"), "mixed full=%s", pn.full);

	CHECK_EQ(parse("vale12345678901:abcdefghijklmno", &pn, &o, &given, err, sizeof(err)), 0,
		 "longest names: %s", err);
	CHECK(!strcmp(pn.full, "vale12345678901:abcdefghijklmno"), "longest full=%s", pn.full);

	CHECK_EQ(parse("vale0:a@conf:rings=4,slots=512,buf-size=4096,mac=02:00:00:00:00:01,"
		       "vnet-hdr=12",
		       &pn, &o, &given, err, sizeof(err)),
		 0, "conf: %s", err);
	CHECK(!strcmp(pn.full, "vale0:a"), "conf does not leak into the name: %s", pn.full);
	CHECK(o.tx_rings == 4 && o.rx_rings == 4, "rings=4 sets both: %u/%u", o.tx_rings,
	      o.rx_rings);
	CHECK(o.tx_slots == 512 && o.rx_slots == 512, "slots=512 sets both");
	CHECK_EQ(o.buf_size, 4096, "buf-size");
	CHECK_EQ(o.vnet_hdr_len, 12, "vnet-hdr");
	CHECK(o.mac_set && o.mac[0] == 2 && o.mac[5] == 1, "mac");
	CHECK_EQ(given,
		 PTC_OPT_TX_RINGS | PTC_OPT_RX_RINGS | PTC_OPT_TX_SLOTS | PTC_OPT_RX_SLOTS |
			 PTC_OPT_BUF_SIZE | PTC_OPT_MAC | PTC_OPT_VNET_HDR,
		 "given bits");

	CHECK_EQ(parse("vale0:b@conf:tx-rings=2,rx-rings=3,tx-slots=64,rx-slots=4096,rings=5",
		       &pn, &o, &given, err, sizeof(err)),
		 0, "split directions: %s", err);
	CHECK(o.tx_rings == 5 && o.rx_rings == 5, "later rings= overrides: %u/%u", o.tx_rings,
	      o.rx_rings);
	CHECK(o.tx_slots == 64 && o.rx_slots == 4096, "tx/rx slots: %u/%u", o.tx_slots, o.rx_slots);

	CHECK_EQ(parse("vale0:x@conf:extra-bufs=65536", &pn, &o, &given, err, sizeof(err)), 0,
		 "%s", err);
	CHECK(o.extra_bufs == 65536 && given == PTC_OPT_EXTRA_BUFS, "extra-bufs: %u", o.extra_bufs);

	CHECK_EQ(parse("vale0:c@conf:tx-rings=2", &pn, &o, &given, err, sizeof(err)), 0, "%s", err);
	CHECK(o.tx_rings == 2 && o.rx_rings == 0 && given == PTC_OPT_TX_RINGS,
	      "tx-rings alone touches only TX");
}

/* Each of these must fail with -EINVAL and say why. */
static const char *const bad_names[] = {
	"",
	"vale0",
	"vale0:",
	":a",
	"vale:",
	"foo0:a",
	"val:a",
	"Vale0:a",
	"vale0:a-b",
	"vale0:a.b",
	"vale0:a b",
	"vale0:a:b",
	"vale0:abcdefghijklmnop", /* port name of 16 */
	"valeabcdefghijklm:a",	  /* switch name of 17 */
	"vale0@conf:rings=1",	  /* no ':' before the suffix */
	"vale0:a@",
	"vale0:a@foo:rings=2",
	"vale0:a@conf",
	"vale0:a@conf:rings",
	"vale0:a@conf:=2",
	"vale0:a@conf:rings=",
	"vale0:a@conf:rings=x",
	"vale0:a@conf:rings=0x2",	/* decimal only */
	"vale0:a@conf:slots=0x400",
	"vale0:a@conf:buf-size=0x800",
	"vale0:a@conf:vnet-hdr=0xc",
	"vale0:a@conf:mtu=0x5dc",
	"vale0:a@conf:extra-bufs=65537",
	"vale0:a@conf:extra-bufs=-1",
	"vale0:a@conf:extra-bufs=0x10",
	"vale0:a@conf:rings=+2",
	"vale0:a@conf:rings=0",
	"vale0:a@conf:rings=17",
	"vale0:a@conf:tx-rings=99",
	"vale0:a@conf:rx-rings=-1",
	"vale0:a@conf:slots=100",
	"vale0:a@conf:slots=32",
	"vale0:a@conf:slots=8192",
	"vale0:a@conf:tx-slots=63",
	"vale0:a@conf:rx-slots=5000",
	"vale0:a@conf:buf-size=100",
	"vale0:a@conf:buf-size=255",
	"vale0:a@conf:buf-size=1000",
	"vale0:a@conf:buf-size=65600",
	"vale0:a@conf:vnet-hdr=1",
	"vale0:a@conf:vnet-hdr=13",
	"vale0:a@conf:mac=01:00:5e:00:00:01",
	"vale0:a@conf:mac=ff:ff:ff:ff:ff:ff",
	"vale0:a@conf:mac=zz",
	"vale0:a@conf:bogus=1",
	"vale0:a@conf:rings=2,,slots=64",
	"vale0:a@conf:rings=2;slots=64",
	"vale0:a@conf:rings=2@x",
	"vale0:a@conf:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1",
	"vale0:a@conf:rings=1111111111111111111111111111111111111111111111111111111111111111111111",
};

static void bad(void)
{
	struct ptc_portname pn;
	struct ptnet_port_opts o;
	unsigned int given;
	char err[256];

	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		int ret = parse(bad_names[i], &pn, &o, &given, err, sizeof(err));

		CHECK_EQ(ret, -EINVAL, "'%s' must be rejected with -EINVAL (message: %s)",
			 bad_names[i], err);
		CHECK(err[0] != '\0' && !strchr(err, '\n'), "'%s' needs a one-line message",
		      bad_names[i]);
	}
	CHECK_EQ(parse(NULL, &pn, &o, &given, err, sizeof(err)), -EINVAL, "NULL spec");
	CHECK(err[0], "NULL spec message");
	/* Options are refused where the caller passes no opts (ptnetd's attach). */
	err[0] = '\0';
	CHECK_EQ(ptc_parse_portname("vale0:a@conf:rings=2", &pn, NULL, &given, err, sizeof(err)),
		 -EINVAL, "@conf without an opts struct: %s", err);
	CHECK(err[0], "@conf without opts message");
	/* A tiny error buffer is never overrun and stays terminated. */
	{
		char small[8];

		memset(small, 'X', sizeof(small));
		CHECK_EQ(parse("vale0:a-b", &pn, &o, &given, small, sizeof(small)), -EINVAL,
			 "small err buffer");
		CHECK(memchr(small, '\0', sizeof(small)) != NULL, "small err buffer terminated");
	}
}

static void opts(void)
{
	struct ptnet_port_opts o;
	unsigned int given = 0;
	char err[256];

	memset(&o, 0, sizeof(o));
	CHECK_EQ(ptc_opts_finish(&o, err, sizeof(err)), 0, "defaults: %s", err);
	CHECK(o.tx_rings == 1 && o.rx_rings == 1, "default rings");
	CHECK(o.tx_slots == PTNET_DEF_SLOTS && o.rx_slots == PTNET_DEF_SLOTS, "default slots");
	CHECK_EQ(o.buf_size, PTNET_DEF_BUF_SIZE, "default buf-size");
	CHECK_EQ(o.vnet_hdr_len, 0, "default vnet-hdr");

	memset(&o, 0, sizeof(o));
	o.rx_rings = 3;
	o.rx_slots = 256;
	CHECK_EQ(ptc_opts_finish(&o, err, sizeof(err)), 0, "rx only: %s", err);
	CHECK(o.tx_rings == 3 && o.tx_slots == 256, "tx follows rx: %u %u", o.tx_rings, o.tx_slots);

	static const struct {
		struct ptnet_port_opts o;
		const char *what;
	} badopts[] = {
		{ { .tx_rings = 17 }, "tx_rings 17" },
		{ { .rx_rings = 100 }, "rx_rings 100" },
		{ { .tx_slots = 100 }, "tx_slots not a power of two" },
		{ { .rx_slots = 32 }, "rx_slots too small" },
		{ { .tx_slots = 8192 }, "tx_slots too big" },
		{ { .buf_size = 100 }, "buf_size too small" },
		{ { .buf_size = 1000 }, "buf_size not a multiple of 64" },
		{ { .buf_size = 131072 }, "buf_size too big" },
		{ { .vnet_hdr_len = 10 }, "vnet_hdr_len 10" },
	};
	for (size_t i = 0; i < sizeof(badopts) / sizeof(badopts[0]); i++) {
		o = badopts[i].o;
		err[0] = '\0';
		CHECK_EQ(ptc_opts_finish(&o, err, sizeof(err)), -EINVAL, "%s", badopts[i].what);
		CHECK(err[0], "%s: message", badopts[i].what);
	}

	/* ptc_opt_apply: unknown keys are -ENOENT, bad values negative, all with a message. */
	memset(&o, 0, sizeof(o));
	err[0] = '\0';
	CHECK_EQ(ptc_opt_apply(&o, &given, "nope", "1", err, sizeof(err)), -ENOENT, "unknown key");
	CHECK(strstr(err, "nope") != NULL, "message names the key: %s", err);
	err[0] = '\0';
	CHECK(ptc_opt_apply(&o, &given, "rings", "0", err, sizeof(err)) < 0 && err[0],
	      "rings=0 rejected with message");
	err[0] = '\0';
	CHECK(ptc_opt_apply(&o, &given, "buf-size", "1000", err, sizeof(err)) < 0 && err[0],
	      "buf-size=1000 rejected with message");
	CHECK(strstr(err, "1000") != NULL, "message quotes the value: %s", err);
	CHECK_EQ(ptc_opt_apply(&o, &given, "slots", "128", err, sizeof(err)), 0, "slots=128");
	CHECK(o.tx_slots == 128 && o.rx_slots == 128, "slots=128 applied");
}

int main(void)
{
	good();
	bad();
	opts();
	return t_done("parse_portname");
}
