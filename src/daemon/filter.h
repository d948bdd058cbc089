/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * filter.h - BPF filters of monitor ports: programs compiled by the client
 * with libpcap (pcap_compile), sent as hex, validated with libpcap's
 * bpf_validate and run with its bpf_filter on the frames a monitor would
 * get, before they are copied.
 */
#ifndef PTNETD_FILTER_H
#define PTNETD_FILTER_H

#include <stdbool.h>
#include <stdint.h>
#include "daemon/err.h"

#define PTD_FILTER_MAX_INSNS	512

struct ptd_filter;

/*
 * HEX: 16 hex digits per instruction (code:16 jt:8 jf:8 k:32, big endian
 * fields in that order).  0 and *OUT, or -EINVAL with E set.
 */
int ptd_filter_parse(const char *hex, struct ptd_filter **out, struct ptd_err *e);
void ptd_filter_free(struct ptd_filter *f);
/* Instructions of the client's program (without ptnetd's prelude); 0 for NULL. */
unsigned int ptd_filter_len(const struct ptd_filter *f);

/* Does FRAME (BUFLEN bytes of a WIRELEN-byte Ethernet frame) pass? */
bool ptd_filter_match(const struct ptd_filter *f, const uint8_t *frame, uint32_t buflen,
		      uint32_t wirelen);

#endif
