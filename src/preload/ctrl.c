// SPDX-License-Identifier: BSD-2-Clause
/*
 * ctrl.c - /dev/netmap's ioctls: NIOCCTRL (struct nmreq_header), the legacy
 * NIOCGINFO/NIOCREGIF (struct nmreq), NIOCTXSYNC/NIOCRXSYNC; the mem
 * objects (one libptnet port each) and the netmap_if of each registration.
 *
 * User pointers (the ioctl argument, nr_body, nr_options and each option)
 * are read and written with process_vm_readv/writev on our own pid, so a
 * bad pointer is EFAULT, as in the kernel, never a crash.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <net/if.h>
#include <unistd.h>
#include "preload/preload.h"

static struct pnm_mem *g_mems;
static uint16_t g_next_mem_id = 2;	/* 1 is netmap's global allocator */

/* --- user memory --- */

static int copy_in(void *dst, uint64_t src, size_t len)
{
	struct iovec l = { dst, len }, r = { (void *)(uintptr_t)src, len };

	if (!src)
		return -EFAULT;
	return process_vm_readv(getpid(), &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

static int copy_out(uint64_t dst, const void *src, size_t len)
{
	struct iovec l = { (void *)src, len }, r = { (void *)(uintptr_t)dst, len };

	if (!dst)
		return -EFAULT;
	return process_vm_writev(getpid(), &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

/* --- mems --- */

struct pnm_mem *pnm_mem_at(const void *addr)
{
	for (struct pnm_mem *m = g_mems; m; m = m->next)
		if (!m->parent && (const uint8_t *)addr >= m->base &&
		    (const uint8_t *)addr < m->base + m->size)
			return m;
	return NULL;
}


static struct pnm_mem *mem_by_name(const char *name)
{
	for (struct pnm_mem *m = g_mems; m; m = m->next)
		if (!strcmp(m->name, name))
			return m;
	return NULL;
}

static struct pnm_mem *mem_by_id(uint16_t id)
{
	for (struct pnm_mem *m = g_mems; m; m = m->next)
		if (m->mem_id == id)
			return m;
	return NULL;
}

void pnm_mem_put(struct pnm_mem *m)
{
	struct pnm_mem **pp;

	if (m->users || m->maps)
		return;
	for (pp = &g_mems; *pp && *pp != m; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = m->next;
	if (!m->parent)
		real.munmap(m->base, m->size);	/* a child's view is its parent's */
	real.munmap(m->sh, PNM_SHADOW_SIZE);
	ptnet_port_close(m->port);
	pnm_dbg("mem_id %u (%s) released", m->mem_id, m->name);
	if (m->parent) {
		m->parent->users--;
		pnm_mem_put(m->parent);
	}
	free(m->xfree);
	free(m);
}

static uint32_t reg32(const struct pnm_mem *m, unsigned int off)
{
	return *(const uint32_t *)(m->region + PTNET_REGS_BASE + off);
}

/* libptnet's mapping of the region (a pipe end's: its own region or its port's). */
static uint8_t *lib_region(struct pnm_mem *m)
{
	size_t size;
	uint8_t *r = ptnet_port_region(m->port, &size);

	return size == ptnet_port_info(m->port)->region_size ? r : NULL;
}

/* Our view of the port: the netmap_if area, then the region a second time. */
static int mem_map(struct pnm_mem *m)
{
	size_t rsize = ptnet_port_info(m->port)->region_size;
	uint8_t *lib = lib_region(m), *p;
	int err;

	if (!lib)
		return -EPROTO;
	m->size = PNM_IF_AREA + rsize;
	p = real.mmap(NULL, m->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	/* Shared, so that a forked child and its parent see the same netmap_ifs. */
	if (real.mmap(p, PNM_IF_AREA, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		goto fail;
	/*
	 * old_size 0 on a shared mapping makes a second mapping of the same
	 * pages (mremap(2)): no memfd needed, libptnet keeps its own.
	 */
	if (mremap(lib, 0, rsize, MREMAP_MAYMOVE | MREMAP_FIXED, p + PNM_IF_AREA) == MAP_FAILED) {
		/*
		 * A guest's device memory (a PFN mapping of the BAR) cannot be
		 * remapped: map the device file a second time instead.
		 */
		if (!m->guest || real.mmap(p + PNM_IF_AREA, rsize, PROT_READ | PROT_WRITE,
					   MAP_SHARED | MAP_FIXED, ptnet_ring_fd(m->port, 0, 0),
					   0) == MAP_FAILED)
			goto fail;
	}
	m->sh = real.mmap(NULL, PNM_SHADOW_SIZE, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m->sh == MAP_FAILED) {
		m->sh = NULL;
		goto fail;
	}
	m->base = p;
	m->region = p + PNM_IF_AREA;
	m->lib = lib;
	return 0;
fail:
	err = errno;
	real.munmap(p, m->size);
	return -err;
}

/* Ring I (TX first) in our view: where libptnet has it (a pipe end has 2 of 4). */
static struct netmap_ring *mem_ring(const struct pnm_mem *m, unsigned int i)
{
	struct netmap_ring *lr = i < m->ntx ? ptnet_port_txring(m->port, i) :
					      ptnet_port_rxring(m->port, i - m->ntx);

	return (struct netmap_ring *)(m->region + ((uint8_t *)lr - m->lib));
}

static int map_open_error(int err)
{
	switch (err) {
	case -ENOENT:
	case -ECONNREFUSED:
	case -EPROTO:
	case -EPIPE:
		return -ENXIO;	/* no ptnetd: as if there were no such device */
	case -ENOSPC:
		return -ENOMEM;
	default:
		return err;
	}
}

static uint32_t fit_slots(uint32_t n)
{
	uint32_t s = PTNET_MIN_SLOTS;

	if (n == 0)
		return PTNET_DEF_SLOTS;
	while (s < n && s < PTNET_MAX_SLOTS)
		s <<= 1;
	return s;
}

static uint16_t fit_rings(uint16_t n)
{
	return n == 0 ? 1 : n > PTNET_MAX_RINGS ? PTNET_MAX_RINGS : n;
}

/* --- extra buffers --- */

static uint32_t *xbuf(const struct pnm_mem *m, uint32_t idx)
{
	return (uint32_t *)(m->bufs + (size_t)idx * ptnet_port_info(m->port)->buf_size);
}

/* All the port's extra buffers are free: the last xnum of the pool. */
static int extra_init(struct pnm_mem *m)
{
	const struct ptnet_port_info *in = ptnet_port_info(m->port);

	/* Read once at attach (libptnet checked them): the program may scribble on the region. */
	m->bufs = m->region + reg32(m, PTNET_IO_X_BUF_OFS);
	m->xnum = in->extra_bufs;
	m->nxfree = 0;
	if (!m->xnum)
		return 0;
	m->xfree = malloc(sizeof(*m->xfree) * m->xnum);
	if (!m->xfree)
		return -ENOMEM;
	for (uint32_t i = 0; i < m->xnum; i++)
		m->xfree[m->nxfree++] = in->buf_num - 1 - i;
	return 0;
}

/*
 * Hand up to WANT free extra buffers to F: a list from ni_bufs_head, each
 * buffer's first 4 bytes holding the next index, 0 ending it.  The count.
 */
static uint32_t extra_grant(struct pnm_file *f, uint32_t *bufs_head, uint32_t want)
{
	struct pnm_mem *m = f->mem;
	uint32_t n = want < m->nxfree ? want : m->nxfree, head = 0;

	for (uint32_t k = 0; k < n; k++) {
		uint32_t idx = m->xfree[--m->nxfree];

		*xbuf(m, idx) = head;
		head = idx;
	}
	*bufs_head = head;
	f->nextra = n;
	return n;
}

/*
 * The program gives its extra buffers back as the list at ni_bufs_head
 * when it closes (netmap frees that list).  The indices may not be the
 * ones granted (the program swaps buffers with its rings), so any buffer
 * is taken that is real (in [2, buf_num)), in no ring, not free already
 * and not seen twice, and never more than F was granted: a wrong list
 * costs the program its own buffers, never our bookkeeping.
 */
static void extra_take_back(struct pnm_file *f, uint32_t *bufs_head)
{
	struct pnm_mem *m = f->mem;
	const struct ptnet_port_info *in = ptnet_port_info(m->port);
	uint32_t n = 0, idx = PTNET_READ_ONCE(*bufs_head);
	uint8_t *seen;

	*bufs_head = 0;
	if (!f->nextra)
		return;
	seen = calloc(in->buf_num, 1);
	if (!seen) {
		pnm_dbg("%s: out of memory: %u extra buffers lost", m->name, f->nextra);
		return;
	}
	seen[0] = seen[1] = 1;
	for (unsigned int i = 0; i < m->ntx + m->nrx; i++) {
		/* libptnet's ring pointers, not ring_ofs (which the program can write). */
		struct netmap_ring *r = i < m->ntx ? ptnet_port_txring(m->port, i) :
						     ptnet_port_rxring(m->port, i - m->ntx);
		uint32_t ns = i < m->ntx ? in->tx_slots : in->rx_slots;

		for (uint32_t k = 0; k < ns; k++) {
			uint32_t b = PTNET_READ_ONCE(r->slot[k].buf_idx);

			if (b < in->buf_num)
				seen[b] = 1;
		}
	}
	for (uint32_t k = 0; k < m->nxfree; k++)
		seen[m->xfree[k]] = 1;
	while (idx && n < f->nextra && idx < in->buf_num && !seen[idx]) {
		seen[idx] = 1;
		m->xfree[m->nxfree++] = idx;
		n++;
		idx = PTNET_READ_ONCE(*xbuf(m, idx));
	}
	free(seen);
	if (n < f->nextra)
		pnm_dbg("%s: %u of %u extra buffers given back (list ends at %u)", m->name, n,
			f->nextra, idx);
	f->nextra = 0;
}

/*
 * $PTNET_PIPES=K: the ports this process opens reserve room for K pipe
 * pairs sharing their memory (lb's "PORT{k" with PORT's mem_id).
 */
static uint32_t env_pipes(void)
{
	const char *v = getenv("PTNET_PIPES");
	unsigned long k = v ? strtoul(v, NULL, 10) : 0;

	return k > PTNET_MAX_PIPES ? PTNET_MAX_PIPES : (uint32_t)k;
}

static int mem_open(const char *name, const struct nmreq_register *r, struct pnm_mem **mp)
{
	struct ptnet_port_opts o = { 0 };
	struct pnm_mem *m;
	int ret;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	o.tx_rings = fit_rings(r->nr_tx_rings);
	o.rx_rings = fit_rings(r->nr_rx_rings);
	o.tx_slots = fit_slots(r->nr_tx_slots);
	o.rx_slots = fit_slots(r->nr_rx_slots);
	o.extra_bufs = r->nr_extra_bufs > PTNET_MAX_EXTRA_BUFS ? PTNET_MAX_EXTRA_BUFS :
								  r->nr_extra_bufs;
	m->guest = pnm_guest_is_dev(name);
	if (!m->guest && !strpbrk(name, "{}"))
		o.pipes = env_pipes();
	ret = ptnet_port_open(name, &o, &m->port);
	if (o.extra_bufs && (ret == -ENOMEM || ret == -EDQUOT || ret == -ENOSPC)) {
		/* netmap grants fewer extra buffers than asked, down to none. */
		pnm_dbg("%s: no room for %u extra buffers (%s), none granted", name, o.extra_bufs,
			ptnet_errmsg());
		o.extra_bufs = 0;
		ret = ptnet_port_open(name, &o, &m->port);
	}
	if (ret) {
		pnm_dbg("cannot open %s: %s", name, ptnet_errmsg());
		if (!m->guest && pnm_in_guest())
			pnm_dbg("inside a VM guest only the ptnet NIC's own rings are served "
				"(netmap:ethN or ptnetN); VALE ports are the host's");
		free(m);
		return map_open_error(ret);
	}
	ret = mem_map(m);
	if (ret) {
		pnm_dbg("cannot map %s: %s", name, strerror(-ret));
		ptnet_port_close(m->port);
		free(m);
		return ret;
	}
	ret = extra_init(m);
	if (ret) {
		real.munmap(m->base, m->size);
		real.munmap(m->sh, PNM_SHADOW_SIZE);
		ptnet_port_close(m->port);
		free(m);
		return ret;
	}
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->ntx = ptnet_port_info(m->port)->tx_rings;
	m->nrx = ptnet_port_info(m->port)->rx_rings;
	for (unsigned int i = 0; i < m->ntx + m->nrx; i++) {
		struct netmap_ring *ring = mem_ring(m, i);

		m->sh[i].rhead = ring->head;
		m->sh[i].rtail = ring->tail;
	}
	do {
		m->mem_id = g_next_mem_id++;
	} while (m->mem_id < 2 || mem_by_id(m->mem_id));
	m->next = g_mems;
	g_mems = m;
	pnm_dbg("%s: mem_id %u, %u+%u rings, %zu bytes", name, m->mem_id, m->ntx, m->nrx, m->size);
	*mp = m;
	return 0;
}

/*
 * The port of this process whose memory pipe end NAME ("valeX:P{N" or "}N")
 * lives in: P open here, with room for pipes (pipes=K), and MEM_ID its
 * mem_id or 0 (netmap's pipes share their port's allocator).  NULL if none.
 */
static struct pnm_mem *pipe_parent(const char *name, uint16_t mem_id)
{
	char pname[NETMAP_REQ_IFNAMSIZ];
	struct pnm_mem *par;
	size_t n = strcspn(name, "{}");

	if (!name[n] || n >= sizeof(pname))
		return NULL;
	memcpy(pname, name, n);
	pname[n] = '\0';
	par = mem_by_name(pname);
	if (!par || par->parent || par->guest || !ptnet_port_info(par->port)->pipes ||
	    (mem_id && mem_id != par->mem_id))
		return NULL;
	return par;
}

/* Pipe end NAME in PAR's memory: its own libptnet port, PAR's view and mem_id. */
static int mem_open_child(const char *name, struct pnm_mem *par, struct pnm_mem **mp)
{
	const struct ptnet_port_info *pi, *ppi = ptnet_port_info(par->port);
	struct pnm_mem *m = calloc(1, sizeof(*m));
	int ret;

	if (!m)
		return -ENOMEM;
	ret = ptnet_port_open(name, NULL, &m->port);
	if (ret) {
		pnm_dbg("cannot open %s: %s", name, ptnet_errmsg());
		free(m);
		return map_open_error(ret);
	}
	pi = ptnet_port_info(m->port);
	m->lib = lib_region(m);
	/* ptnetd put the pair in the port's room: the same region, the same pool. */
	if (!m->lib || pi->region_size != ppi->region_size || pi->buf_num != ppi->buf_num ||
	    memcmp(m->lib + PTNET_HDR_NAME, par->region + PTNET_HDR_NAME, 64)) {
		pnm_dbg("%s: not in the memory of %s (mem_id %u)", name, par->name, par->mem_id);
		ptnet_port_close(m->port);
		free(m);
		return -EINVAL;
	}
	m->sh = real.mmap(NULL, PNM_SHADOW_SIZE, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m->sh == MAP_FAILED) {
		ret = -errno;
		ptnet_port_close(m->port);
		free(m);
		return ret;
	}
	m->parent = par;
	par->users++;
	m->base = par->base;
	m->size = par->size;
	m->region = par->region;
	m->bufs = par->bufs;
	m->mem_id = par->mem_id;
	m->ntx = pi->tx_rings;
	m->nrx = pi->rx_rings;
	snprintf(m->name, sizeof(m->name), "%s", name);
	for (unsigned int i = 0; i < m->ntx + m->nrx; i++) {
		struct netmap_ring *ring = mem_ring(m, i);

		m->sh[i].rhead = ring->head;
		m->sh[i].rtail = ring->tail;
	}
	m->next = g_mems;
	g_mems = m;
	pnm_dbg("%s: in the memory of %s, mem_id %u", name, par->name, m->mem_id);
	*mp = m;
	return 0;
}

/* --- names --- */

static int is_id(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/*
 * The name as the kernel gets it (libnetmap has taken the suffixes off).
 * Returns 0 for "valeX:Y", or the errno netmap gives.
 */
static int check_name(const char *name)
{
	const char *c, *colon;

	if (strnlen(name, NETMAP_REQ_IFNAMSIZ) == NETMAP_REQ_IFNAMSIZ) {
		pnm_dbg("port name is not NUL-terminated within %d bytes", NETMAP_REQ_IFNAMSIZ);
		return -EINVAL;
	}
	if (pnm_guest_is_dev(name))
		return 0;	/* a ptnet NIC in a guest (guest.c) */
	if (strncmp(name, "vale", 4)) {
		pnm_dbg("'%s': only VALE ports (valeX:Y) are served by ptnet", name);
		return -ENXIO;
	}
	colon = strchr(name, ':');
	if (!colon) {
		pnm_dbg("'%s': not a VALE port name (valeX:Y)", name);
		return -ENXIO;
	}
	for (c = name + 4; c < colon; c++)
		if (!is_id(*c))
			return -EINVAL;
	if (!colon[1])
		return -EINVAL;
	for (c = colon + 1; *c; c++) {
		if ((*c == '{' || *c == '}') && c > colon + 1 && c[1]) {
			/* A pipe end: {N or }N ends the name (pipe.c of libptnet checks N). */
			for (c++; *c >= '0' && *c <= '9'; c++)
				;
			if (*c) {
				pnm_dbg("'%s': a pipe end is NAME{N or NAME}N", name);
				return -EINVAL;
			}
			return 0;
		}
		if (!is_id(*c)) {
			pnm_dbg("'%s': bad character '%c' in a port name", name, *c);
			return -EINVAL;
		}
	}
	return 0;
}

/* --- netmap_if of a registration --- */

/* netmap_if's fields are const for applications; we write through this twin. */
struct pnm_if_w {
	char ni_name[NM_IFNAMSIZ];
	uint32_t ni_version, ni_flags, ni_tx_rings, ni_rx_rings, ni_bufs_head;
	uint32_t ni_host_tx_rings, ni_host_rx_rings, ni_spare1[3];
	int64_t ring_ofs[];
};
_Static_assert(sizeof(struct pnm_if_w) == sizeof(struct netmap_if), "pnm_if_w");
_Static_assert(offsetof(struct pnm_if_w, ni_bufs_head) == offsetof(struct netmap_if, ni_bufs_head),
	       "pnm_if_w bufs_head");
_Static_assert(offsetof(struct pnm_if_w, ring_ofs) == offsetof(struct netmap_if, ring_ofs),
	       "pnm_if_w ring_ofs");
_Static_assert(sizeof(struct netmap_if) + 8 * (PNM_MAX_RINGS + 2) <= PNM_IF_SLOT, "if slot");

static struct pnm_if_w *if_of(const struct pnm_file *f)
{
	return (struct pnm_if_w *)(f->mem->base + f->if_slot * PNM_IF_SLOT);
}

static void build_if(struct pnm_file *f)
{
	struct pnm_mem *m = f->mem;
	struct pnm_if_w *w = if_of(f);
	unsigned int k = 0;

	memset(w, 0, PNM_IF_SLOT);
	memcpy(w->ni_name, m->name, strnlen(m->name, sizeof(w->ni_name) - 1));
	w->ni_version = NETMAP_API;
	w->ni_flags = NI_PRIV_MEM;
	w->ni_tx_rings = m->ntx;
	w->ni_rx_rings = m->nrx;
	w->ni_host_tx_rings = 1;	/* never bound: ring_ofs 0 */
	w->ni_host_rx_rings = 1;
	for (unsigned int i = 0; i < m->ntx; i++, k++)
		if (i >= f->txf && i < f->txl)
			w->ring_ofs[k] = (uint8_t *)mem_ring(m, i) - (uint8_t *)w;
	k++;	/* host TX */
	for (unsigned int i = 0; i < m->nrx; i++, k++)
		if (i >= f->rxf && i < f->rxl)
			w->ring_ofs[k] = (uint8_t *)mem_ring(m, m->ntx + i) - (uint8_t *)w;
}

static int watch_rings(struct pnm_file *f)
{
	struct ptnet_port *p = f->mem->port;
	struct epoll_event ev = { .events = EPOLLIN };

	for (unsigned int i = f->txf; i < f->txl; i++)
		if (real.epoll_ctl(f->epfd, EPOLL_CTL_ADD, ptnet_ring_fd(p, PTNET_WAIT_TX, i), &ev))
			return -errno;
	for (unsigned int i = f->rxf; i < f->rxl; i++)
		if (real.epoll_ctl(f->epfd, EPOLL_CTL_ADD, ptnet_ring_fd(p, PTNET_WAIT_RX, i), &ev))
			return -errno;
	ev.events = EPOLLIN | EPOLLRDHUP;
	if (real.epoll_ctl(f->epfd, EPOLL_CTL_ADD, ptnet_ring_fd(p, 0, 0), &ev))
		return -errno;
	return 0;
}

static void bind_rings(struct pnm_file *f, int add)
{
	struct pnm_mem *m = f->mem;

	for (unsigned int i = 0; i < m->ntx + m->nrx; i++) {
		int bound = i < m->ntx ? (i >= f->txf && i < f->txl) :
					 (i - m->ntx >= f->rxf && i - m->ntx < f->rxl);

		if (!bound)
			continue;
		m->rs[i].users += add ? 1 : -1;
		if (f->excl)
			m->rs[i].excl = add;
	}
}

static int rings_busy(const struct pnm_file *f, const struct pnm_mem *m)
{
	for (unsigned int i = 0; i < m->ntx + m->nrx; i++) {
		int bound = i < m->ntx ? (i >= f->txf && i < f->txl) :
					 (i - m->ntx >= f->rxf && i - m->ntx < f->rxl);

		if (bound && (m->rs[i].excl || (f->excl && m->rs[i].users)))
			return 1;
	}
	return 0;
}

void pnm_file_release(struct pnm_file *f)
{
	if (f->registered) {
		struct pnm_mem *m = f->mem;

		bind_rings(f, 0);
		extra_take_back(f, &if_of(f)->ni_bufs_head);
		pnm_view(m)->if_used[f->if_slot] = 0;
		m->users--;
		pnm_mem_put(m);
	}
	real.close(f->epfd);
	free(f);
}

/* --- REGISTER --- */

static int do_register(struct pnm_file *f, const char *name, struct nmreq_register *r)
{
	struct pnm_mem *m;
	unsigned int mode = r->nr_mode, ring = r->nr_ringid & NETMAP_RING_MASK, slot;
	uint32_t granted;
	char pipe_name[NETMAP_REQ_IFNAMSIZ];
	int ret, created = 0;

	if (f->registered)
		return -EBUSY;
	ret = check_name(name);
	if (ret)
		return ret;
	if (mode == NR_REG_DEFAULT)
		mode = NR_REG_ALL_NIC;
	switch (mode) {
	case NR_REG_ALL_NIC:
	case NR_REG_ONE_NIC:
		break;
	case NR_REG_SW:
	case NR_REG_NIC_SW:
	case NR_REG_ONE_SW:
		pnm_dbg("%s: VALE ports have no host rings (mode %u)", name, mode);
		return -EINVAL;
	case NR_REG_PIPE_MASTER:
	case NR_REG_PIPE_SLAVE:
		/* Deprecated modes: netmap rewrites them into the name's {N / }N. */
		if (strpbrk(name, "{}") || strlen(name) + 6 >= sizeof(pipe_name))
			return -EINVAL;
		snprintf(pipe_name, sizeof(pipe_name), "%s%c%u", name,
			 mode == NR_REG_PIPE_MASTER ? '{' : '}', ring);
		name = pipe_name;
		mode = NR_REG_ALL_NIC;
		break;
	default:
		pnm_dbg("%s: register mode %u is not supported", name, mode);
		return -EINVAL;
	}
	if (r->nr_flags & (NR_MONITOR_TX | NR_MONITOR_RX | NR_ZCOPY_MON)) {
		pnm_dbg("%s: monitor ports are not supported", name);
		return -EOPNOTSUPP;
	}
	m = mem_by_name(name);
	if (m && r->nr_mem_id && r->nr_mem_id != m->mem_id)
		pnm_dbg("%s: mem_id %u asked, the port's is %u", name, r->nr_mem_id, m->mem_id);
	if (!m) {
		struct pnm_mem *par = pipe_parent(name, r->nr_mem_id);

		if (!par && r->nr_mem_id && mem_by_id(r->nr_mem_id))
			pnm_dbg("%s: mem_id %u belongs to another port; only the pipes of a port "
				"attached with pipes=K share its memory, %s gets its own", name,
				r->nr_mem_id, name);
		ret = par ? mem_open_child(name, par, &m) : mem_open(name, r, &m);
		if (ret)
			return ret;
		created = 1;
	}
	f->mem = m;
	f->flags = r->nr_flags;
	f->excl = !!(r->nr_flags & NR_EXCLUSIVE);
	if (mode == NR_REG_ALL_NIC) {
		f->txf = 0, f->txl = m->ntx;
		f->rxf = 0, f->rxl = m->nrx;
	} else {
		if (((!(r->nr_flags & NR_RX_RINGS_ONLY)) && ring >= m->ntx) ||
		    ((!(r->nr_flags & NR_TX_RINGS_ONLY)) && ring >= m->nrx)) {
			pnm_dbg("%s: no ring %u (%u+%u rings)", name, ring, m->ntx, m->nrx);
			ret = -EINVAL;
			goto fail;
		}
		f->txf = ring, f->txl = ring + 1;
		f->rxf = ring, f->rxl = ring + 1;
	}
	if (r->nr_flags & NR_RX_RINGS_ONLY)
		f->txf = f->txl = 0;
	if (r->nr_flags & NR_TX_RINGS_ONLY)
		f->rxf = f->rxl = 0;
	if (ptnet_port_info(m->port)->vnet_hdr_len && !(r->nr_flags & NR_ACCEPT_VNET_HDR)) {
		pnm_dbg("%s: the port has a virtio-net header: NR_ACCEPT_VNET_HDR needed", name);
		ret = -EIO;
		goto fail;
	}
	if (rings_busy(f, m)) {
		pnm_dbg("%s: rings bound exclusively", name);
		ret = -EBUSY;
		goto fail;
	}
	for (slot = 0; slot < PNM_IF_SLOTS && pnm_view(m)->if_used[slot]; slot++)
		;
	if (slot == PNM_IF_SLOTS) {
		pnm_dbg("%s: more than %d registrations of one port", name, PNM_IF_SLOTS);
		ret = -ENOMEM;
		goto fail;
	}
	f->if_slot = slot;
	ret = watch_rings(f);
	if (ret)
		goto fail;
	pnm_view(m)->if_used[slot] = 1;
	build_if(f);
	granted = extra_grant(f, &if_of(f)->ni_bufs_head, r->nr_extra_bufs);
	if (granted < r->nr_extra_bufs)
		pnm_dbg("%s: %u extra buffers asked, %u granted (%u in the port's pool)", name,
			r->nr_extra_bufs, granted, m->xnum);
	bind_rings(f, 1);
	m->users++;
	f->registered = 1;

	r->nr_offset = (uint64_t)slot * PNM_IF_SLOT;
	r->nr_memsize = m->size;
	r->nr_tx_slots = ptnet_port_info(m->port)->tx_slots;
	r->nr_rx_slots = ptnet_port_info(m->port)->rx_slots;
	r->nr_tx_rings = (uint16_t)m->ntx;
	r->nr_rx_rings = (uint16_t)m->nrx;
	r->nr_host_tx_rings = r->nr_host_rx_rings = 0;
	r->nr_mem_id = m->mem_id;
	r->nr_mode = mode;
	r->nr_extra_bufs = granted;
	pnm_dbg("%s registered: mode %u ring %u flags 0x%llx, TX [%u,%u) RX [%u,%u), offset %llu",
		name, mode, ring, (unsigned long long)r->nr_flags, f->txf, f->txl, f->rxf, f->rxl,
		(unsigned long long)r->nr_offset);
	return 0;
fail:
	/* Rings added to the epoll set go with it; the mem goes if it was new. */
	{
		struct epoll_event ev = { 0 };
		struct ptnet_port *p = m->port;

		for (unsigned int i = 0; i < m->ntx; i++)
			real.epoll_ctl(f->epfd, EPOLL_CTL_DEL, ptnet_ring_fd(p, PTNET_WAIT_TX, i),
				       &ev);
		for (unsigned int i = 0; i < m->nrx; i++)
			real.epoll_ctl(f->epfd, EPOLL_CTL_DEL, ptnet_ring_fd(p, PTNET_WAIT_RX, i),
				       &ev);
		real.epoll_ctl(f->epfd, EPOLL_CTL_DEL, ptnet_ring_fd(p, 0, 0), &ev);
	}
	f->mem = NULL;
	if (created)
		pnm_mem_put(m);
	return ret;
}

static void port_info(const struct pnm_mem *m, struct nmreq_port_info_get *pi)
{
	const struct ptnet_port_info *in = ptnet_port_info(m->port);

	memset(pi, 0, sizeof(*pi));
	pi->nr_memsize = m->size;
	pi->nr_tx_slots = in->tx_slots;
	pi->nr_rx_slots = in->rx_slots;
	pi->nr_tx_rings = (uint16_t)m->ntx;
	pi->nr_rx_rings = (uint16_t)m->nrx;
	pi->nr_mem_id = m->mem_id;
}

/* PORT_INFO_GET of a port this process has not open: attach it for a moment. */
static int info_by_name(const char *name, struct nmreq_port_info_get *pi)
{
	struct nmreq_register r = { 0 };
	struct pnm_mem *m = mem_by_name(name);
	int ret;

	ret = check_name(name);
	if (ret)
		return ret;
	if (m) {
		port_info(m, pi);
		return 0;
	}
	ret = mem_open(name, &r, &m);
	if (ret)
		return ret;
	port_info(m, pi);
	pi->nr_mem_id = 0;	/* gone again at once */
	pnm_mem_put(m);
	return 0;
}

static void pools_info(const struct pnm_mem *m, struct nmreq_pools_info *pi)
{
	const struct ptnet_port_info *in = ptnet_port_info(m->port);
	const struct netmap_ring *r0 = mem_ring(m, 0);

	memset(pi, 0, sizeof(*pi));
	pi->nr_memsize = m->size;
	pi->nr_mem_id = m->mem_id;
	pi->nr_if_pool_offset = 0;
	pi->nr_if_pool_objtotal = PNM_IF_SLOTS;
	pi->nr_if_pool_objsize = PNM_IF_SLOT;
	pi->nr_ring_pool_offset = (uint64_t)((const uint8_t *)r0 - m->base);
	pi->nr_ring_pool_objtotal = m->ntx + m->nrx;
	pi->nr_ring_pool_objsize = (uint32_t)(sizeof(struct netmap_ring) +
					      sizeof(struct netmap_slot) * in->tx_slots);
	pi->nr_buf_pool_offset = PNM_IF_AREA + reg32(m, PTNET_IO_X_BUF_OFS);
	pi->nr_buf_pool_objtotal = in->buf_num;
	pi->nr_buf_pool_objsize = in->buf_size;
}

/* --- VALE_LIST / DETACH over ptnetd's control requests --- */

struct list_walk {
	unsigned int want_b, want_p;	/* first (bridge, port) at or after */
	const char *name;		/* or: look this name up */
	unsigned int b, p;		/* current switch index, port index in it */
	char cur_sw[64];
	int found;
	unsigned int fb, fp;
	char fname[NETMAP_REQ_IFNAMSIZ];
};

static int field(const char *line, const char *key, char *out, size_t len)
{
	const char *s = strstr(line, key);

	if (!s)
		return -1;
	s += strlen(key);
	snprintf(out, len, "%.*s", (int)strcspn(s, " "), s);
	return 0;
}

static int list_rec(const char *line, void *arg)
{
	struct list_walk *w = arg;
	char name[NETMAP_REQ_IFNAMSIZ], sw[64];

	if (!strstr(line, "type=port") || field(line, " name=", name, sizeof(name)) ||
	    field(line, " switch=", sw, sizeof(sw)))
		return 0;
	if (strcmp(sw, w->cur_sw)) {
		if (w->cur_sw[0])
			w->b++;
		snprintf(w->cur_sw, sizeof(w->cur_sw), "%s", sw);
		w->p = 0;
	} else {
		w->p++;
	}
	if (w->found)
		return 0;
	if (w->name ? !strcmp(w->name, name) :
		      (w->b > w->want_b || (w->b == w->want_b && w->p >= w->want_p))) {
		w->found = 1;
		w->fb = w->b;
		w->fp = w->p;
		snprintf(w->fname, sizeof(w->fname), "%s", name);
	}
	return 0;
}

static int ctl_request(const char *req, ptnet_ctl_rec_fn cb, void *arg)
{
	char status[256];
	int fd = ptnet_ctl_open(), ret;

	if (fd < 0) {
		if (pnm_in_guest())
			pnm_dbg("%s: no ptnetd here: inside a VM guest only the ptnet NIC's own "
				"rings are served (netmap:ethN, ptnetN); switches, VALE_ATTACH, "
				"NEWIF and the like are the host's", req);
		return map_open_error(fd);
	}
	ret = ptnet_ctl_call(fd, req, cb, arg, status, sizeof(status));
	ptnet_ctl_close(fd);
	if (ret)
		pnm_dbg("ptnetd: %s: %s", req, ptnet_errmsg());
	return ret;
}

static int vale_list(struct nmreq_header *h, struct nmreq_vale_list *l)
{
	struct list_walk w = { .want_b = l->nr_bridge_idx, .want_p = l->nr_port_idx };
	int ret;

	if (h->nr_name[0]) {
		ret = check_name(h->nr_name);
		if (ret)
			return ret;
		w.name = h->nr_name;
	}
	/* ptnetd lists ports grouped by switch, in a stable order. */
	ret = ctl_request("list", list_rec, &w);
	if (ret)
		return map_open_error(ret);
	if (!w.found)
		return w.name ? -ENXIO : -ENOENT;
	l->nr_bridge_idx = (uint16_t)w.fb;
	l->nr_port_idx = w.fp;
	if (!w.name)
		snprintf(h->nr_name, sizeof(h->nr_name), "%s", w.fname);
	return 0;
}

static int vale_detach(const char *name)
{
	char req[128];
	int ret = check_name(name);

	if (ret)
		return ret;
	snprintf(req, sizeof(req), "detach %s", name);
	ret = ctl_request(req, NULL, NULL);
	return ret == -ENOENT ? -ENXIO : map_open_error(ret);
}

/*
 * vale-ctl's persistent interfaces.  netmap's NEWIF makes a netdev with VALE
 * rings and ATTACH puts a netdev on a switch; ptnet's nearest thing is a tap
 * port, a netdev that lives on a switch (tap-add, root only).  So NEWIF
 * only checks the name is free, ATTACH valeX:IF makes the tap port
 * valeX:IF with interface IF (in $PTNET_VALE_NETNS if set), DETACH and
 * DELIF IF remove it.  An interface that already exists (eth0) cannot be
 * attached: ptnetd has no kind that takes over a NIC.
 */
static const char *vale_netns(void)
{
	const char *ns = getenv("PTNET_VALE_NETNS");

	return ns && *ns ? ns : NULL;
}

static int ifname_ok(const char *ifn)
{
	size_t n = strnlen(ifn, NETMAP_REQ_IFNAMSIZ);

	if (n == 0 || n >= IF_NAMESIZE || strchr(ifn, '/') || strchr(ifn, ':')) {
		pnm_dbg("'%.64s': not an interface name (1..%d characters, no '/' ':')", ifn,
			IF_NAMESIZE - 1);
		return 0;
	}
	return 1;
}

/* Whether interface IFN exists where ptnetd would make it (ours, unless netns=). */
static int if_exists(const char *ifn)
{
	return !vale_netns() && if_nametoindex(ifn) != 0;
}

static int vale_newif(const char *ifn)
{
	if (!ifname_ok(ifn))
		return -EINVAL;
	if (pnm_in_guest()) {
		int fd = ptnet_ctl_open();

		if (fd < 0) {
			pnm_dbg("%s: no ptnetd here: inside a VM guest there is no switch to make "
				"an interface for", ifn);
			return map_open_error(fd);
		}
		ptnet_ctl_close(fd);
	}
	if (if_exists(ifn))
		return -EEXIST;
	pnm_dbg("%s: ptnet makes the interface when it is attached to a switch (a tap port); "
		"until then it does not exist", ifn);
	return 0;
}

/* Port index of NAME on its switch, as VALE_LIST numbers them. */
static uint32_t port_index(const char *name)
{
	struct list_walk w = { .name = name };

	return ctl_request("list", list_rec, &w) == 0 && w.found ? w.fp : 0;
}

static int vale_attach(const char *name, struct nmreq_vale_attach *a)
{
	const char *ifn = strchr(name, ':') + 1, *ns = vale_netns();
	char req[160];
	int ret;

	if (a->reg.nr_mode != NR_REG_DEFAULT && a->reg.nr_mode != NR_REG_ALL_NIC &&
	    a->reg.nr_mode != NR_REG_NIC_SW) {
		pnm_dbg("%s: VALE_ATTACH mode %u (1 or 3)", name, a->reg.nr_mode);
		return -EINVAL;
	}
	if (!ifname_ok(ifn))
		return -EINVAL;
	if (if_exists(ifn)) {
		pnm_dbg("%s: interface %s exists; ptnet cannot take over an interface (no uplink "
			"kind), only make a new one", name, ifn);
		return -EOPNOTSUPP;
	}
	snprintf(req, sizeof(req), "tap-add %s ifname=%s%s%s", name, ifn, ns ? " netns=" : "",
		 ns ? ns : "");
	ret = ctl_request(req, NULL, NULL);
	if (ret)
		return map_open_error(ret);
	a->port_index = port_index(name);
	pnm_dbg("%s: attached as a tap port, interface %s%s%s", name, ifn, ns ? " in netns " : "",
		ns ? ns : "");
	return 0;
}

struct tap_find {
	const char *ifname;
	char name[NETMAP_REQ_IFNAMSIZ];
};

static int tap_rec(const char *line, void *arg)
{
	struct tap_find *t = arg;
	char ifn[IF_NAMESIZE + 1], kind[16];

	if (t->name[0] || !strstr(line, "type=port") || field(line, " kind=", kind, sizeof(kind)) ||
	    strcmp(kind, "tap") || field(line, " ifname=", ifn, sizeof(ifn)) ||
	    strcmp(ifn, t->ifname))
		return 0;
	field(line, " name=", t->name, sizeof(t->name));
	return 0;
}

static int vale_delif(const char *ifn)
{
	struct tap_find t = { .ifname = ifn };
	char req[128];
	int ret;

	if (!ifname_ok(ifn))
		return -EINVAL;
	ret = ctl_request("list", tap_rec, &t);
	if (ret)
		return map_open_error(ret);
	if (!t.name[0]) {
		pnm_dbg("%s: no tap port has this interface", ifn);
		return -ENXIO;
	}
	snprintf(req, sizeof(req), "tap-del %s", t.name);
	ret = ctl_request(req, NULL, NULL);
	return ret == -ENOENT ? -ENXIO : map_open_error(ret);
}

/* --- NIOCCTRL --- */

static size_t body_size(unsigned int type)
{
	switch (type) {
	case NETMAP_REQ_REGISTER:
		return sizeof(struct nmreq_register);
	case NETMAP_REQ_PORT_INFO_GET:
		return sizeof(struct nmreq_port_info_get);
	case NETMAP_REQ_VALE_ATTACH:
		return sizeof(struct nmreq_vale_attach);
	case NETMAP_REQ_VALE_DETACH:
		return sizeof(struct nmreq_vale_detach);
	case NETMAP_REQ_VALE_LIST:
		return sizeof(struct nmreq_vale_list);
	case NETMAP_REQ_PORT_HDR_SET:
	case NETMAP_REQ_PORT_HDR_GET:
		return sizeof(struct nmreq_port_hdr);
	case NETMAP_REQ_VALE_NEWIF:
		return sizeof(struct nmreq_vale_newif);
	case NETMAP_REQ_VALE_POLLING_ENABLE:
	case NETMAP_REQ_VALE_POLLING_DISABLE:
		return sizeof(struct nmreq_vale_polling);
	case NETMAP_REQ_POOLS_INFO_GET:
		return sizeof(struct nmreq_pools_info);
	case NETMAP_REQ_SYNC_KLOOP_START:
		return sizeof(struct nmreq_sync_kloop_start);
	default:	/* DELIF, KLOOP_STOP, CSB_ENABLE: no body */
		return 0;
	}
}

#define MAX_OPTS 16

static int ctrl(struct pnm_file *f, uint64_t uhdr)
{
	struct nmreq_header h;
	union {
		struct nmreq_register reg;
		struct nmreq_port_info_get info;
		struct nmreq_vale_attach attach;
		struct nmreq_vale_detach detach;
		struct nmreq_vale_list list;
		struct nmreq_port_hdr hdr;
		struct nmreq_pools_info pools;
		uint8_t raw[64];
	} b;
	struct nmreq_option opt[MAX_OPTS];
	uint64_t optp[MAX_OPTS];
	unsigned int nopt = 0, seen = 0;
	size_t bsz, total;
	int ret;

	if (copy_in(&h, uhdr, sizeof(h)))
		return -EFAULT;
	if (h.nr_version < NETMAP_MIN_API || h.nr_version > NETMAP_MAX_API) {
		pnm_dbg("nr_version %u (API %d..%d)", h.nr_version, NETMAP_MIN_API, NETMAP_MAX_API);
		return -EINVAL;
	}
	if (h.nr_reserved) {
		pnm_dbg("nr_reserved is not 0");
		return -EINVAL;
	}
	if (h.nr_reqtype == 0 || h.nr_reqtype >= NETMAP_REQ_MAX) {
		pnm_dbg("unknown request type %u", h.nr_reqtype);
		return -EINVAL;
	}
	bsz = body_size(h.nr_reqtype);
	if ((bsz == 0) != (h.nr_body == 0)) {
		pnm_dbg("request %u: nr_body %s", h.nr_reqtype, bsz ? "missing" : "not NULL");
		return -EINVAL;
	}
	if (bsz && copy_in(&b, h.nr_body, bsz))
		return -EFAULT;
	total = bsz;
	for (uint64_t p = h.nr_options; p; p = opt[nopt - 1].nro_next) {
		struct nmreq_option *o;

		if (nopt == MAX_OPTS)
			return -EMSGSIZE;
		o = &opt[nopt];
		if (copy_in(o, p, sizeof(*o)))
			return -EFAULT;
		optp[nopt++] = p;
		total += sizeof(*o);
		if (total > NETMAP_REQ_MAXSIZE)
			return -EMSGSIZE;
		if (o->nro_reqtype < 1)
			return -EINVAL;
		if (o->nro_reqtype < NETMAP_REQ_OPT_MAX) {
			if (seen & (1u << o->nro_reqtype))
				return -EINVAL;
			seen |= 1u << o->nro_reqtype;
		}
		/* We implement no option: every one stays EOPNOTSUPP. */
		o->nro_status = EOPNOTSUPP;
	}
	if (nopt) {
		for (unsigned int i = 0; i < nopt; i++) {
			pnm_dbg("option %u is not supported", opt[i].nro_reqtype);
			if (copy_out(optp[i] + offsetof(struct nmreq_option, nro_status),
				     &opt[i].nro_status, sizeof(opt[i].nro_status)))
				return -EFAULT;
		}
		return -EOPNOTSUPP;
	}
	if (h.nr_reqtype == NETMAP_REQ_REGISTER || h.nr_reqtype == NETMAP_REQ_PORT_INFO_GET ||
	    h.nr_reqtype == NETMAP_REQ_PORT_HDR_GET || h.nr_reqtype == NETMAP_REQ_PORT_HDR_SET ||
	    h.nr_reqtype == NETMAP_REQ_POOLS_INFO_GET)
		pnm_guest_canon(h.nr_name, sizeof(h.nr_name));	/* eth0 -> ptnet0 in a guest */
	pthread_mutex_lock(&g_lock);
	switch (h.nr_reqtype) {
	case NETMAP_REQ_REGISTER:
		ret = check_name(h.nr_name);
		if (!ret)
			ret = do_register(f, h.nr_name, &b.reg);
		break;
	case NETMAP_REQ_PORT_INFO_GET:
		ret = check_name(h.nr_name);
		if (!ret)
			ret = info_by_name(h.nr_name, &b.info);
		break;
	case NETMAP_REQ_PORT_HDR_GET:
	case NETMAP_REQ_PORT_HDR_SET: {
		struct pnm_mem *m;

		ret = check_name(h.nr_name);
		if (ret)
			break;
		m = mem_by_name(h.nr_name);
		if (!m) {
			pnm_dbg("%s: header length of a port this process has not open", h.nr_name);
			ret = -ENXIO;
		} else if (h.nr_reqtype == NETMAP_REQ_PORT_HDR_GET) {
			b.hdr.nr_hdr_len = ptnet_port_info(m->port)->vnet_hdr_len;
		} else if (b.hdr.nr_hdr_len != 0 && b.hdr.nr_hdr_len != 10 &&
			   b.hdr.nr_hdr_len != 12) {
			ret = -EINVAL;
		} else if (b.hdr.nr_hdr_len != ptnet_port_info(m->port)->vnet_hdr_len) {
			pnm_dbg("%s: the header length is fixed when the port is made "
				"(@conf:vnet-hdr with ptnet tools)", h.nr_name);
			ret = -EOPNOTSUPP;
		}
		break;
	}
	case NETMAP_REQ_POOLS_INFO_GET: {
		struct pnm_mem *m = h.nr_name[0] ? mem_by_name(h.nr_name) :
						   mem_by_id(b.pools.nr_mem_id);

		if (h.nr_name[0] && (ret = check_name(h.nr_name)))
			break;
		if (!m && !h.nr_name[0] && f->registered)
			m = f->mem;
		ret = 0;
		if (m)
			pools_info(m, &b.pools);
		else
			ret = h.nr_name[0] ? -ENXIO : -ENODEV;
		break;
	}
	case NETMAP_REQ_VALE_LIST:
		ret = vale_list(&h, &b.list);
		break;
	case NETMAP_REQ_VALE_DETACH:
		b.detach.port_index = port_index(h.nr_name);
		ret = vale_detach(h.nr_name);
		break;
	case NETMAP_REQ_VALE_ATTACH:
		ret = check_name(h.nr_name);
		if (!ret)
			ret = vale_attach(h.nr_name, &b.attach);
		break;
	case NETMAP_REQ_VALE_NEWIF:
		if (strnlen(h.nr_name, sizeof(h.nr_name)) == sizeof(h.nr_name))
			ret = -EINVAL;
		else
			ret = vale_newif(h.nr_name);
		break;
	case NETMAP_REQ_VALE_DELIF:
		if (strnlen(h.nr_name, sizeof(h.nr_name)) == sizeof(h.nr_name))
			ret = -EINVAL;
		else if (strchr(h.nr_name, ':'))
			ret = vale_detach(h.nr_name);	/* valeX:Y: the port itself */
		else
			ret = vale_delif(h.nr_name);
		break;
	default:
		pnm_dbg("request %u is not supported by ptnet", h.nr_reqtype);
		ret = -EOPNOTSUPP;
		break;
	}
	pthread_mutex_unlock(&g_lock);
	if (ret)
		return ret;
	if (bsz && copy_out(h.nr_body, &b, bsz))
		return -EFAULT;
	if (h.nr_reqtype == NETMAP_REQ_VALE_LIST &&
	    copy_out(uhdr + offsetof(struct nmreq_header, nr_name), h.nr_name, sizeof(h.nr_name)))
		return -EFAULT;
	return 0;
}

/* --- legacy struct nmreq --- */

static int legacy(struct pnm_file *f, unsigned long req, uint64_t ureq)
{
	struct nmreq nr;
	char name[NM_IFNAMSIZ + 1];
	int ret;

	if (copy_in(&nr, ureq, sizeof(nr)))
		return -EFAULT;
	if (nr.nr_version < NETMAP_MIN_API || nr.nr_version > NETMAP_MAX_API) {
		pnm_dbg("legacy nr_version %u (API %d..%d)", nr.nr_version, NETMAP_MIN_API,
			NETMAP_MAX_API);
		return -EINVAL;
	}
	memcpy(name, nr.nr_name, NM_IFNAMSIZ);
	name[NM_IFNAMSIZ] = '\0';
	if (strnlen(nr.nr_name, NM_IFNAMSIZ) == NM_IFNAMSIZ)
		return -EINVAL;
	pnm_guest_canon(name, sizeof(name));
	pthread_mutex_lock(&g_lock);
	if (req == NIOCGINFO) {
		struct nmreq_port_info_get pi;

		if (f->registered && !name[0]) {
			port_info(f->mem, &pi);
			ret = 0;
		} else {
			ret = check_name(name);
			if (!ret)
				ret = info_by_name(name, &pi);
		}
		if (!ret) {
			nr.nr_memsize = (uint32_t)pi.nr_memsize;
			nr.nr_tx_slots = pi.nr_tx_slots;
			nr.nr_rx_slots = pi.nr_rx_slots;
			nr.nr_tx_rings = pi.nr_tx_rings;
			nr.nr_rx_rings = pi.nr_rx_rings;
			nr.nr_arg2 = pi.nr_mem_id;
		}
	} else if (nr.nr_cmd) {
		pnm_dbg("legacy nr_cmd %u is not supported", nr.nr_cmd);
		ret = nr.nr_cmd <= NETMAP_VNET_HDR_GET ? -EOPNOTSUPP : -EINVAL;
	} else {
		struct nmreq_register r = { 0 };

		r.nr_tx_slots = nr.nr_tx_slots;
		r.nr_rx_slots = nr.nr_rx_slots;
		r.nr_tx_rings = nr.nr_tx_rings;
		r.nr_rx_rings = nr.nr_rx_rings;
		r.nr_mem_id = nr.nr_arg2;
		r.nr_extra_bufs = nr.nr_arg3;
		r.nr_ringid = nr.nr_ringid & NETMAP_RING_MASK;
		r.nr_mode = nr.nr_flags & NR_REG_MASK;
		r.nr_flags = nr.nr_flags & ~(uint32_t)NR_REG_MASK;
		if (!r.nr_mode)
			r.nr_mode = (nr.nr_ringid & NETMAP_SW_RING) ? NR_REG_SW :
				    (nr.nr_ringid & NETMAP_HW_RING) ? NR_REG_ONE_NIC :
								    NR_REG_ALL_NIC;
		if (nr.nr_ringid & NETMAP_NO_TX_POLL)
			r.nr_flags |= NR_NO_TX_POLL;
		if (nr.nr_ringid & NETMAP_DO_RX_POLL)
			r.nr_flags |= NR_DO_RX_POLL;
		ret = check_name(name);
		if (!ret)
			ret = do_register(f, name, &r);
		if (!ret) {
			nr.nr_offset = (uint32_t)r.nr_offset;
			nr.nr_memsize = (uint32_t)r.nr_memsize;
			nr.nr_tx_slots = r.nr_tx_slots;
			nr.nr_rx_slots = r.nr_rx_slots;
			nr.nr_tx_rings = r.nr_tx_rings;
			nr.nr_rx_rings = r.nr_rx_rings;
			nr.nr_arg2 = r.nr_mem_id;
			nr.nr_arg3 = r.nr_extra_bufs;
		}
	}
	pthread_mutex_unlock(&g_lock);
	if (ret)
		return ret;
	return copy_out(ureq, &nr, sizeof(nr));
}

int pnm_ioctl(struct pnm_file *f, unsigned long req, void *arg)
{
	int bad = 0, ret;

	switch (req) {
	case NIOCTXSYNC:
	case NIOCRXSYNC:
		if (!f->registered)
			return -ENXIO;
		/* A bad head/cur resets the ring (as netmap_ring_reinit) and returns 0. */
		ret = req == NIOCTXSYNC ? pnm_txsync(f, &bad) : pnm_rxsync(f, &bad);
		return ret;
	case NIOCCTRL:
		return ctrl(f, (uint64_t)(uintptr_t)arg);
	case NIOCGINFO:
	case NIOCREGIF:
		return legacy(f, req, (uint64_t)(uintptr_t)arg);
	default:
		return -ENOTTY;
	}
}
