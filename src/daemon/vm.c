// SPDX-License-Identifier: BSD-2-Clause
/*
 * vm.c - the vm kind: ptnetd as the ivshmem server of one QEMU
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
#include "daemon/csb.h"
#include "daemon/ctl.h"
#include "daemon/fwd.h"
#include "daemon/log.h"
#include "daemon/port.h"
#include "daemon/sendfd.h"
#include "daemon/usock.h"

#define GUEST_ID	1
#define MAX_VECTORS	(1 + 2 * PTNET_MAX_RINGS)

struct vm_conf {
	const char *path;
};

/* A VM port's ivshmem side. */
struct vm_state {
	struct ptd_ev ev_listen, ev_qemu, ev_cmd;
	struct ptd_deferred gone;	/* freed after the event batch */
	struct ptd_port *port;
	char path[108];
	struct ptd_usock listen;	/* the ivshmem socket QEMU connects to */
	int qemu_fd;
	unsigned int nvec;
	int db[MAX_VECTORS];		/* doorbells: the guest rings, ptnetd reads */
	int irq[MAX_VECTORS];		/* MSI-X: ptnetd writes, QEMU interrupts the guest */
};

const struct ptd_port_ops ptd_vm_ops;

/* One doorbell and one interrupt eventfd per vector; the rings use them. */
static int vm_create(struct ptd *d, struct ptd_port *p, const void *conf, struct ptd_err *e)
{
	const struct vm_conf *vc = conf;
	struct vm_state *vm = calloc(1, sizeof(*vm));

	(void)d;
	if (!vm)
		return ptd_err(e, -ENOMEM, "out of memory");
	p->priv = vm;
	for (unsigned int v = 0; v < MAX_VECTORS; v++)
		vm->db[v] = vm->irq[v] = -1;
	vm->listen.fd = vm->qemu_fd = -1;
	vm->ev_listen.fd = vm->ev_qemu.fd = vm->ev_cmd.fd = -1;
	vm->port = p;
	vm->nvec = 1 + p->ntx + p->nrx;
	snprintf(vm->path, sizeof(vm->path), "%s", vc->path);
	for (unsigned int v = 0; v < vm->nvec; v++) {
		vm->db[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		vm->irq[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vm->db[v] < 0 || vm->irq[v] < 0)
			return ptd_err(e, -errno, "cannot create eventfds: %s (raise ptnetd's open "
				       "file limit)", strerror(errno));
	}
	for (unsigned int i = 0; i < p->ntx; i++) {
		p->txq[i].kick_rfd = vm->db[1 + i];
		p->txq[i].irq_wfd = vm->irq[1 + i];
	}
	for (unsigned int j = 0; j < p->nrx; j++)
		p->rxq[j].irq_wfd = vm->irq[1 + p->ntx + j];
	*ptd_reg(p, PTNET_IO_X_NUM_VECTORS) = vm->nvec;
	*ptd_reg(p, PTNET_IO_X_STATUS) = 0;	/* down until the guest's CREATE */
	return 0;
}

/* QEMU blocks until it has all of this: answer at once, in one go. */
static int handshake(struct vm_state *vm, int s)
{
	struct ptd_port *p = vm->port;
	int ret;

	if ((ret = ptd_send_i64(s, 0, -1)) || (ret = ptd_send_i64(s, GUEST_ID, -1)) ||
	    (ret = ptd_send_i64(s, -1, p->memfd)))
		return ret;
	for (unsigned int v = 0; v < vm->nvec; v++)
		if ((ret = ptd_send_i64(s, 0, vm->db[v])))	/* peer 0 (ptnetd): doorbells */
			return ret;
	for (unsigned int v = 0; v < vm->nvec; v++)
		if ((ret = ptd_send_i64(s, GUEST_ID, vm->irq[v])))	/* the guest's own vectors */
			return ret;
	return 0;
}

static void on_qemu(struct ptd *d, struct ptd_ev *ev, uint32_t events)
{
	struct vm_state *vm = ptd_container_of(ev, struct vm_state, ev_qemu);
	char buf[64];
	ssize_t r = recv(vm->qemu_fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR) ||
	    (events & (EPOLLHUP | EPOLLERR))) {
		LOG_INFO("vm port %s: QEMU went away", vm->port->name);
		ptd_port_destroy(d, vm->port);
	}
}

