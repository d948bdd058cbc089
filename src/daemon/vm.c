// SPDX-License-Identifier: BSD-2-Clause
/*
 * vm.c - VM ports: ptnetd as the ivshmem server of one QEMU
 * (ivshmem-doorbell), handing it the port region and the eventfds of the
 * doorbell and MSI-X vectors; the guest's commands (PTCTL) arrive on
 * doorbell vector 0.  See docs/vm.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <ptnet/ring.h>
#include "daemon/daemon.h"
#include "daemon/log.h"

#define GUEST_ID	1

static uint32_t *reg(struct ptd_port *p, unsigned int off)
{
	return &p->regs[off / 4];
}

/* Port creation hook: one doorbell and one interrupt eventfd per vector. */
int ptd_vm_make_fds(struct ptd_port *p, char *err, size_t errlen)
{
	struct ptd_vm *vm = calloc(1, sizeof(*vm));

	if (!vm) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned int v = 0; v < PTD_MAX_VECTORS; v++)
		vm->db[v] = vm->irq[v] = -1;
	vm->listen_fd = vm->qemu_fd = -1;
	vm->port = p;
	vm->nvec = 1 + p->ntx + p->nrx;
	p->vm = vm;
	for (unsigned int v = 0; v < vm->nvec; v++) {
		vm->db[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		vm->irq[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vm->db[v] < 0 || vm->irq[v] < 0) {
			snprintf(err, errlen, "cannot create eventfds: %s (raise ptnetd's open file "
				 "limit)", strerror(errno));
			return -errno;
		}
	}
	for (unsigned int i = 0; i < p->ntx; i++) {
		p->txq[i].kick_rfd = vm->db[1 + i];
		p->txq[i].irq_wfd = vm->irq[1 + i];
	}
	for (unsigned int j = 0; j < p->nrx; j++)
		p->rxq[j].irq_wfd = vm->irq[1 + p->ntx + j];
	*reg(p, PTNET_IO_X_NUM_VECTORS) = vm->nvec;
	*reg(p, PTNET_IO_X_STATUS) = 0;		/* down until the guest's CREATE */
	return 0;
}

static int epoll_add(struct ptd *d, int fd, struct ptd_evsrc *src, uint32_t type,
		     struct ptd_vm *vm)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };

	src->type = type;
	src->vm = vm;
	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int ptd_vm_create(struct ptd *d, const char *name, const char *path,
		  const struct ptnet_port_opts *o, const struct ptd_cred *cr,
		  struct ptd_port **pp, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ptd_port *p;
	struct ptd_vm *vm;
	int ret;

	if (!path || path[0] != '/' || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket=PATH must be an absolute path of at most %zu bytes",
			 sizeof(sa.sun_path) - 1);
		return -EINVAL;
	}
	if (1 + o->tx_rings + o->rx_rings > 255) {
		snprintf(err, errlen, "too many rings for ivshmem's 8-bit vectors");
		return -EINVAL;
	}
	ret = ptd_port_create(d, name, o, PTNET_KIND_VM, cr, &p, err, errlen);
	if (ret)
		return ret;
	vm = p->vm;
	snprintf(vm->path, sizeof(vm->path), "%s", path);
	strcpy(sa.sun_path, path);
	vm->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (vm->listen_fd < 0 || bind(vm->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s%s", path, strerror(errno),
			 errno == EADDRINUSE ? " (remove the stale file or pick another path)" : "");
		vm->path[0] = '\0';
		ptd_port_destroy(d, p);
		return ret;
	}
	chmod(path, 0600);
	if (listen(vm->listen_fd, 4) < 0 ||
	    (ret = epoll_add(d, vm->listen_fd, &vm->ev_listen, PTD_EV_VM_LISTEN, vm)) ||
	    (ret = epoll_add(d, vm->db[0], &vm->ev_cmd, PTD_EV_VM_CMD, vm))) {
		ret = ret ? ret : -errno;
		snprintf(err, errlen, "cannot serve %s: %s", path, strerror(-ret));
		ptd_port_destroy(d, p);
		return ret;
	}
	LOG_INFO("vm port %s: ivshmem server on %s (%u vectors, %zu KiB region)", p->name, path,
		 vm->nvec, p->size >> 10);
	*pp = p;
	return 0;
}

