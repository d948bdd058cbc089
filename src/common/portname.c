// SPDX-License-Identifier: BSD-2-Clause
/* portname.c - "vale0:a@conf:rings=2,slots=512" and the port options. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "common/common.h"

static int is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* A value that is not a decimal number (0x2, +2, 2k): say so, not just the range. */
static int not_decimal(const char *key, const char *value, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s=%.32s: not a decimal number (digits only)", key, value);
	return -EINVAL;
}

int ptc_opt_apply(struct ptnet_port_opts *o, unsigned int *given, const char *key,
		  const char *value, char *err, size_t errlen)
{
	uint32_t v;
	int ret;

	if (!strcmp(key, "mac")) {
		if (ptc_parse_mac(value, o->mac)) {
			snprintf(err, errlen, "bad MAC address '%s' (want aa:bb:cc:dd:ee:ff)", value);
			return -EINVAL;
		}
		if (o->mac[0] & 1) {
			snprintf(err, errlen, "MAC address '%s' is multicast", value);
			return -EINVAL;
		}
		o->mac_set = 1;
		*given |= PTC_OPT_MAC;
		return 0;
	}
	if (!strcmp(key, "rings") || !strcmp(key, "tx-rings") || !strcmp(key, "rx-rings")) {
		ret = ptc_parse_u32(value, 1, PTNET_MAX_RINGS, &v);
		if (ret == -EINVAL)
			return not_decimal(key, value, err, errlen);
		if (ret) {
			snprintf(err, errlen, "%s=%s: rings must be 1..%d", key, value,
				 PTNET_MAX_RINGS);
			return -EINVAL;
		}
		if (strcmp(key, "rx-rings")) {
			o->tx_rings = (uint16_t)v;
			*given |= PTC_OPT_TX_RINGS;
		}
		if (strcmp(key, "tx-rings")) {
			o->rx_rings = (uint16_t)v;
			*given |= PTC_OPT_RX_RINGS;
		}
		return 0;
	}
	if (!strcmp(key, "slots") || !strcmp(key, "tx-slots") || !strcmp(key, "rx-slots")) {
		ret = ptc_parse_u32(value, PTNET_MIN_SLOTS, PTNET_MAX_SLOTS, &v);
		if (ret == -EINVAL)
			return not_decimal(key, value, err, errlen);
		if (ret || !is_pow2(v)) {
			snprintf(err, errlen, "%s=%s: slots must be a power of two in %d..%d", key,
				 value, PTNET_MIN_SLOTS, PTNET_MAX_SLOTS);
			return -EINVAL;
		}
		if (strcmp(key, "rx-slots")) {
			o->tx_slots = v;
			*given |= PTC_OPT_TX_SLOTS;
		}
		if (strcmp(key, "tx-slots")) {
			o->rx_slots = v;
			*given |= PTC_OPT_RX_SLOTS;
		}
		return 0;
	}
	if (!strcmp(key, "buf-size")) {
		ret = ptc_parse_u32(value, PTNET_MIN_BUF_SIZE, PTNET_MAX_BUF_SIZE, &v);
		if (ret == -EINVAL)
			return not_decimal(key, value, err, errlen);
		if (ret || v % 64) {
			snprintf(err, errlen, "buf-size=%s: must be a multiple of 64 in %d..%d",
				 value, PTNET_MIN_BUF_SIZE, PTNET_MAX_BUF_SIZE);
			return -EINVAL;
		}
		o->buf_size = v;
		*given |= PTC_OPT_BUF_SIZE;
		return 0;
	}
	if (!strcmp(key, "mtu")) {
		ret = ptc_parse_u32(value, 68, 65535, &v);
		if (ret == -EINVAL)
			return not_decimal(key, value, err, errlen);
		if (ret) {
			snprintf(err, errlen, "mtu=%s: must be 68..65535", value);
			return -EINVAL;
		}
		o->mtu = v;
		*given |= PTC_OPT_MTU;
		return 0;
	}
	if (!strcmp(key, "vnet-hdr")) {
		ret = ptc_parse_u32(value, 0, PTNET_VNET_HDR_LEN, &v);
		if (ret == -EINVAL)
			return not_decimal(key, value, err, errlen);
		if (ret || (v != 0 && v != PTNET_VNET_HDR_LEN)) {
			snprintf(err, errlen, "vnet-hdr=%s: must be 0 or %d", value,
				 PTNET_VNET_HDR_LEN);
			return -EINVAL;
		}
		o->vnet_hdr_len = v;
		*given |= PTC_OPT_VNET_HDR;
		return 0;
	}
	if (!strcmp(key, "extra-bufs")) {
		ret = ptc_parse_u32(value, 0, PTNET_MAX_EXTRA_BUFS, &v);
		if (ret == -EINVAL)
			return not_decimal(key, value, err, errlen);
		if (ret) {
			snprintf(err, errlen, "extra-bufs=%s: must be 0..%d", value,
				 PTNET_MAX_EXTRA_BUFS);
			return -EINVAL;
		}
		o->extra_bufs = v;
		*given |= PTC_OPT_EXTRA_BUFS;
		return 0;
	}
	if (!strcmp(key, "pipes")) {
		ret = ptc_parse_u32(value, 0, PTNET_MAX_PIPES, &v);
		if (ret == -EINVAL)
			return not_decimal(key, value, err, errlen);
		if (ret) {
			snprintf(err, errlen, "pipes=%s: must be 0..%d", value, PTNET_MAX_PIPES);
			return -EINVAL;
		}
		o->pipes = v;
		*given |= PTC_OPT_PIPES;
		return 0;
	}
	snprintf(err, errlen, "unknown option '%s' (known: rings tx-rings rx-rings slots "
		 "tx-slots rx-slots buf-size vnet-hdr mac mtu extra-bufs pipes)", key);
	return -ENOENT;
}

