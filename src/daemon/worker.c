// SPDX-License-Identifier: BSD-2-Clause
/*
 * worker.c - forwarding workers (the ptnetmap kernel threads' role).
 *
 * Each worker owns a set of client TX rings and sleeps in epoll_wait on
 * their kick pipes.  A kick makes a ring active: kicks are disabled in its
 * CSB and the worker polls all its active rings until none has had work for
 * the polling window; then it re-enables kicks with the double check and
 * sleeps again.  The window adapts between poll_min_us and poll_max_us: it
 * grows when a kick arrives soon after the worker went to sleep (a longer
 * poll would have saved the wakeup) and shrinks when traffic is sparse.
 * While polling the worker yields the CPU on its idle rounds (every one,
 * unless it has local clients: below), so on a small machine the clients
 * it serves still run.  Idle means asleep.
 *
 * With --pin-workers each worker stays on one CPU, and the TX rings of a
 * client pinned to a single CPU go to a worker on that CPU: the sender and
 * the forwarding of what it sends share the CPU, each one's idle rounds
 * (a full ring, an empty one) lend it to the other, and the frames are
 * copied while still in that CPU's cache.  Other rings go to the worker
 * with the fewest.
 *
 * Such local clients change how the worker yields.  Yielding on every idle
 * round hands the CPU to a client with nothing to do (a ping waiting for
 * its reply), which yields it back a few spins later: each of those turns
 * is a context switch, and the reply the worker is about to forward waits
 * for them.  So with local rings an idle round yields (ptd_local_yield)
 * only when a local client has packets it has not released
 * (local_rx_pending, over all local rings, asleep or not: it needs the CPU
 * to take them), after a pass took a quarter of a local ring or more (a
 * bulk sender, waiting for that room), or once the worker has held the
 * CPU PTD_LOCAL_SPIN_NS since its last yield, busy rounds included: a
 * local client that wants to send, which the worker cannot see, waits no
 * longer than that past the worker's next idle round.  Rounds with work
 * never yield, as without local rings, so a client's head (its garbage
 * too) can only make idle rounds yield, which is the default anyway.  A
 * busy-poll ping-pong with one worker, beside ping on its CPU (pong alone
 * on the other), then costs two context switches per round trip instead
 * of four (bench/README.md, "busy-poll ping-pong").
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "daemon/csb.h"
#include "daemon/fwd.h"
#include "daemon/log.h"
#include "daemon/worker.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void activate(struct ptd_worker *w, struct ptd_txq *q)
{
	if (q->active)
		return;
	ptnet_csb_kern_disable(q->ktoa);
	q->active = true;
	q->active_pos = w->nact;
	w->act[w->nact++] = q;
}

static void deactivate(struct ptd_worker *w, struct ptd_txq *q)
{
	unsigned int pos = q->active_pos;

	if (!q->active)
		return;
	q->active = false;
	w->act[pos] = w->act[--w->nact];
	w->act[pos]->active_pos = pos;
}

/*
 * Take what a kick pipe (or eventfd) holds, one bounded read: a client
 * flooding kicks must not keep its worker in read().  Level-triggered epoll
 * reports the rest later.  False if the writer hung up.
 */
static bool drain(int fd)
{
	char buf[4096];

	return read(fd, buf, sizeof(buf)) != 0;
}

/*
 * Does a local client have packets it has not released (a hint)?  All of
 * the worker's local rings, active or not: a client that only receives has
 * its TX ring asleep.
 */
static bool local_rx_pending(const struct ptd_worker *w)
{
	for (unsigned int i = 0; i < w->nloc; i++) {
		const struct ptd_port *p = w->loc[i]->port;

		for (unsigned int r = 0; r < p->nrx; r++) {
			const struct ptd_rxq *q = &p->rxq[r];

			if (ptnet_csb_kern_rx_pending(q->atok, PTNET_READ_ONCE(q->hwtail), q->nslots))
				return true;
		}
	}
	return false;
}

static void local_del(struct ptd_worker *w, const struct ptd_txq *q)
{
	for (unsigned int i = 0; i < w->nloc; i++)
		if (w->loc[i] == q) {
			w->loc[i] = w->loc[--w->nloc];
			return;
		}
}

