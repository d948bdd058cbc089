// SPDX-License-Identifier: BSD-2-Clause
/*
 * stress_csb - the CSB protocol of ring.h between two threads, as ptnetd
 * and a client use it on a TX ring, over a plain in-memory netmap ring:
 *
 *   producer ("application"): fills slots, publishes head with
 *     ptnet_csb_appl_write (A1), kicks through a pipe only when
 *     ptnet_csb_appl_need_kick says so; when the ring is full it reads
 *     hwtail (A2), and before sleeping enables notifications with
 *     ptnet_csb_appl_enable (double check) and waits on the irq pipe;
 *   consumer ("kernel"): reads head with ptnet_csb_kern_read (K2),
 *     verifies and frees the slots, publishes hwcur/hwtail with
 *     ptnet_csb_kern_write (K1) and notifies only if
 *     ptnet_csb_kern_need_irq; when idle it enables kicks with
 *     ptnet_csb_kern_enable (double check) and sleeps on the kick pipe.
 *
 * Every item must arrive once, in order, with its slot contents intact.
 * A side that sleeps 10 s while the other has work for it has lost a
 * wakeup: the test fails.  Built and run under TSan too, which checks the
 * slot accesses are ordered by the acquire/release pairs.
 * Usage: stress_csb [ITEMS]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "daemon/csb.h"
#include "t.h"

#if defined(__SANITIZE_THREAD__)
#define DEF_ITEMS 2000000ull
#elif defined(__SANITIZE_ADDRESS__)
#define DEF_ITEMS 4000000ull
#else
#define DEF_ITEMS 8000000ull
#endif
#define NSLOTS	       128
#define SLEEP_LIMIT_MS 10000
#define SPINS	       200

static struct {
	struct netmap_ring hdr;
	struct netmap_slot slot[NSLOTS];
} ringmem __attribute__((aligned(128)));
static struct netmap_slot *slots = ringmem.slot;
static struct nm_csb_atok atok __attribute__((aligned(64)));
static struct nm_csb_ktoa ktoa __attribute__((aligned(64)));
static int kick[2], irq[2];
static uint64_t items;
static atomic_int failed;

static struct {
	uint64_t kicks, irqs, psleeps, csleeps, precheck, crecheck;
} st;

static void fail(const char *fmt, const char *who, unsigned long long a, unsigned long long b)
{
	fprintf(stderr, "FAIL %s: ", who);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	atomic_store(&failed, 1);
}

static void drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void notify(int fd)
{
	static const char one = 1;
	ssize_t r = write(fd, &one, 1); /* EAGAIN: already pending */

	(void)r;
}

/* Sleep on FD; returns 0 when woken, -1 after SLEEP_LIMIT_MS. */
static int sleep_on(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do {
		r = poll(&p, 1, SLEEP_LIMIT_MS);
	} while (r < 0 && errno == EINTR);
	return r > 0 ? 0 : -1;
}

static uint64_t rnd_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Put the two sides on two different CPUs when there are two: true parallelism. */
static int cpus[2] = { -1, -1 };

static void pick_cpus(void)
{
	cpu_set_t cs;
	int n = 0;

	if (sched_getaffinity(0, sizeof(cs), &cs))
		return;
	for (int i = 0; i < CPU_SETSIZE && n < 2; i++)
		if (CPU_ISSET(i, &cs))
			cpus[n++] = i;
	if (n < 2)
		cpus[0] = cpus[1] = -1;
}

static void pin(int which)
{
	cpu_set_t cs;

	if (cpus[which] < 0)
		return;
	CPU_ZERO(&cs);
	CPU_SET(cpus[which], &cs);
	pthread_setaffinity_np(pthread_self(), sizeof(cs), &cs);
}

static void publish(uint32_t head)
{
	ptnet_csb_appl_write(&atok, head, head); /* A1 */
	if (ptnet_csb_appl_need_kick(&ktoa)) {
		notify(kick[1]);
		st.kicks++;
	}
}

/*
 * Wait until hwtail differs from OLD (ALL == 0: some room) or equals
 * head - 1 (ALL == 1: the consumer took everything).  Returns the new
 * hwtail, or NSLOTS on failure.
 */
static uint32_t wait_tail(uint32_t old, uint32_t head, int all)
{
	uint32_t goal = head ? head - 1 : NSLOTS - 1, hwtail, hwcur;

	for (;;) {
		for (int i = 0; i < SPINS; i++) {
			ptnet_csb_appl_read(&ktoa, &hwtail, &hwcur); /* A2 */
			if (all ? hwtail == goal : hwtail != old)
				return hwtail;
			ptnet_cpu_relax();
		}
		/* N1, application side: enable, full barrier, re-check. */
		hwtail = ptnet_csb_appl_enable(&atok, &ktoa);
		if (all ? hwtail == goal : hwtail != old) {
			st.precheck++;
		} else {
			st.psleeps++;
			if (sleep_on(irq[0])) {
				ptnet_csb_appl_read(&ktoa, &hwtail, &hwcur);
				fail("slept %llu ms waiting for the consumer; hwtail now %llu",
				     "producer", SLEEP_LIMIT_MS, hwtail);
				return NSLOTS;
			}
			drain(irq[0]);
		}
		ptnet_csb_appl_disable(&atok);
		ptnet_csb_appl_read(&ktoa, &hwtail, &hwcur);
		if (hwtail >= NSLOTS) {
			fail("hwtail %llu out of range (ring of %llu)", "producer", hwtail, NSLOTS);
			return NSLOTS;
		}
		if (all ? hwtail == goal : hwtail != old)
			return hwtail;
	}
}

