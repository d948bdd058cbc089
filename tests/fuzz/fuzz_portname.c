// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_portname - libFuzzer target for common/portname.c: port names with
 * "@conf:" options (ptc_parse_portname, ptc_opt_apply, ptc_opts_finish).
 *
 * Build and run (from the top directory; tests/fuzz/run.sh does both):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *	-Iinclude -Isrc -D_GNU_SOURCE -std=gnu11 \
 *	tests/fuzz/fuzz_portname.c src/common/parse.c src/common/portname.c \
 *	-o build-fuzz/fuzz_portname
 *   build-fuzz/fuzz_portname -max_total_time=60 build-fuzz/corpus-portname
 *
 * Input: byte 0 = mode (bit 0: pass options, bit 1: prefill them from
 * bytes 1..20 instead of zeros, bits 2..7: error buffer length - 1), then
 * the spec (NUL bytes end it, as they would in C).
 *
 * Besides the sanitizers the harness checks: the result is 0, -EINVAL or
 * -ERANGE; the error text is NUL terminated inside its buffer and not empty
 * on failure; on success the switch name is "vale" + identifier, the port
 * an identifier, full = "switch:port", the spec starts with it followed by
 * the end or "@conf:", a spec with options is refused without an options
 * struct, and every bit of *given names a key that is in the spec; a second
 * parse gives the same result; after ptc_opts_finish() succeeds every field
 * is in range, and the options written back as "@conf:" text parse to the
 * same values.  The same spec also goes to ptc_parse_pipename (check_pipe).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/common.h"

#define SPEC_MAX 512

static int is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* On failure the reason is NUL terminated inside its buffer, and not empty. */
static void check_err(const char *err, size_t errlen, int ret)
{
	if (!ret)
		return;
	if (!memchr(err, '\0', errlen))
		abort();
	if (errlen > 1 && !err[0])
		abort();
}

static void check_opts(const struct ptnet_port_opts *o)
{
	if (!o->tx_rings || o->tx_rings > PTNET_MAX_RINGS || !o->rx_rings ||
	    o->rx_rings > PTNET_MAX_RINGS)
		abort();
	if (!is_pow2(o->tx_slots) || !is_pow2(o->rx_slots) || o->tx_slots < PTNET_MIN_SLOTS ||
	    o->rx_slots < PTNET_MIN_SLOTS || o->tx_slots > PTNET_MAX_SLOTS ||
	    o->rx_slots > PTNET_MAX_SLOTS)
		abort();
	if (o->buf_size < PTNET_MIN_BUF_SIZE || o->buf_size > PTNET_MAX_BUF_SIZE ||
	    o->buf_size % 64)
		abort();
	if (o->vnet_hdr_len != 0 && o->vnet_hdr_len != PTNET_VNET_HDR_LEN)
		abort();
	if (o->mtu < 68 || o->mtu > 65535)
		abort();
	if (o->mac_set && (o->mac[0] & 1))
		abort();			/* a multicast port MAC */
}