int ptc_opts_finish(struct ptnet_port_opts *o, char *err, size_t errlen)
{
	if (!o->tx_rings)
		o->tx_rings = o->rx_rings ? o->rx_rings : 1;
	if (!o->rx_rings)
		o->rx_rings = o->tx_rings;
	if (!o->tx_slots)
		o->tx_slots = o->rx_slots ? o->rx_slots : PTNET_DEF_SLOTS;
	if (!o->rx_slots)
		o->rx_slots = o->tx_slots;
	if (!o->buf_size)
		o->buf_size = PTNET_DEF_BUF_SIZE;
	if (!o->mtu)
		o->mtu = 1500;
	if (o->tx_rings > PTNET_MAX_RINGS || o->rx_rings > PTNET_MAX_RINGS) {
		snprintf(err, errlen, "at most %d rings per direction", PTNET_MAX_RINGS);
		return -EINVAL;
	}
	if (!is_pow2(o->tx_slots) || !is_pow2(o->rx_slots) || o->tx_slots < PTNET_MIN_SLOTS ||
	    o->rx_slots < PTNET_MIN_SLOTS || o->tx_slots > PTNET_MAX_SLOTS ||
	    o->rx_slots > PTNET_MAX_SLOTS) {
		snprintf(err, errlen, "slots must be a power of two in %d..%d", PTNET_MIN_SLOTS,
			 PTNET_MAX_SLOTS);
		return -EINVAL;
	}
	if (o->buf_size < PTNET_MIN_BUF_SIZE || o->buf_size > PTNET_MAX_BUF_SIZE ||
	    o->buf_size % 64) {
		snprintf(err, errlen, "buf-size must be a multiple of 64 in %d..%d",
			 PTNET_MIN_BUF_SIZE, PTNET_MAX_BUF_SIZE);
		return -EINVAL;
	}
	if (o->vnet_hdr_len != 0 && o->vnet_hdr_len != PTNET_VNET_HDR_LEN) {
		snprintf(err, errlen, "vnet-hdr must be 0 or %d", PTNET_VNET_HDR_LEN);
		return -EINVAL;
	}
	if (o->mtu < 68 || o->mtu > 65535) {
		snprintf(err, errlen, "mtu must be 68..65535");
		return -EINVAL;
	}
	if (o->extra_bufs > PTNET_MAX_EXTRA_BUFS) {
		snprintf(err, errlen, "extra-bufs must be 0..%d", PTNET_MAX_EXTRA_BUFS);
		return -EINVAL;
	}
	if (o->pipes > PTNET_MAX_PIPES) {
		snprintf(err, errlen, "pipes must be 0..%d", PTNET_MAX_PIPES);
		return -EINVAL;
	}
	return 0;
}

