/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common.h - parsers shared by ptnetd, libptnet and the tools: the control
 * protocol's line tokenizer, numbers, MAC addresses, port names and port
 * options.  Pure functions, no I/O, no allocation: easy to fuzz.
 */
#ifndef PTNET_COMMON_H
#define PTNET_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <ptnet/ptnet.h>

#define PTC_MAX_TOKENS		64
#define PTC_MAX_MSG		4096	/* largest control message, bytes */
#define PTC_NAME_MAX		15	/* switch and port identifiers (IFNAMSIZ - 1) */
#define PTC_FULLNAME_MAX	(2 * PTC_NAME_MAX + 2)

struct ptc_tokens {
	int n;
	char *tok[PTC_MAX_TOKENS];
};

/*
 * Split LINE in place at spaces.  Accepts printable ASCII (0x20..0x7e)
 * only: a newline, even a trailing one, is a bad byte.  Returns the token
 * count or -EINVAL (bad byte) / -E2BIG (too many tokens).
 */
int ptc_split(char *line, struct ptc_tokens *t);

/* Value of "key=value" among tokens [from, n), or NULL. */
const char *ptc_kv_get(const struct ptc_tokens *t, int from, const char *key);

/*
 * Decimal unsigned in [min, max]: digits only (no sign, space or 0x prefix).
 * 0, or -EINVAL (not a decimal number) / -ERANGE (out of range, overflow).
 */
int ptc_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
int ptc_parse_u64(const char *s, uint64_t *out);

/* "1000,1001": 1..MAX comma-separated ids (0..2^31-1).  The count or -EINVAL. */
int ptc_parse_ids(const char *v, uint32_t *ids, unsigned int max);

/* "aa:bb:cc:dd:ee:ff" -> mac.  0 or -EINVAL. */
int ptc_parse_mac(const char *s, uint8_t mac[6]);
void ptc_format_mac(const uint8_t mac[6], char buf[18]);

/* Identifier: [A-Za-z0-9_]{1,15}.  Returns 1 if valid. */
int ptc_valid_ident(const char *s, size_t len);

/* Which fields of a ptnet_port_opts were given explicitly. */
#define PTC_OPT_TX_RINGS	0x01
#define PTC_OPT_RX_RINGS	0x02
#define PTC_OPT_TX_SLOTS	0x04
#define PTC_OPT_RX_SLOTS	0x08
#define PTC_OPT_BUF_SIZE	0x10
#define PTC_OPT_VNET_HDR	0x20
#define PTC_OPT_MAC		0x40
#define PTC_OPT_MTU		0x80
#define PTC_OPT_EXTRA_BUFS	0x100
#define PTC_OPT_PIPES		0x200

/*
 * Apply one port option KEY=VALUE (rings, tx-rings, rx-rings, slots,
 * tx-slots, rx-slots, buf-size, vnet-hdr, mac) to O.  Sets bits in *given.
 * Returns 0, -ENOENT for an unknown key, -EINVAL/-ERANGE for a bad value;
 * ERR receives a one-line explanation.
 */
int ptc_opt_apply(struct ptnet_port_opts *o, unsigned int *given, const char *key,
		  const char *value, char *err, size_t errlen);

/* Fill defaults and check consistency.  0 or -EINVAL with ERR set. */
int ptc_opts_finish(struct ptnet_port_opts *o, char *err, size_t errlen);

/* A parsed port name: "vale0:a@conf:rings=2,slots=512". */
struct ptc_portname {
	char sw[PTC_NAME_MAX + 1];
	char port[PTC_NAME_MAX + 1];
	char full[PTC_FULLNAME_MAX + 1];	/* "vale0:a" */
};

/*
 * Parse SPEC.  Switch names start with "vale"; both parts are identifiers.
 * Options after "@conf:" are applied to O (which may be NULL if SPEC must
 * not carry any).  Returns 0 or -EINVAL with ERR set.
 */
int ptc_parse_portname(const char *spec, struct ptc_portname *pn, struct ptnet_port_opts *o,
		       unsigned int *given, char *err, size_t errlen);

/*
 * Parse a pipe end SPEC, "valeX:NAME{N" (master) or "valeX:NAME}N" (slave),
 * N in 0..PTNET_PIPE_MAX_ID, optionally followed by "@conf:...", as
 * ptc_parse_portname does.  PN names the pair ("NAME{N" in pn->port and
 * pn->full, whichever end SPEC is); *END is PTNET_PIPE_MASTER or _SLAVE,
 * *ID is N.  0 or -EINVAL with ERR set.
 */
int ptc_parse_pipename(const char *spec, struct ptc_portname *pn, unsigned int *end,
		       unsigned int *id, struct ptnet_port_opts *o, unsigned int *given, char *err,
		       size_t errlen);

/* errno <-> symbolic name used on the wire ("EBUSY"). */
const char *ptc_errno_name(int err);
int ptc_errno_from_name(const char *name);

#endif /* PTNET_COMMON_H */