/* One ivshmem message: a little-endian int64, optionally with one fd. */
static int send_msg(int sock, int64_t val, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = &val, .iov_len = sizeof(val) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *cm;

		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(val) ? 0 : -1;
}

/* QEMU blocks until it has all of this: answer at once, in one go. */
static int handshake(struct ptd_vm *vm, int s)
{
	struct ptd_port *p = vm->port;

	if (send_msg(s, 0, -1) || send_msg(s, GUEST_ID, -1) || send_msg(s, -1, p->memfd))
		return -1;
	for (unsigned int v = 0; v < vm->nvec; v++)
		if (send_msg(s, 0, vm->db[v]))		/* peer 0 (ptnetd): doorbells */
			return -1;
	for (unsigned int v = 0; v < vm->nvec; v++)
		if (send_msg(s, GUEST_ID, vm->irq[v]))	/* the guest's own vectors */
			return -1;
	return 0;
}

static void on_accept(struct ptd *d, struct ptd_vm *vm)
{
	int s = accept4(vm->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (s < 0)
		return;
	if (vm->qemu_fd >= 0) {
		LOG_WARN("vm port %s: refusing a second QEMU on %s", vm->port->name, vm->path);
		close(s);
		return;
	}
	if (handshake(vm, s) || epoll_add(d, s, &vm->ev_qemu, PTD_EV_VM_QEMU, vm)) {
		LOG_WARN("vm port %s: handshake with QEMU failed: %s", vm->port->name,
			 strerror(errno));
		close(s);
		return;
	}
	fcntl(s, F_SETFL, O_NONBLOCK);
	vm->qemu_fd = s;
	LOG_INFO("vm port %s: QEMU connected", vm->port->name);
}

/* CREATE: take the guest's ring heads as the starting point and start forwarding. */
static int vm_create(struct ptd_port *p)
{
	uint32_t hdr = PTNET_READ_ONCE(*reg(p, PTNET_IO_VNET_HDR_LEN)), heads[2 * PTNET_MAX_RINGS];
	struct ptd_switch *sw = p->sw;

	if (hdr != 0 && hdr != PTNET_VNET_HDR_LEN)
		return EINVAL;
	for (unsigned int i = 0; i < p->ntx + p->nrx; i++) {
		const struct nm_csb_atok *a = i < p->ntx ? p->txq[i].atok : p->rxq[i - p->ntx].atok;
		uint32_t n = i < p->ntx ? p->txq[i].nslots : p->rxq[i - p->ntx].nslots;

		heads[i] = PTNET_READ_ONCE(a->head);
		if (heads[i] >= n)
			return EINVAL;
	}
	pthread_rwlock_wrlock(&sw->lock);
	p->vnet_hdr_len = hdr;
	for (unsigned int i = 0; i < p->ntx; i++) {
		struct ptd_txq *q = &p->txq[i];

		q->hwcur = q->seen_head = heads[i];
		q->skip_chain = false;
		ptnet_csb_kern_write(q->ktoa, q->hwcur, q->hwcur ? q->hwcur - 1 : q->nslots - 1);
		PTNET_WRITE_ONCE(q->ktoa->kern_need_kick, 1);
	}
	for (unsigned int j = 0; j < p->nrx; j++) {
		struct ptd_rxq *q = &p->rxq[j];

		pthread_mutex_lock(&q->lock);
		q->hwcur = q->hwtail = q->hwlease = heads[p->ntx + j];
		q->lease_idx = 0;
		for (uint32_t k = 0; k < q->nslots; k++)
			q->leases[k] = 0xffffffffu;
		ptnet_csb_kern_write(q->ktoa, q->hwcur, q->hwtail);
		PTNET_WRITE_ONCE(q->ktoa->kern_need_kick, 0);
		pthread_mutex_unlock(&q->lock);
	}
	p->running = true;
	pthread_rwlock_unlock(&sw->lock);
	PTNET_WRITE_ONCE(*reg(p, PTNET_IO_X_STATUS), PTNET_STATUS_LINK);
	return 0;
}

static void vm_delete(struct ptd_port *p)
{
	pthread_rwlock_wrlock(&p->sw->lock);
	p->running = false;
	pthread_rwlock_unlock(&p->sw->lock);
	PTNET_WRITE_ONCE(*reg(p, PTNET_IO_X_STATUS), 0);
}

static void on_command(struct ptd_vm *vm)
{
	struct ptd_port *p = vm->port;
	uint64_t n, one = 1;
	uint32_t cmd, res;
	ssize_t r;

	if (read(vm->db[0], &n, sizeof(n)) != sizeof(n))
		return;
	cmd = ptnet_load_acquire(reg(p, PTNET_IO_PTCTL));
	switch (cmd) {
	case 0:
		return;		/* spurious doorbell */
	case PTNETMAP_PTCTL_CREATE:
		res = (uint32_t)vm_create(p);
		break;
	case PTNETMAP_PTCTL_DELETE:
		vm_delete(p);
		res = 0;
		break;
	default:
		res = EINVAL;
	}
	/* A guest may ring vector 0 as fast as it likes: never flood the log. */
	LOG_RATELIMIT(5, "vm port %s: %s -> %s", p->name, cmd == PTNETMAP_PTCTL_CREATE ? "CREATE" :
		      cmd == PTNETMAP_PTCTL_DELETE ? "DELETE" : "bad command",
		      res ? strerror((int)res) : "ok");
	PTNET_WRITE_ONCE(*reg(p, PTNET_IO_X_PTCTL_RESULT), res);
	/* Release: the result is visible before the acknowledgement. */
	ptnet_store_release(reg(p, PTNET_IO_PTCTL), 0);
	r = write(vm->irq[0], &one, sizeof(one));
	(void)r;
}

void ptd_vm_event(struct ptd *d, struct ptd_evsrc *src, uint32_t events)
{
	struct ptd_vm *vm = src->vm;

	if (vm->gone)
		return;
	switch (src->type) {
	case PTD_EV_VM_LISTEN:
		on_accept(d, vm);
		break;
	case PTD_EV_VM_CMD:
		on_command(vm);
		break;
	case PTD_EV_VM_QEMU: {
		char buf[64];
		ssize_t r = recv(vm->qemu_fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR) ||
		    (events & (EPOLLHUP | EPOLLERR))) {
			LOG_INFO("vm port %s: QEMU went away", vm->port->name);
			ptd_port_destroy(d, vm->port);
		}
		break;
	}
	}
}

/* Port teardown hook: stop serving the socket. */
void ptd_vm_stop(struct ptd *d, struct ptd_port *p)
{
	struct ptd_vm *vm = p->vm;

	if (!vm)
		return;
	if (vm->listen_fd >= 0) {
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, vm->listen_fd, NULL);
		close(vm->listen_fd);
		vm->listen_fd = -1;
		if (vm->path[0])
			unlink(vm->path);
	}
	if (vm->qemu_fd >= 0) {
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, vm->qemu_fd, NULL);
		close(vm->qemu_fd);
		vm->qemu_fd = -1;
	}
	if (vm->db[0] >= 0)
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, vm->db[0], NULL);
	vm->gone = true;
	vm->next_gone = d->vm_gone;
	d->vm_gone = vm;
}

void ptd_vm_reap(struct ptd *d)
{
	while (d->vm_gone) {
		struct ptd_vm *vm = d->vm_gone;

		d->vm_gone = vm->next_gone;
		free(vm);
	}
}
