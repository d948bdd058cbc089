/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * barrier.h - the only memory-ordering vocabulary of ptnet user space.
 *
 * Shared-memory fields stay plain uint32_t in the ABI structs; ordering is
 * applied at the access site through these five primitives (liburing style).
 * Nothing outside barrier.h, ring.h and the sync code may use atomics or
 * fences directly.
 */
#ifndef PTNET_BARRIER_H
#define PTNET_BARRIER_H

/* A single, untorn access the compiler may neither split, merge nor elide. */
#define PTNET_READ_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define PTNET_WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* Load that orders every later load and store after it. */
#define ptnet_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)

/* Store that orders every earlier load and store before it. */
#define ptnet_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

/*
 * Full barrier: orders earlier stores before later loads.  Needed by every
 * "enable notifications, then re-check" sequence (the double check).
 */
#define ptnet_smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

/* Relaxed counter add for statistics shared between threads. */
#define ptnet_stat_add(p, v)	__atomic_fetch_add((p), (v), __ATOMIC_RELAXED)

/* Relaxed compare-and-swap: *p = v if *p == *expected (else *expected = *p). */
#define ptnet_cas(p, expected, v) \
	__atomic_compare_exchange_n((p), (expected), (v), 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)

/* Spin-wait hint. */
#if defined(__x86_64__) || defined(__i386__)
#define ptnet_cpu_relax()	__builtin_ia32_pause()
#else
#define ptnet_cpu_relax()	__atomic_signal_fence(__ATOMIC_SEQ_CST)
#endif

#endif /* PTNET_BARRIER_H */