static void *producer(void *arg)
{
	uint32_t head = 0, tail = NSLOTS - 1, batch = 0, want = 1;
	uint64_t seq = 0;

	(void)arg;
	pin(0);
	while (seq < items && !atomic_load(&failed)) {
		if (head == tail) {
			/* Ring full: publish what we have, wait for room. */
			if (batch)
				publish(head);
			batch = 0;
			tail = wait_tail(tail, head, 0);
			if (tail >= NSLOTS)
				break;
			continue;
		}
		slots[head].buf_idx = (uint32_t)seq;
		slots[head].len = (uint16_t)(seq * 7);
		slots[head].flags = (uint16_t)(seq >> 32);
		slots[head].ptr = seq ^ 0x5555aaaa5555aaaaull;
		head = head + 1 == NSLOTS ? 0 : head + 1;
		seq++;
		if (++batch < want && seq < items)
			continue;
		publish(head);
		batch = 0;
		want = 1 + (uint32_t)(rnd() % 48);
		switch (rnd() % 8) {
		case 0:
		case 1:
			/*
			 * Ping-pong: wait until the consumer took everything.  Every
			 * lost kick (or lost irq) now hangs both sides, and is caught.
			 */
			tail = wait_tail(tail, head, 1);
			if (tail >= NSLOTS)
				return NULL;
			break;
		case 2: sched_yield(); break;
		}
	}
	return NULL;
}

static void *consumer(void *arg)
{
	uint32_t hwcur = 0, head, cur;
	uint64_t expect = 0;

	(void)arg;
	pin(1);
	while (expect < items && !atomic_load(&failed)) {
		ptnet_csb_kern_read(&atok, &head, &cur); /* K2 */
		if (head >= NSLOTS) {
			fail("head %llu out of range (ring of %llu)", "consumer", head, NSLOTS);
			break;
		}
		if (head == hwcur) {
			int i;

			for (i = 0; i < SPINS && head == hwcur; i++) {
				ptnet_cpu_relax();
				ptnet_csb_kern_read(&atok, &head, &cur);
			}
			if (head != hwcur)
				continue;
			/* N1, kernel side: enable, full barrier, re-check. */
			head = ptnet_csb_kern_enable(&ktoa, &atok);
			if (head != hwcur) {
				st.crecheck++;
			} else {
				st.csleeps++;
				if (sleep_on(kick[0])) {
					ptnet_csb_kern_read(&atok, &head, &cur);
					fail("slept %llu ms with an empty ring; head now %llu",
					     "consumer", SLEEP_LIMIT_MS, head);
					break;
				}
				drain(kick[0]);
			}
			ptnet_csb_kern_disable(&ktoa);
			continue;
		}
		while (hwcur != head) {
			const struct netmap_slot *s = &slots[hwcur];

			if (s->buf_idx != (uint32_t)expect || s->len != (uint16_t)(expect * 7) ||
			    s->flags != (uint16_t)(expect >> 32) ||
			    s->ptr != (expect ^ 0x5555aaaa5555aaaaull)) {
				fail("item %llu: slot holds item %llu (lost, reordered or torn)",
				     "consumer", expect, s->buf_idx);
				return NULL;
			}
			expect++;
			hwcur = hwcur + 1 == NSLOTS ? 0 : hwcur + 1;
		}
		/* K1: give the slots back (TX ring: hwtail = hwcur - 1). */
		ptnet_csb_kern_write(&ktoa, hwcur, hwcur ? hwcur - 1 : NSLOTS - 1);
		if (ptnet_csb_kern_need_irq(&atok)) {
			notify(irq[1]);
			st.irqs++;
		}
	}
	if (!atomic_load(&failed) && expect != items)
		fail("received %llu of %llu items", "consumer", expect, items);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t p, c;
	struct timespec t0, t1;

	items = argc > 1 ? strtoull(argv[1], NULL, 0) : DEF_ITEMS;
	REQUIRE(items > 0, "item count");
	pick_cpus();
	*(uint32_t *)&ringmem.hdr.num_slots = NSLOTS;
	REQUIRE(pipe2(kick, O_NONBLOCK | O_CLOEXEC) == 0, "pipe");
	REQUIRE(pipe2(irq, O_NONBLOCK | O_CLOEXEC) == 0, "pipe");
	ktoa.hwcur = 0;
	ktoa.hwtail = NSLOTS - 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	REQUIRE(pthread_create(&c, NULL, consumer, NULL) == 0, "pthread_create");
	REQUIRE(pthread_create(&p, NULL, producer, NULL) == 0, "pthread_create");
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("stress_csb: %llu items through %d slots in %.2f s: %llu kicks, %llu irqs, "
	       "consumer slept %llu times (re-check caught %llu), producer slept %llu times "
	       "(re-check caught %llu)\n",
	       (unsigned long long)items, NSLOTS,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       (unsigned long long)st.kicks, (unsigned long long)st.irqs,
	       (unsigned long long)st.csleeps, (unsigned long long)st.crecheck,
	       (unsigned long long)st.psleeps, (unsigned long long)st.precheck);
	CHECK(!atomic_load(&failed), "every item delivered once and in order, no lost wakeup");
	return t_done("stress_csb");
}