static void on_accept(struct ptd *d, struct ptd_ev *ev, uint32_t events)
{
	struct vm_state *vm = ptd_container_of(ev, struct vm_state, ev_listen);
	int s = accept4(vm->listen.fd, NULL, NULL, SOCK_CLOEXEC), ret;

	(void)events;
	if (s < 0)
		return;
	if (vm->qemu_fd >= 0) {
		LOG_WARN("vm port %s: refusing a second QEMU on %s", vm->port->name, vm->path);
		close(s);
		return;
	}
	ret = handshake(vm, s);
	if (ret == -EPIPE || ret == -ECONNRESET) {
		/* The port's QEMU exited before it had everything: as EOF later would. */
		LOG_INFO("vm port %s: QEMU went away during the handshake", vm->port->name);
		close(s);
		ptd_port_destroy(d, vm->port);
		return;
	}
	if (!ret)
		ret = ptd_ev_add(d, &vm->ev_qemu, s, EPOLLIN, on_qemu);
	if (ret) {
		LOG_WARN("vm port %s: handshake with QEMU failed: %s", vm->port->name,
			 strerror(-ret));
		close(s);
		return;
	}
	fcntl(s, F_SETFL, O_NONBLOCK);
	vm->qemu_fd = s;
	LOG_INFO("vm port %s: QEMU connected", vm->port->name);
}

/* CREATE: take the guest's ring heads as the starting point and start forwarding. */
static int guest_create(struct ptd_port *p)
{
	uint32_t hdr = PTNET_READ_ONCE(*ptd_reg(p, PTNET_IO_VNET_HDR_LEN));
	uint32_t heads[2 * PTNET_MAX_RINGS];

	if (hdr != 0 && hdr != PTNET_VNET_HDR_LEN)
		return -EINVAL;
	for (unsigned int i = 0; i < p->ntx + p->nrx; i++) {
		const struct nm_csb_atok *a = i < p->ntx ? p->txq[i].atok : p->rxq[i - p->ntx].atok;
		uint32_t n = i < p->ntx ? p->txq[i].nslots : p->rxq[i - p->ntx].nslots;

		heads[i] = PTNET_READ_ONCE(a->head);
		if (heads[i] >= n)
			return -EINVAL;
	}
	/* Forwarding off (no batch of any worker in flight), then start afresh. */
	ptd_port_set_running(p, false);
	p->vnet_hdr_len = hdr;
	for (unsigned int i = 0; i < p->ntx; i++)
		ptd_txq_reset(&p->txq[i], heads[i]);
	for (unsigned int j = 0; j < p->nrx; j++)
		ptd_rxq_reset(&p->rxq[j], heads[p->ntx + j]);
	ptd_port_set_running(p, true);
	PTNET_WRITE_ONCE(*ptd_reg(p, PTNET_IO_X_STATUS), PTNET_STATUS_LINK);
	return 0;
}

static void guest_delete(struct ptd_port *p)
{
	ptd_port_set_running(p, false);
	PTNET_WRITE_ONCE(*ptd_reg(p, PTNET_IO_X_STATUS), 0);
}

static void on_command(struct ptd *d, struct ptd_ev *ev, uint32_t events)
{
	struct vm_state *vm = ptd_container_of(ev, struct vm_state, ev_cmd);
	struct ptd_port *p = vm->port;
	uint64_t n;
	uint32_t cmd;
	int ret;

	(void)d, (void)events;
	if (read(vm->db[0], &n, sizeof(n)) != sizeof(n))
		return;
	cmd = ptnet_reg_cmd_read(ptd_reg(p, PTNET_IO_PTCTL));	/* C1 */
	switch (cmd) {
	case 0:
		return;		/* spurious doorbell */
	case PTNETMAP_PTCTL_CREATE:
		ret = guest_create(p);
		break;
	case PTNETMAP_PTCTL_DELETE:
		guest_delete(p);
		ret = 0;
		break;
	default:
		ret = -EINVAL;
	}
	/* A guest may ring vector 0 as fast as it likes: never flood the log. */
	LOG_RATELIMIT(5, "vm port %s: %s -> %s", p->name, cmd == PTNETMAP_PTCTL_CREATE ? "CREATE" :
		      cmd == PTNETMAP_PTCTL_DELETE ? "DELETE" : "bad command",
		      ret ? strerror(-ret) : "ok");
	/* The register holds a positive errno (docs/vm.md). */
	PTNET_WRITE_ONCE(*ptd_reg(p, PTNET_IO_X_PTCTL_RESULT), (uint32_t)-ret);
	ptnet_reg_cmd_done(ptd_reg(p, PTNET_IO_PTCTL));	/* C2 */
	ptd_notify(vm->irq[0]);
}

static int vm_start(struct ptd *d, struct ptd_port *p, struct ptd_err *e)
{
	struct vm_state *vm = p->priv;
	int fd, ret;

	ret = ptd_usock_listen(&vm->listen, vm->path, 4);
	if (ret) {
		ret = ptd_err(e, ret, "cannot listen on %s: %s%s", vm->path, strerror(-ret),
			      ret == -EADDRINUSE ? " (remove the stale file or pick another path)" : "");
		vm->path[0] = '\0';	/* not ours: never unlink it */
		return ret;
	}
	fd = vm->listen.fd;
	ret = ptd_ev_add(d, &vm->ev_listen, fd, EPOLLIN, on_accept);
	if (!ret)
		ret = ptd_ev_add(d, &vm->ev_cmd, vm->db[0], EPOLLIN, on_command);
	if (ret)
		return ptd_err(e, ret, "cannot serve %s: %s", vm->path, strerror(-ret));
	LOG_INFO("vm port %s: ivshmem server on %s (%u vectors, %zu KiB region)", p->name,
		 vm->path, vm->nvec, p->size >> 10);
	return 0;
}