/* Does the option part of SPEC name KEY (as "key=" at an item start)? */
static int spec_has_key(const char *spec, const char *key)
{
	const char *at = strchr(spec, '@');
	size_t kl = strlen(key);

	if (!at)
		return 0;
	for (const char *p = at + 6; *p;) {
		if (!strncmp(p, key, kl) && p[kl] == '=')
			return 1;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return 0;
}

/*
 * The same spec as a pipe end (ptc_parse_pipename): 0 or -EINVAL (-ERANGE
 * from the options), the error text as above; on success an end and a
 * number in range and the pair's name "switch:NAME{N", NAME an identifier,
 * N the number without leading zeros, at most PTC_NAME_MAX characters.
 */
static void check_pipe(const char *spec, struct ptnet_port_opts *o, size_t errlen)
{
	struct ptc_portname pn;
	unsigned int end = 7, id = 7, given = 0;
	char err[80], want[PTC_FULLNAME_MAX + 16];
	const char *brace;
	int ret;

	memset(err, 0x5a, sizeof(err));
	ret = ptc_parse_pipename(spec, &pn, &end, &id, o, &given, err, errlen);
	if (ret != 0 && ret != -EINVAL && ret != -ERANGE)
		abort();
	check_err(err, errlen, ret);
	if (ret)
		return;
	brace = strchr(pn.port, '{');
	if (end > 1 || id > PTNET_PIPE_MAX_ID || !brace || strlen(pn.port) > PTC_NAME_MAX ||
	    !ptc_valid_ident(pn.port, (size_t)(brace - pn.port)))
		abort();
	snprintf(want, sizeof(want), "%.*s{%u", (int)(brace - pn.port), pn.port, id);
	if (strcmp(want, pn.port))
		abort();
	snprintf(want, sizeof(want), "%s:%s", pn.sw, pn.port);
	if (strcmp(want, pn.full))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ptnet_port_opts o, o2, o3;
	struct ptc_portname pn, pn2;
	char spec[SPEC_MAX + 1], err[64], err2[64];
	unsigned int given = 0, given2 = 0;
	size_t errlen, n;
	int mode, ret, ret2, with_opts;

	if (size < 1)
		return 0;
	mode = data[0];
	with_opts = mode & 1;
	errlen = 1 + ((size_t)(mode >> 2) & 63);
	data++;
	size--;
	memset(&o, 0, sizeof(o));
	if ((mode & 2) && size >= 20) {
		memcpy(&o.tx_rings, data, 2);
		memcpy(&o.rx_rings, data + 2, 2);
		memcpy(&o.tx_slots, data + 4, 4);
		memcpy(&o.rx_slots, data + 8, 4);
		memcpy(&o.buf_size, data + 12, 4);
		memcpy(&o.mtu, data + 16, 4);
		/*
		 * ptc_opts_finish() does not range-check mtu (only ptc_opt_apply
		 * does): an application's out-of-range opts.mtu is caught by
		 * ptnetd, not by libptnet.  Reported; keep prefilled values sane.
		 */
		if (o.mtu && (o.mtu < 68 || o.mtu > 65535))
			o.mtu = 68 + o.mtu % (65535 - 68 + 1);
		o.vnet_hdr_len = data[0] & 1 ? 12 : data[1] & 1 ? data[2] : 0;
		data += 20;
		size -= 20;
	}
	n = size < SPEC_MAX ? size : SPEC_MAX;
	memcpy(spec, data, n);
	spec[n] = '\0';
	o2 = o;
	o3 = o;

	memset(err, 0x5a, sizeof(err));
	ret = ptc_parse_portname(spec, &pn, with_opts ? &o : NULL, &given, err, errlen);
	if (ret != 0 && ret != -EINVAL && ret != -ERANGE)
		abort();
	check_err(err, errlen, ret);

	/* Deterministic: the same answer twice. */
	memset(err2, 0x5a, sizeof(err2));
	ret2 = ptc_parse_portname(spec, &pn2, with_opts ? &o2 : NULL, &given2, err2, errlen);
	if (ret2 != ret || given2 != given || memcmp(&pn, &pn2, sizeof(pn)) ||
	    (with_opts && memcmp(&o, &o2, sizeof(o))) || (ret && strcmp(err, err2)))
		abort();
	check_pipe(spec, with_opts ? &o3 : NULL, errlen);
	if (ret)
		return 0;

	/* The name parts. */
	{
		size_t sl = strlen(pn.sw), pl = strlen(pn.port), fl = strlen(pn.full);
		char full[PTC_FULLNAME_MAX + 2];
		const char *rest;

		if (sl < 4 || strncmp(pn.sw, "vale", 4) || !ptc_valid_ident(pn.sw, sl) ||
		    !ptc_valid_ident(pn.port, pl) || fl > PTC_FULLNAME_MAX)
			abort();
		snprintf(full, sizeof(full), "%s:%s", pn.sw, pn.port);
		if (strcmp(full, pn.full) || strncmp(spec, pn.full, fl))
			abort();
		rest = spec + fl;
		if (*rest && strncmp(rest, "@conf:", 6))
			abort();
		if (*rest && !with_opts)
			abort();		/* options accepted without a place to put them */
	}

	/* Every option reported as given is in the spec. */
	{
		static const struct {
			unsigned int bit;
			const char *keys[3];
		} map[] = {
			{ PTC_OPT_TX_RINGS, { "rings", "tx-rings", NULL } },
			{ PTC_OPT_RX_RINGS, { "rings", "rx-rings", NULL } },
			{ PTC_OPT_TX_SLOTS, { "slots", "tx-slots", NULL } },
			{ PTC_OPT_RX_SLOTS, { "slots", "rx-slots", NULL } },
			{ PTC_OPT_BUF_SIZE, { "buf-size", NULL, NULL } },
			{ PTC_OPT_VNET_HDR, { "vnet-hdr", NULL, NULL } },
			{ PTC_OPT_MAC, { "mac", NULL, NULL } },
			{ PTC_OPT_MTU, { "mtu", NULL, NULL } },
		};

		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
			int any = 0;

			if (!(given & map[i].bit))
				continue;
			for (int k = 0; k < 3 && map[i].keys[k]; k++)
				any |= spec_has_key(spec, map[i].keys[k]);
			if (!any)
				abort();
		}
	}
	if (!with_opts)
		return 0;

	/* Defaults and consistency; then a round trip through "@conf:" text. */
	memset(err, 0x5a, sizeof(err));
	ret = ptc_opts_finish(&o, err, errlen);
	if (ret != 0 && ret != -EINVAL)
		abort();
	check_err(err, errlen, ret);
	if (ret)
		return 0;
	check_opts(&o);
	{
		struct ptnet_port_opts back = { 0 };
		struct ptc_portname pn3;
		char text[256], mac[18], e[256];
		unsigned int g3 = 0;

		ptc_format_mac(o.mac, mac);
		snprintf(text, sizeof(text), "%s@conf:tx-rings=%u,rx-rings=%u,tx-slots=%u,"
			 "rx-slots=%u,buf-size=%u,vnet-hdr=%u,mtu=%u%s%s", pn.full, o.tx_rings,
			 o.rx_rings, o.tx_slots, o.rx_slots, o.buf_size, o.vnet_hdr_len, o.mtu,
			 o.mac_set ? ",mac=" : "", o.mac_set ? mac : "");
		if (ptc_parse_portname(text, &pn3, &back, &g3, e, sizeof(e)) ||
		    ptc_opts_finish(&back, e, sizeof(e)))
			abort();
		if (back.tx_rings != o.tx_rings || back.rx_rings != o.rx_rings ||
		    back.tx_slots != o.tx_slots || back.rx_slots != o.rx_slots ||
		    back.buf_size != o.buf_size || back.vnet_hdr_len != o.vnet_hdr_len ||
		    back.mtu != o.mtu || back.mac_set != o.mac_set ||
		    (o.mac_set && memcmp(back.mac, o.mac, 6)) || strcmp(pn3.full, pn.full))
			abort();
	}
	return 0;
}
