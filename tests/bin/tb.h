/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tb.h - shared pieces of the test clients (header only: every tests/bin/X.c
 * is its own program linked with libptnet).
 *
 * Test frames (Ethernet, ethertype TB_ETH_DATA):
 *    0  dst MAC, 6 src MAC, 12 ethertype
 *   14  u32 TB_MAGIC_DATA
 *   18  u16 sender id
 *   20  u16 TX ring it was sent on
 *   22  u32 frame length
 *   26  u64 sequence number within the stream (sender id, ring)
 *   34  pattern bytes, a function of (id, ring, seq, offset)
 * Acks (TB_ETH_ACK) tell a windowed sender how many frames of a stream
 * arrived: 14 magic, 18 receiver id, 20 sender id, 22 ring, 24 u64 count.
 * Announcements (TB_ETH_HELLO) only make the switch learn a MAC.
 */
#ifndef PTNET_TESTS_TB_H
#define PTNET_TESTS_TB_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ptnet/ptnet.h>
#include "common/common.h"

#define TB_ETH_DATA    0x88b5
#define TB_ETH_ACK     0x88b6
#define TB_ETH_HELLO   0x88b7
#define TB_MAGIC_DATA  0x50545444u /* "PTTD" */
#define TB_MAGIC_ACK   0x50545441u
#define TB_MAGIC_HELLO 0x5054544eu
#define TB_HDR_LEN     34
#define TB_MAX_FRAME   65535
#define TB_MAX_IDS     256

static const char *tb_prog = "tb";

__attribute__((format(printf, 1, 2), noreturn, unused)) static void tb_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tb_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

__attribute__((format(printf, 1, 2), unused)) static void tb_log(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tb_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Status lines for the scripts: stdout, flushed at once. */
__attribute__((format(printf, 1, 2), unused)) static void tb_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static inline uint64_t tb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline void tb_put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}
static inline void tb_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static inline void tb_put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}
static inline uint16_t tb_get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}
static inline uint32_t tb_get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}
static inline uint64_t tb_get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint16_t tb_ethertype(const uint8_t *f)
{
	return (uint16_t)(f[12] << 8 | f[13]);
}

static inline uint64_t tb_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static inline uint64_t tb_seed(unsigned int id, unsigned int ring, uint64_t seq)
{
	return tb_mix((uint64_t)id << 48 ^ (uint64_t)ring << 40 ^ seq);
}

static inline uint8_t tb_pat(uint64_t seed, uint32_t i)
{
	uint32_t v = (uint32_t)seed ^ (i * 0x9e3779b1u) ^ (uint32_t)(seed >> 32);

	return (uint8_t)(v ^ v >> 13 ^ v >> 24);
}

/* --- frame sizes: "N", "A-B" (deterministic spread), "A,B,C" (cycle) --- */

struct tb_sizes {
	uint32_t v[64];
	unsigned int n;
	int range; /* v[0]..v[1] */
};

static inline int tb_parse_sizes(const char *s, struct tb_sizes *z)
{
	char buf[512], *save = NULL, *tok;
	uint32_t a, b;

	memset(z, 0, sizeof(*z));
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	if (sscanf(s, "%u-%u", &a, &b) == 2 && strchr(s, '-') && !strchr(s, ',')) {
		if (a < 14 + TB_HDR_LEN - 14 || b < a || b > TB_MAX_FRAME)
			return -EINVAL;
		z->v[0] = a;
		z->v[1] = b;
		z->n = 2;
		z->range = 1;
		return 0;
	}
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long v = strtoul(tok, &end, 10);

		if (*end || v < TB_HDR_LEN || v > TB_MAX_FRAME || z->n == 64)
			return -EINVAL;
		z->v[z->n++] = (uint32_t)v;
	}
	return z->n ? 0 : -EINVAL;
}

/* Size of frame SEQ: ranges start with both ends, then spread over the range. */
static inline uint32_t tb_size(const struct tb_sizes *z, uint64_t seq)
{
	if (z->range) {
		uint32_t span = z->v[1] - z->v[0] + 1;

		if (seq == 0)
			return z->v[0];
		if (seq == 1)
			return z->v[1];
		return z->v[0] + (uint32_t)(tb_mix(seq) % span);
	}
	return z->v[seq % z->n];
}