/* Run queued commands; returns true on STOP. */
static bool run_cmds(struct ptd_worker *w)
{
	struct ptd_wcmd *c, *next;
	bool stop = false;

	pthread_mutex_lock(&w->cmd_lock);
	c = w->cmds;
	w->cmds = NULL;
	for (; c; c = next) {
		struct ptd_txq *q = c->txq;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = q };

		next = c->next;
		switch (c->op) {
		case PTD_WCMD_ADD:
			if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, q->kick_rfd, &ev) < 0)
				LOG_ERR("worker %u: epoll add: %s", w->id, strerror(errno));
			activate(w, q);
			if (q->local)
				w->loc[w->nloc++] = q;
			break;
		case PTD_WCMD_DEL:
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, q->kick_rfd, NULL);
			deactivate(w, q);
			local_del(w, q);
			break;
		case PTD_WCMD_STOP:
			stop = true;
			break;
		}
		c->done = true;
	}
	pthread_cond_broadcast(&w->cmd_cond);
	pthread_mutex_unlock(&w->cmd_lock);
	return stop;
}

static void *worker_main(void *arg)
{
	struct ptd_worker *w = arg;
	struct epoll_event ev[64];
	uint64_t last_work = now_ns(), slept_at = 0, t_prev = last_work, last_yield = 0;
	bool stop = false, owe = false;	/* owe: a local bulk sender waits for the CPU */

	while (!stop) {
		bool cmd = false, woke = false, sleep = !w->nact;
		unsigned int work = 0, kicks = 0;
		uint64_t t;
		int n;

		if (sleep)
			PTNET_WRITE_ONCE(w->ws.asleep_since, t_prev);
		n = epoll_wait(w->epfd, ev, 64, sleep ? -1 : 0);
		if (sleep) {
			t = now_ns();
			ptd_wstat_add(w->ws.sleep_ns, t - t_prev);
			PTNET_WRITE_ONCE(w->ws.asleep_since, 0);
			if (n > 0)
				ptd_wstat_add(w->ws.wakeups, 1);
			t_prev = t;
		}
		for (int i = 0; i < n; i++) {
			struct ptd_txq *q = ev[i].data.ptr;

			if (!q) {
				drain(w->cmd_efd);
				cmd = true;
				continue;
			}
			if (!drain(q->kick_rfd) || (ev[i].events & (EPOLLHUP | EPOLLERR))) {
				/*
				 * The client closed its kick pipe: stop watching it, or
				 * it would wake this worker forever.  The client can no
				 * longer wake its ring; that harms only itself.
				 */
				epoll_ctl(w->epfd, EPOLL_CTL_DEL, q->kick_rfd, NULL);
			}
			ptnet_stat_add(&q->port->st.kicks, 1);
			kicks++;
			if (!q->active) {
				activate(w, q);
				woke = true;
			}
		}
		if (kicks)
			ptd_wstat_add(w->ws.kicks, kicks);
		if (cmd)
			stop = run_cmds(w);
		for (unsigned int i = 0; i < w->nact; i++) {
			unsigned int c = ptd_txq_forward(w->act[i]);

			if (w->act[i]->local)
				owe |= c * 4 >= w->act[i]->nslots;
			if (c) {
				ptd_wstat_add(w->ws.batches[ptd_batch_bucket(c)], 1);
				ptd_wstat_add(w->ws.batch_slots, c);
				work += c;
			}
		}
		t = now_ns();
		if (work)
			ptd_wstat_add(w->ws.busy_ns, t - t_prev);
		else
			ptd_wstat_add(w->ws.poll_ns, t - t_prev);
		t_prev = t;
		if (woke && slept_at) {
			/* A kick after sleeping: would a longer poll have caught it? */
			w->poll_us = ptd_poll_adapt(w->poll_us, (t - slept_at) / 1000,
						    w->poll_min_us, w->poll_max_us);
			slept_at = 0;
		}
		if (work || woke) {
			last_work = t;
			continue;
		}
		if (!w->nact)
			continue;
		if (t - last_work < (uint64_t)w->poll_us * 1000) {
			if (ptd_local_yield(w->nloc, owe, t - last_yield,
					    w->nloc && local_rx_pending(w))) {
				sched_yield();
				last_yield = now_ns();
				owe = false;
			} else {
				ptnet_cpu_relax();
			}
			continue;
		}
		/* Window over: ask for kicks again, then re-check (N1 in csb.h). */
		for (unsigned int i = w->nact; i-- > 0;) {
			struct ptd_txq *q = w->act[i];

			if (ptnet_csb_kern_enable(q->ktoa, q->atok) != q->seen_head)
				ptnet_csb_kern_disable(q->ktoa);
			else
				deactivate(w, q);
		}
		if (w->nact)
			last_work = t;
		else
			slept_at = t;
	}
	return NULL;
}

