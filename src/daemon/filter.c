// SPDX-License-Identifier: BSD-2-Clause
/* filter.c - see filter.h.  The interpreter is libpcap's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/bpf.h>
#include "daemon/filter.h"

struct ptd_filter {
	unsigned int n;
	struct bpf_insn insn[];
};

#define PRELUDE		(1 + BPF_MEMWORDS)	/* ld #0; st M[0..15] */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool hex_u32(const char *s, unsigned int digits, uint32_t *out)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < digits; i++) {
		int h = hexval(s[i]);

		if (h < 0)
			return false;
		v = v << 4 | (uint32_t)h;
	}
	*out = v;
	return true;
}

int ptd_filter_parse(const char *hex, struct ptd_filter **out, struct ptd_err *e)
{
	size_t len = strlen(hex);
	unsigned int n = (unsigned int)(len / 16);
	struct ptd_filter *f;

	if (!len || len % 16 || n > PTD_FILTER_MAX_INSNS)
		return ptd_err(e, -EINVAL, "filter= wants 1..%d BPF instructions, 16 lowercase hex "
			       "digits each", PTD_FILTER_MAX_INSNS);
	f = calloc(1, sizeof(*f) + (PRELUDE + n) * sizeof(f->insn[0]));
	if (!f)
		return ptd_err(e, -ENOMEM, "out of memory");
	f->n = PRELUDE + n;
	/*
	 * libpcap's bpf_validate lets a program load a scratch word M[k] it
	 * never stored, and bpf_filter keeps M[] on the stack uninitialized:
	 * a filter could read what earlier filters (other users') or other
	 * calls left there.  So every program starts by clearing M[]: "ld #0"
	 * then "st M[k]" for each k.  Jumps are relative: nothing to fix up.
	 */
	f->insn[0] = (struct bpf_insn){ .code = BPF_LD | BPF_IMM, .k = 0 };
	for (unsigned int k = 0; k < BPF_MEMWORDS; k++)
		f->insn[1 + k] = (struct bpf_insn){ .code = BPF_ST, .k = k };
	for (unsigned int i = 0; i < n; i++) {
		const char *s = hex + 16 * i;
		uint32_t code, jt, jf, k;

		if (!hex_u32(s, 4, &code) || !hex_u32(s + 4, 2, &jt) || !hex_u32(s + 6, 2, &jf) ||
		    !hex_u32(s + 8, 8, &k)) {
			free(f);
			return ptd_err(e, -EINVAL, "filter=: instruction %u is not hex", i);
		}
		f->insn[PRELUDE + i] = (struct bpf_insn){ .code = (u_short)code, .jt = (u_char)jt,
						.jf = (u_char)jf, .k = k };
	}
	/* A client's program: every jump and load checked before it ever runs. */
	if (!bpf_validate(f->insn, (int)f->n)) {
		free(f);
		return ptd_err(e, -EINVAL, "filter=: not a valid BPF program");
	}
	*out = f;
	return 0;
}

void ptd_filter_free(struct ptd_filter *f)
{
	free(f);
}

unsigned int ptd_filter_len(const struct ptd_filter *f)
{
	return f ? f->n - PRELUDE : 0;
}

bool ptd_filter_match(const struct ptd_filter *f, const uint8_t *frame, uint32_t buflen,
		      uint32_t wirelen)
{
	return bpf_filter(f->insn, frame, wirelen, buflen) != 0;
}