int ptc_parse_portname(const char *spec, struct ptc_portname *pn, struct ptnet_port_opts *o,
		       unsigned int *given, char *err, size_t errlen)
{
	const char *colon, *at, *end;
	size_t swlen, plen;

	memset(pn, 0, sizeof(*pn));
	if (!spec || !*spec) {
		snprintf(err, errlen, "empty port name (want valeX:NAME)");
		return -EINVAL;
	}
	colon = strchr(spec, ':');
	at = strchr(spec, '@');
	end = at ? at : spec + strlen(spec);
	if (!colon || colon > end) {
		snprintf(err, errlen, "port name '%.64s' has no ':' (want valeX:NAME, e.g. vale0:a)",
			 spec);
		return -EINVAL;
	}
	swlen = (size_t)(colon - spec);
	plen = (size_t)(end - colon - 1);
	if (swlen < 4 || strncmp(spec, "vale", 4) || !ptc_valid_ident(spec, swlen)) {
		snprintf(err, errlen, "bad switch name in '%.64s': must be 'vale' followed by up "
			 "to %d letters, digits or '_'", spec, PTC_NAME_MAX - 4);
		return -EINVAL;
	}
	if (!ptc_valid_ident(colon + 1, plen)) {
		snprintf(err, errlen, "bad port name in '%.64s': 1..%d letters, digits or '_'",
			 spec, PTC_NAME_MAX);
		return -EINVAL;
	}
	memcpy(pn->sw, spec, swlen);
	memcpy(pn->port, colon + 1, plen);
	snprintf(pn->full, sizeof(pn->full), "%s:%s", pn->sw, pn->port);
	if (!at)
		return 0;
	if (strncmp(at, "@conf:", 6) || !o) {
		snprintf(err, errlen, "unsupported suffix '%.32s' (only @conf:key=value,... is "
			 "accepted)", at);
		return -EINVAL;
	}
	/* key=value[,key=value]... */
	for (const char *p = at + 6; *p;) {
		char key[32], val[64];
		const char *eq = strchr(p, '='), *comma = strchr(p, ',');
		size_t kl, vl;
		int ret;

		if (!comma)
			comma = p + strlen(p);
		if (!eq || eq > comma) {
			snprintf(err, errlen, "bad @conf item '%.*s' (want key=value)",
				 (int)(comma - p > 32 ? 32 : comma - p), p);
			return -EINVAL;
		}
		kl = (size_t)(eq - p);
		vl = (size_t)(comma - eq - 1);
		if (kl == 0 || kl >= sizeof(key) || vl >= sizeof(val)) {
			snprintf(err, errlen, "bad @conf item near '%.32s'", p);
			return -EINVAL;
		}
		memcpy(key, p, kl);
		key[kl] = '\0';
		memcpy(val, eq + 1, vl);
		val[vl] = '\0';
		ret = ptc_opt_apply(o, given, key, val, err, errlen);
		if (ret)
			return ret == -ENOENT ? -EINVAL : ret;
		p = *comma ? comma + 1 : comma;
	}
	return 0;
}

int ptc_parse_pipename(const char *spec, struct ptc_portname *pn, unsigned int *end,
		       unsigned int *id, struct ptnet_port_opts *o, unsigned int *given, char *err,
		       size_t errlen)
{
	char base[PTC_MAX_MSG];
	const char *at, *brace, *p;
	unsigned long n = 0;
	size_t blen;
	int ret;

	memset(pn, 0, sizeof(*pn));
	if (!spec || strlen(spec) >= sizeof(base)) {
		snprintf(err, errlen, "bad pipe name (want valeX:NAME{N or valeX:NAME}N)");
		return -EINVAL;
	}
	at = strchr(spec, '@');
	if (!at)
		at = spec + strlen(spec);
	for (brace = spec; brace < at && *brace != '{' && *brace != '}'; brace++)
		;
	if (brace == at || brace + 1 == at) {
		snprintf(err, errlen, "'%.64s' is not a pipe end (want valeX:NAME{N or "
			 "valeX:NAME}N, N 0..%d)", spec, PTNET_PIPE_MAX_ID);
		return -EINVAL;
	}
	for (p = brace + 1; p < at; p++) {
		if (*p < '0' || *p > '9' || n > PTNET_PIPE_MAX_ID) {
			snprintf(err, errlen, "bad pipe number in '%.64s' (want 0..%d)", spec,
				 PTNET_PIPE_MAX_ID);
			return -EINVAL;
		}
		n = n * 10 + (unsigned long)(*p - '0');
	}
	if (n > PTNET_PIPE_MAX_ID) {
		snprintf(err, errlen, "bad pipe number in '%.64s' (want 0..%d)", spec,
			 PTNET_PIPE_MAX_ID);
		return -EINVAL;
	}
	/* The port part without its suffix, then the options. */
	blen = (size_t)(brace - spec);
	memcpy(base, spec, blen);
	snprintf(base + blen, sizeof(base) - blen, "%s", at);
	ret = ptc_parse_portname(base, pn, o, given, err, errlen);
	if (ret)
		return ret;
	/* Both ends name the pair by its master end: "NAME{N". */
	if (strlen(pn->port) + 1 + (size_t)(at - brace - 1) > PTC_NAME_MAX) {
		snprintf(err, errlen, "pipe name '%.64s' too long (NAME{N: at most %d characters)",
			 spec, PTC_NAME_MAX);
		return -EINVAL;
	}
	snprintf(pn->port + strlen(pn->port), sizeof(pn->port) - strlen(pn->port), "{%lu", n);
	snprintf(pn->full, sizeof(pn->full), "%s:%s", pn->sw, pn->port);
	*end = *brace == '{' ? PTNET_PIPE_MASTER : PTNET_PIPE_SLAVE;
	*id = (unsigned int)n;
	return 0;
}