static void post(struct ptd_worker *w, int op, struct ptd_txq *q)
{
	struct ptd_wcmd c = { .op = op, .txq = q };
	uint64_t one = 1;
	ssize_t r;

	pthread_mutex_lock(&w->cmd_lock);
	c.next = w->cmds;
	w->cmds = &c;
	r = write(w->cmd_efd, &one, sizeof(one));
	(void)r;
	while (!c.done)
		pthread_cond_wait(&w->cmd_cond, &w->cmd_lock);
	pthread_mutex_unlock(&w->cmd_lock);
}

/* The one CPU process PID may run on, or -1 (several, or unknown). */
static int only_cpu(pid_t pid)
{
	cpu_set_t set;
	int cpu = -1;

	if (pid <= 0 || sched_getaffinity(pid, sizeof(set), &set) < 0 || CPU_COUNT(&set) != 1)
		return -1;
	for (int c = 0; c < CPU_SETSIZE && cpu < 0; c++)
		if (CPU_ISSET(c, &set))
			cpu = c;
	return cpu;
}

void ptd_worker_add(struct ptd *d, struct ptd_txq *q)
{
	int cpu = d->workers[0].cpu >= 0 ? only_cpu(q->port->pid) : -1;
	struct ptd_worker *best = NULL;

	/* A pinned client's rings: the least loaded worker on its CPU, if any. */
	for (unsigned int i = 0; cpu >= 0 && i < d->nworkers; i++)
		if (d->workers[i].cpu == cpu && (!best || d->workers[i].ntxq < best->ntxq))
			best = &d->workers[i];
	if (!best) {
		best = &d->workers[0];
		for (unsigned int i = 1; i < d->nworkers; i++)
			if (d->workers[i].ntxq < best->ntxq)
				best = &d->workers[i];
	}
	best->ntxq++;
	q->worker = best;
	q->local = cpu >= 0 && best->cpu == cpu;
	best->nlocal += q->local;
	post(best, PTD_WCMD_ADD, q);
}

void ptd_worker_del(struct ptd_txq *q)
{
	if (!q->worker)
		return;
	post(q->worker, PTD_WCMD_DEL, q);
	q->worker->ntxq--;
	q->worker->nlocal -= q->local;
	q->worker = NULL;
}

int ptd_workers_start(struct ptd *d)
{
	int cpus[CPU_SETSIZE], ncpus = 0;
	cpu_set_t set;

	d->nworkers = d->cfg.nworkers;
	d->workers = calloc(d->nworkers, sizeof(*d->workers));
	if (!d->workers)
		return -ENOMEM;
	/* --pin-workers: the CPUs ptnetd may use (systemd's CPUAffinity=, taskset), in order. */
	if (d->cfg.pin_workers && sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &set))
				cpus[ncpus++] = c;
	for (unsigned int i = 0; i < d->nworkers; i++) {
		struct ptd_worker *w = &d->workers[i];
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
		pthread_attr_t attr;
		int ret;

		w->id = i;
		w->cpu = ncpus ? cpus[i % (unsigned int)ncpus] : -1;
		w->poll_min_us = d->cfg.poll_min_us;
		w->poll_max_us = d->cfg.poll_max_us;
		w->poll_us = w->poll_min_us;
		pthread_mutex_init(&w->cmd_lock, NULL);
		pthread_cond_init(&w->cmd_cond, NULL);
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		w->cmd_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (w->epfd < 0 || w->cmd_efd < 0 ||
		    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->cmd_efd, &ev) < 0)
			return -errno;
		pthread_attr_init(&attr);
		if (w->cpu >= 0) {
			CPU_ZERO(&set);
			CPU_SET(w->cpu, &set);
			pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		}
		ret = pthread_create(&w->thread, &attr, worker_main, w);
		pthread_attr_destroy(&attr);
		if (ret)
			return -ret;
	}
	return 0;
}

void ptd_workers_stop(struct ptd *d)
{
	for (unsigned int i = 0; i < d->nworkers; i++) {
		struct ptd_worker *w = &d->workers[i];

		post(w, PTD_WCMD_STOP, NULL);
		pthread_join(w->thread, NULL);
		close(w->epfd);
		close(w->cmd_efd);
		pthread_mutex_destroy(&w->cmd_lock);
		pthread_cond_destroy(&w->cmd_cond);
	}
	free(d->workers);
	d->workers = NULL;
}
