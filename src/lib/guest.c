// SPDX-License-Identifier: BSD-2-Clause
/*
 * guest.c - libptnet inside a VM: open a ptnet NIC's rings in native mode
 * through the guest driver's /dev/ptnetN (<ptnet/guest.h>), so
 * that programs written for ptnetd's ports run unchanged in the guest.
 *
 * Port names: "ptnetN" or "/dev/ptnetN", optionally "@conf:vnet-hdr=0|12"
 * (the ring geometry is the VM port's, chosen on the host with ptnetctl vm
 * add).  The device file stands in for the control connection (it reports
 * POLLHUP when the device goes away) and one file per ring stands in for
 * the kick and irq pipes: write() kicks ptnetd, poll() waits for the ring's
 * interrupt, read() consumes it.  So sync.c serves both backends as is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "lib/internal.h"
#include <ptnet/guest.h>

int ptl_guest_name(const char *name)
{
	const char *p;

	if (!name)
		return 0;
	if (!strncmp(name, PTNET_DEV_PREFIX, strlen(PTNET_DEV_PREFIX)))
		return 1;
	if (strncmp(name, "ptnet", 5))
		return 0;
	p = name + 5;
	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	return *p == '\0' || *p == '@';
}

/* Split NAME into the device path and the header length asked for. */
static int parse_name(const char *name, char *path, size_t len, uint32_t *vnet_hdr)
{
	const char *at = strchr(name, '@');
	size_t n = at ? (size_t)(at - name) : strlen(name);
	const char *opt;

	if (name[0] == '/') {
		if (n >= len)
			return ptl_err(-EINVAL, "device path too long");
		memcpy(path, name, n);
		path[n] = '\0';
	} else {
		if (n + 6 >= len)
			return ptl_err(-EINVAL, "device name too long");
		snprintf(path, len, "/dev/%.*s", (int)n, name);
	}
	if (!at)
		return 0;
	if (strncmp(at, "@conf:", 6))
		return ptl_err(-EINVAL, "'%s': options start with @conf:", name);
	opt = at + 6;
	while (*opt) {
		const char *end = strchr(opt, ',');
		size_t ol = end ? (size_t)(end - opt) : strlen(opt);

		if (ol == 10 && !strncmp(opt, "vnet-hdr=0", 10))
			*vnet_hdr = 0;
		else if (ol == 11 && !strncmp(opt, "vnet-hdr=12", 11))
			*vnet_hdr = PTNET_VNET_HDR_LEN;
		else
			return ptl_err(-EINVAL, "'%.*s': a guest device takes only vnet-hdr=0|12 (rings, "
				       "slots and buffers are set on the host by ptnetctl vm add)",
				       (int)ol, opt);
		opt += ol;
		if (*opt == ',')
			opt++;
	}
	return 0;
}

int ptl_guest_open(const char *name, const struct ptnet_port_opts *opts,
		   struct ptnet_port **portp)
{
	struct ptnet_ioc_info info;
	struct ptnet_ioc_regif regif;
	struct ptnet_port *p;
	char path[256];
	uint32_t vnet_hdr = opts ? opts->vnet_hdr_len : 0;
	unsigned int nrings;
	int ret, fd;

	*portp = NULL;
	ret = parse_name(name, path, sizeof(path), &vnet_hdr);
	if (ret)
		return ret;
	if (vnet_hdr != 0 && vnet_hdr != PTNET_VNET_HDR_LEN)
		return ptl_err(-EINVAL, "vnet-hdr must be 0 or %d", PTNET_VNET_HDR_LEN);
	p = ptl_port_alloc(opts);
	if (!p)
		return ptl_err(-ENOMEM, "out of memory");
	fd = open(path, O_RDWR | O_CLOEXEC);
	p->ctl_fd = fd;
	if (fd < 0) {
		ret = -errno;
		if (errno == ENOENT)
			ptl_err(ret, "%s does not exist (is the ptnet module loaded?)", path);
		else if (errno == EBUSY)
			ptl_err(ret, "%s is in use by another process", path);
		else
			ptl_err(ret, "cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	if (ioctl(fd, PTNET_IOC_INFO, &info) < 0) {
		ret = ptl_err(-errno, "%s: not a ptnet device: %s", path, strerror(errno));
		goto fail;
	}
	if (info.tx_rings < 1 || info.tx_rings > PTNET_MAX_RINGS || info.rx_rings < 1 ||
	    info.rx_rings > PTNET_MAX_RINGS || info.region_size < PTNET_REGION_HDR_SIZE) {
		ret = ptl_err(-EPROTO, "%s: bad device geometry", path);
		goto fail;
	}
	if (vnet_hdr && !(info.features & PTNETMAP_F_VNET_HDR)) {
		ret = ptl_err(-EINVAL, "%s: ptnetd offers no virtio-net header", path);
		goto fail;
	}
	p->size = (size_t)info.region_size;
	p->mem = mmap(NULL, p->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p->mem == MAP_FAILED) {
		p->mem = NULL;
		ret = ptl_err(-errno, "cannot map %s: %s", path, strerror(errno));
		goto fail;
	}
	memset(&regif, 0, sizeof(regif));
	regif.vnet_hdr_len = vnet_hdr;
	if (ioctl(fd, PTNET_IOC_REGIF, &regif) < 0) {
		ret = ptl_err(-errno, "%s: cannot take the rings: %s", path, strerror(errno));
		goto fail;
	}
	ret = ptl_check_region(p);
	if (ret)
		goto fail;
	nrings = p->ntx + p->nrx;
	if (p->ntx != info.tx_rings || p->nrx != info.rx_rings) {
		ret = ptl_err(-EPROTO, "%s: ring count mismatch", path);
		goto fail;
	}
	for (unsigned int i = 0; i < nrings; i++) {
		int rfd = ioctl(fd, PTNET_IOC_RING_FD, i);

		if (rfd < 0) {
			ret = ptl_err(-errno, "%s: ring %u: %s", path, i, strerror(errno));
			goto fail;
		}
		p->r[i].kick_fd = rfd;
		p->r[i].irq_fd = fcntl(rfd, F_DUPFD_CLOEXEC, 0);
		if (p->r[i].irq_fd < 0) {
			ret = ptl_err(-errno, "dup: %s", strerror(errno));
			goto fail;
		}
		fcntl(p->r[i].irq_fd, F_SETFL, O_NONBLOCK);
	}
	ret = ptl_port_watch(p);
	if (ret)
		goto fail;
	*portp = p;
	return 0;
fail:
	ptnet_port_close(p);
	return ret;
}