/* Build data frame SEQ of stream (ID, RING) in F (LEN bytes). */
static inline void tb_build(uint8_t *f, uint32_t len, const uint8_t dst[6], const uint8_t src[6],
			    unsigned int id, unsigned int ring, uint64_t seq)
{
	uint64_t seed = tb_seed(id, ring, seq);

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = TB_ETH_DATA >> 8;
	f[13] = TB_ETH_DATA & 0xff;
	tb_put32(f + 14, TB_MAGIC_DATA);
	tb_put16(f + 18, (uint16_t)id);
	tb_put16(f + 20, (uint16_t)ring);
	tb_put32(f + 22, len);
	tb_put64(f + 26, seq);
	for (uint32_t i = TB_HDR_LEN; i < len; i++)
		f[i] = tb_pat(seed, i);
}

/* Check a received data frame; returns NULL or what is wrong. */
static inline const char *tb_verify(const uint8_t *f, uint32_t len, uint32_t *bad_at)
{
	uint64_t seed;

	if (len < TB_HDR_LEN)
		return "shorter than the test header";
	if (tb_get32(f + 14) != TB_MAGIC_DATA)
		return "bad magic";
	if (tb_get32(f + 22) != len)
		return "length differs from the length written by the sender";
	seed = tb_seed(tb_get16(f + 18), tb_get16(f + 20), tb_get64(f + 26));
	for (uint32_t i = TB_HDR_LEN; i < len; i++)
		if (f[i] != tb_pat(seed, i)) {
			*bad_at = i;
			return "payload differs";
		}
	return NULL;
}

/* --- slot-level helpers over libptnet rings --- */

/* Copy LEN bytes of F into TX ring R from its head, cut to buffer size. */
static inline unsigned int tb_slots_for(const struct netmap_ring *r, uint32_t len)
{
	return len ? (len + r->nr_buf_size - 1) / r->nr_buf_size : 1;
}

static inline void tb_tx_put(struct netmap_ring *r, const uint8_t *f, uint32_t len)
{
	uint32_t off = 0, bs = r->nr_buf_size;

	do {
		struct netmap_slot *s = &r->slot[r->head];
		uint32_t l = len - off < bs ? len - off : bs;

		memcpy(NETMAP_BUF(r, s->buf_idx), f + off, l);
		s->len = (uint16_t)l;
		off += l;
		s->flags = off < len ? NS_MOREFRAG : 0;
		r->head = r->cur = nm_ring_next(r, r->head);
	} while (off < len);
}

/*
 * Take the next packet from RX ring R (between head and tail) into F.
 * Returns 1 with *LEN set, 0 if the ring is empty or the chain is not
 * complete yet, -1 if the chain is malformed.  Slots of length 0 without
 * NS_MOREFRAG (lease padding) come back as packets of length 0.
 */
static inline int tb_rx_take(struct netmap_ring *r, uint8_t *f, size_t max, uint32_t *len)
{
	uint32_t i = r->head, total = 0;

	while (i != r->tail) {
		const struct netmap_slot *s = &r->slot[i];

		if (total + s->len > max)
			return -1;
		if (s->len)
			memcpy(f + total, NETMAP_BUF(r, s->buf_idx), s->len);
		total += s->len;
		i = nm_ring_next(r, i);
		if (!(s->flags & NS_MOREFRAG)) {
			r->head = r->cur = i;
			*len = total;
			return 1;
		}
	}
	return 0;
}

/* --- signals: SIGTERM/SIGINT set tb_stop; tb_wait_signal blocks until one --- */

static volatile sig_atomic_t tb_stop;

static void tb_on_signal(int sig)
{
	(void)sig;
	tb_stop = 1;
}

static inline void tb_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tb_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Wait for SIGTERM/SIGINT, at most MAX_MS (then return -1). */
static inline int tb_wait_signal(uint64_t max_ms)
{
	uint64_t end = tb_now_ms() + max_ms;

	while (!tb_stop) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		if (tb_now_ms() >= end)
			return -1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static inline int tb_file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}


/* Internet checksum pieces for the offload tests (tb-gso, tb-csum). */
static inline uint32_t tb_sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (; n > 1; p += 2, n -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

static inline uint16_t tb_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

#endif
