/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * guest.h - the native-mode interface of /dev/ptnetN inside a VM guest:
 * the uapi of the guest driver (kernel/ptnet/), used by it and by
 * libptnet's guest backend (src/lib/guest.c).  Includable from kernel and
 * user space alike (only <linux/types.h> and <linux/ioctl.h>).
 *
 *   fd = open("/dev/ptnet0", O_RDWR);          one opener at a time (EBUSY)
 *   ioctl(fd, PTNET_IOC_INFO, &info);          region size, rings, interface
 *   mem = mmap(NULL, info.region_size, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0);
 *   ioctl(fd, PTNET_IOC_REGIF, &regif);        take the rings from the NIC
 *   rfd = ioctl(fd, PTNET_IOC_RING_FD, i);     per ring (TX rings first):
 *        write(rfd, ...)  kicks ptnetd (TX rings; a no-op on RX rings)
 *        poll(rfd)        POLLIN after the ring's interrupt (ask for it with
 *                         atok.appl_need_kick = 1, full barrier, re-check)
 *        read(rfd, ...)   consumes that event (-EAGAIN if none)
 *   close everything:     the NIC gets its rings back (CREATE again)
 *
 * From REGIF on, the process is the "application" side of every ring's CSB,
 * exactly like a libptnet client of ptnetd; the netmap ring headers (head,
 * cur, tail) were set from the CSB state.  POLLHUP/POLLERR on either fd:
 * the device is gone.
 */
#ifndef PTNET_GUEST_H
#define PTNET_GUEST_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define PTNET_DEV_PREFIX	"/dev/ptnet"

struct ptnet_ioc_info {
	__u64 region_size;	/* bytes to mmap at offset 0 */
	__u32 tx_rings;
	__u32 rx_rings;
	__u32 features;		/* PTNET_IO_PTFEAT: PTNETMAP_F_VNET_HDR */
	__u32 native;		/* 1 while a process holds the rings */
	char ifname[16];	/* the net_device */
	__u32 reserved[8];
};

struct ptnet_ioc_regif {
	__u32 vnet_hdr_len;	/* 0 or 12 (needs PTNETMAP_F_VNET_HDR) */
	__u32 flags;		/* 0 */
	__u32 reserved[6];
};

#define PTNET_IOC_MAGIC		0xb7
#define PTNET_IOC_INFO		_IOR(PTNET_IOC_MAGIC, 1, struct ptnet_ioc_info)
#define PTNET_IOC_REGIF		_IOW(PTNET_IOC_MAGIC, 2, struct ptnet_ioc_regif)
#define PTNET_IOC_RING_FD	_IO(PTNET_IOC_MAGIC, 3)	/* arg: ring, TX rings first */
#define PTNET_IOC_KICK		_IO(PTNET_IOC_MAGIC, 4)	/* arg: TX ring */

/*
 * The ioctl numbers encode these sizes; the layouts have no padding and no
 * pointers, so 32- and 64-bit processes see the same structs.
 */
_Static_assert(sizeof(struct ptnet_ioc_info) == 72, "ptnet_ioc_info");
_Static_assert(sizeof(struct ptnet_ioc_regif) == 32, "ptnet_ioc_regif");

#endif /* PTNET_GUEST_H */