/* Stop serving the socket and the doorbells. */
static void vm_stop(struct ptd *d, struct ptd_port *p)
{
	struct vm_state *vm = p->priv;

	ptd_ev_del(d, &vm->ev_listen);
	ptd_ev_del(d, &vm->ev_cmd);
	ptd_ev_del(d, &vm->ev_qemu);
	ptd_usock_close(&vm->listen, vm->path);
	if (vm->qemu_fd >= 0) {
		close(vm->qemu_fd);
		vm->qemu_fd = -1;
	}
}

static void vm_free(struct ptd *d, struct ptd_port *p)
{
	struct vm_state *vm = p->priv;

	/* The rings' notification fds are the vectors' eventfds. */
	for (unsigned int i = 0; i < PTNET_MAX_RINGS; i++) {
		p->txq[i].kick_rfd = p->txq[i].irq_wfd = -1;
		p->rxq[i].irq_wfd = -1;
	}
	p->priv = NULL;
	if (!vm)
		return;
	for (unsigned int v = 0; v < MAX_VECTORS; v++) {
		if (vm->db[v] >= 0)
			close(vm->db[v]);
		if (vm->irq[v] >= 0)
			close(vm->irq[v]);
	}
	vm->port = NULL;
	ptd_defer_free(d, &vm->gone, vm);	/* the current event batch may name it */
}

static int vm_describe(const struct ptd_port *p, char *buf, size_t len)
{
	const struct vm_state *vm = p->priv;

	return snprintf(buf, len, " socket=%s qemu=%s running=%d", vm->path,
			vm->qemu_fd >= 0 ? "yes" : "no", p->running);
}

/* vm-add NAME socket=PATH [rings=N] [slots=S] [buf-size=B] [mac=MAC] */
static int do_vm_add(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
		     struct ptd_reply *r, struct ptd_err *e)
{
	static const char *const own[] = { "socket", NULL };
	struct sockaddr_un sa;
	struct ptnet_port_opts o = { 0 };
	struct vm_conf vc = { 0 };
	unsigned int given = 0;
	struct ptd_port *p;
	struct vm_state *vm;
	int ret;

	if (t->n < 3)
		return ptd_err(e, -EINVAL, "usage: vm-add NAME socket=PATH [rings=N] [slots=S] "
			       "[buf-size=B] [mac=MAC]");
	ret = ptd_ctl_port_opts(t, 2, own, &o, &given, e);
	if (ret)
		return ret;
	vc.path = ptc_kv_get(t, 2, "socket");
	if (given & PTC_OPT_VNET_HDR)
		return ptd_err(e, -EINVAL, "a vm port's guest chooses its vnet-hdr");
	if (!vc.path || vc.path[0] != '/' || strlen(vc.path) >= sizeof(sa.sun_path))
		return ptd_err(e, -EINVAL, "socket=PATH must be an absolute path of at most %zu "
			       "bytes", sizeof(sa.sun_path) - 1);
	ret = ptc_opts_finish(&o, e->msg, sizeof(e->msg));
	if (ret)
		return ret;
	if (1 + o.tx_rings + o.rx_rings > 255)
		return ptd_err(e, -EINVAL, "too many rings for ivshmem's 8-bit vectors");
	ret = ptd_port_create(d, t->tok[1], &o, &ptd_vm_ops, &vc, &c->cr, &p, e);
	if (ret)
		return ret;
	vm = p->priv;
	snprintf(r->text, sizeof(r->text), "socket=%s vectors=%u size=%zu", vm->path, vm->nvec,
		 p->size);
	return 0;
}

/* vm-del NAME */
static int do_vm_del(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
		     struct ptd_reply *r, struct ptd_err *e)
{
	(void)r;
	return ptd_ctl_del_kind(d, c, t, &ptd_vm_ops, e);
}

static const struct ptd_request vm_requests[] = {
	{ "vm-add", do_vm_add, true },
	{ "vm-del", do_vm_del, true },
	{ NULL, NULL, false },
};

const struct ptd_port_ops ptd_vm_ops = {
	.name = "vm",
	.region_kind = PTNET_KIND_VM,
	.flags = PTD_KIND_STARTS_DOWN,
	.create = vm_create,
	.start = vm_start,
	.stop = vm_stop,
	.free = vm_free,
	.describe = vm_describe,
	.requests = vm_requests,
};
