// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ptnet_netmap.c - native mode: /dev/ptnetN lets one guest process map the
 * port region and drive the rings through the CSB itself, exactly like a
 * libptnet client of ptnetd on the host (include/ptnet/guest.h is the
 * interface).
 *
 * While a process holds the rings (from PTNET_IOC_REGIF until every fd is
 * closed) the net_device stays off them: carrier off, NAPI and TX stopped,
 * ptnetd re-CREATEd with the process's header length.  On the last close
 * the port is DELETEd and, if the interface is up, CREATEd again for it.
 *
 * Kicks and waits go through one file per ring (PTNET_IOC_RING_FD): write()
 * rings the TX ring's doorbell, poll() reports the ring's MSI-X interrupt,
 * read() consumes it.  So libptnet's own sync and wait code runs unchanged
 * on them (they stand in for its kick and irq pipes).
 *
 * Lifetime: struct ptnet_cdev outlives the PCI device while files are
 * open (kref); after remove its pd is NULL and every fd reports POLLHUP.
 */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/anon_inodes.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/rtnetlink.h>
#include <ptnet/guest.h>
#include "ptnet.h"

struct ptnet_cdev_ring {
	wait_queue_head_t wq;
	unsigned long pending;		/* bit 0: interrupt not yet read() */
};

struct ptnet_cdev {
	struct miscdevice misc;
	char name[16];
	struct kref ref;
	struct mutex lock;		/* pd, busy; taken before RTNL */
	struct ptnet_dev *pd;		/* NULL once the device is gone */
	bool busy;			/* the device file is open */
	unsigned int ntx, nrings;
	wait_queue_head_t hup_wq;
	struct ptnet_cdev_ring ring[2 * PTNET_MAX_RINGS];
};

struct ptnet_ring_file {
	struct ptnet_cdev *cd;
	struct file *main;		/* keeps the rings owned while a ring fd lives */
	unsigned int ring;
};

static void cdev_free(struct kref *ref)
{
	kfree(container_of(ref, struct ptnet_cdev, ref));
}

/* --- native mode transitions (cd->lock held; take RTNL for the net_device) --- */

int ptnet_native_enter(struct ptnet_dev *pd, u32 vnet_hdr_len)
{
	struct ptnet_cdev *cd = pd->cdev;
	unsigned int i;
	int ret;

	rtnl_lock();
	if (pd->native) {
		ret = -EBUSY;
		goto out;
	}
	if (pd->running)
		ptnet_datapath_stop(pd);	/* DELETE */
	ptnet_reg_write(pd, PTNET_IO_VNET_HDR_LEN, vnet_hdr_len);
	for (i = 0; i < pd->ntx; i++)
		ptnet_ring_reset(&pd->txq[i].r, true);
	for (i = 0; i < pd->nrx; i++)
		ptnet_ring_reset(&pd->rxq[i].r, false);
	for (i = 0; i < cd->nrings; i++)
		clear_bit(0, &cd->ring[i].pending);
	ret = ptnet_ptctl(pd, PTNETMAP_PTCTL_CREATE);
	if (ret) {
		netdev_err(pd->netdev, "native mode: ptnetd refused CREATE: %d\n", ret);
		if (pd->up && ptnet_datapath_start(pd))
			netdev_err(pd->netdev, "cannot restart the interface\n");
		goto out;
	}
	pd->created = true;
	for (i = 0; i < pd->ntx; i++) {
		ptnet_ring_refresh(&pd->txq[i].r);
		ptnet_ring_sync_netmap(&pd->txq[i].r);
	}
	for (i = 0; i < pd->nrx; i++) {
		ptnet_ring_refresh(&pd->rxq[i].r);
		ptnet_ring_sync_netmap(&pd->rxq[i].r);
	}
	WRITE_ONCE(pd->native, true);
	netdev_info(pd->netdev, "native mode: rings handed to pid %d (vnet header %u)\n",
		    task_pid_nr(current), vnet_hdr_len);
out:
	rtnl_unlock();
	return ret;
}

void ptnet_native_exit(struct ptnet_dev *pd)
{
	unsigned int i;
	int ret;

	rtnl_lock();
	if (!pd->native)
		goto out;
	WRITE_ONCE(pd->native, false);
	for (i = 0; i < pd->ntx; i++)
		ptnet_ring_irq_disable(&pd->txq[i].r);
	for (i = 0; i < pd->nrx; i++)
		ptnet_ring_irq_disable(&pd->rxq[i].r);
	if (pd->created) {
		ret = ptnet_ptctl(pd, PTNETMAP_PTCTL_DELETE);
		if (ret)
			netdev_warn(pd->netdev, "native mode: DELETE failed: %d\n", ret);
		pd->created = false;
	}
	netdev_info(pd->netdev, "native mode ended\n");
	if (pd->up && ptnet_datapath_start(pd))
		netdev_err(pd->netdev, "cannot restart the interface after native mode\n");
out:
	rtnl_unlock();
}

/* Interrupt of ring R while a process holds the rings: wake its pollers. */
void ptnet_native_irq(struct ptnet_ring *r)
{
	struct ptnet_dev *pd = r->pd;
	struct ptnet_cdev *cd = pd->cdev;
	unsigned int k = r->vector - 1;		/* TX rings first, like the CSB */

	if (!cd || k >= cd->nrings)
		return;
	set_bit(0, &cd->ring[k].pending);
	wake_up_interruptible(&cd->ring[k].wq);
}

/* --- per-ring files --- */

static ssize_t ring_read(struct file *file, char __user *buf, size_t len, loff_t *ppos)
{
	struct ptnet_ring_file *rf = file->private_data;
	struct ptnet_cdev *cd = rf->cd;
	char one = 1;

	if (!len)
		return 0;
	if (test_and_clear_bit(0, &cd->ring[rf->ring].pending))
		return put_user(one, buf) ? -EFAULT : 1;
	return READ_ONCE(cd->pd) ? -EAGAIN : 0;
}

static ssize_t ring_write(struct file *file, const char __user *buf, size_t len, loff_t *ppos)
{
	struct ptnet_ring_file *rf = file->private_data;
	struct ptnet_cdev *cd = rf->cd;
	ssize_t ret = len;

	mutex_lock(&cd->lock);
	if (!cd->pd)
		ret = -ENODEV;
	else if (!cd->pd->native)
		ret = -EPIPE;
	else if (rf->ring < cd->ntx)
		ptnet_doorbell(cd->pd, 1 + rf->ring);
	mutex_unlock(&cd->lock);
	return ret;
}

static __poll_t ring_poll(struct file *file, poll_table *wait)
{
	struct ptnet_ring_file *rf = file->private_data;
	struct ptnet_cdev *cd = rf->cd;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &cd->ring[rf->ring].wq, wait);
	if (test_bit(0, &cd->ring[rf->ring].pending))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (!READ_ONCE(cd->pd))
		mask |= EPOLLHUP | EPOLLERR;
	return mask;
}

static int ring_release(struct inode *inode, struct file *file)
{
	struct ptnet_ring_file *rf = file->private_data;

	fput(rf->main);
	kref_put(&rf->cd->ref, cdev_free);
	kfree(rf);
	return 0;
}

static const struct file_operations ptnet_ring_fops = {
	.owner		= THIS_MODULE,
	.read		= ring_read,
	.write		= ring_write,
	.poll		= ring_poll,
	.release	= ring_release,
	.llseek		= noop_llseek,
};

static int ring_fd_new(struct ptnet_cdev *cd, struct file *main, unsigned int ring)
{
	struct ptnet_ring_file *rf = kzalloc(sizeof(*rf), GFP_KERNEL);
	int fd;

	if (!rf)
		return -ENOMEM;
	rf->cd = cd;
	rf->main = get_file(main);
	rf->ring = ring;
	kref_get(&cd->ref);
	fd = anon_inode_getfd("[ptnet-ring]", &ptnet_ring_fops, rf, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fput(main);
		kref_put(&cd->ref, cdev_free);
		kfree(rf);
	}
	return fd;
}

/* --- the device file --- */

static int cdev_open(struct inode *inode, struct file *file)
{
	struct ptnet_cdev *cd = container_of(file->private_data, struct ptnet_cdev, misc);
	int ret = 0;

	mutex_lock(&cd->lock);
	if (!cd->pd)
		ret = -ENODEV;
	else if (cd->busy)
		ret = -EBUSY;
	if (!ret) {
		cd->busy = true;
		kref_get(&cd->ref);
		file->private_data = cd;
	}
	mutex_unlock(&cd->lock);
	return ret ? ret : nonseekable_open(inode, file);
}

static int cdev_release(struct inode *inode, struct file *file)
{
	struct ptnet_cdev *cd = file->private_data;

	mutex_lock(&cd->lock);
	if (cd->pd && cd->pd->native)
		ptnet_native_exit(cd->pd);
	cd->busy = false;
	mutex_unlock(&cd->lock);
	kref_put(&cd->ref, cdev_free);
	return 0;
}

static int cdev_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct ptnet_cdev *cd = file->private_data;
	int ret = -ENODEV;

	mutex_lock(&cd->lock);
	if (cd->pd)
		ret = vm_iomap_memory(vma, cd->pd->mem_phys, cd->pd->mem_size);
	mutex_unlock(&cd->lock);
	return ret;
}

static long cdev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ptnet_cdev *cd = file->private_data;
	struct ptnet_dev *pd;
	long ret = 0;

	mutex_lock(&cd->lock);
	pd = cd->pd;
	if (!pd) {
		ret = -ENODEV;
		goto out;
	}
	switch (cmd) {
	case PTNET_IOC_INFO: {
		struct ptnet_ioc_info info = {
			.region_size = pd->mem_size,
			.tx_rings = pd->ntx,
			.rx_rings = pd->nrx,
			.features = pd->feat,
			.native = pd->native,
		};

		strscpy(info.ifname, pd->netdev->name, sizeof(info.ifname));
		if (copy_to_user((void __user *)arg, &info, sizeof(info)))
			ret = -EFAULT;
		break;
	}
	case PTNET_IOC_REGIF: {
		struct ptnet_ioc_regif ri;

		if (copy_from_user(&ri, (void __user *)arg, sizeof(ri))) {
			ret = -EFAULT;
			break;
		}
		if (ri.flags || (ri.vnet_hdr_len != 0 && ri.vnet_hdr_len != PTNET_VNET_HDR_LEN) ||
		    (ri.vnet_hdr_len && !(pd->feat & PTNETMAP_F_VNET_HDR))) {
			ret = -EINVAL;
			break;
		}
		ret = ptnet_native_enter(pd, ri.vnet_hdr_len);
		break;
	}
	case PTNET_IOC_RING_FD:
		if (!pd->native)
			ret = -EPERM;
		else if (arg >= cd->nrings)
			ret = -EINVAL;
		else
			ret = ring_fd_new(cd, file, arg);
		break;
	case PTNET_IOC_KICK:
		if (!pd->native)
			ret = -EPERM;
		else if (arg >= cd->ntx)
			ret = -EINVAL;
		else
			ptnet_doorbell(pd, 1 + arg);
		break;
	default:
		ret = -ENOTTY;
	}
out:
	mutex_unlock(&cd->lock);
	return ret;
}

/* Nothing to read: it only reports the device going away (libptnet's "control fd"). */
static __poll_t cdev_poll(struct file *file, poll_table *wait)
{
	struct ptnet_cdev *cd = file->private_data;

	poll_wait(file, &cd->hup_wq, wait);
	return READ_ONCE(cd->pd) ? 0 : EPOLLHUP | EPOLLERR;
}

static const struct file_operations ptnet_cdev_fops = {
	.owner		= THIS_MODULE,
	.open		= cdev_open,
	.release	= cdev_release,
	.mmap		= cdev_mmap,
	.unlocked_ioctl	= cdev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.poll		= cdev_poll,
	.llseek		= no_llseek,
};

int ptnet_cdev_create(struct ptnet_dev *pd)
{
	struct ptnet_cdev *cd = kzalloc(sizeof(*cd), GFP_KERNEL);
	unsigned int i;
	int ret;

	if (!cd)
		return -ENOMEM;
	kref_init(&cd->ref);
	mutex_init(&cd->lock);
	init_waitqueue_head(&cd->hup_wq);
	cd->ntx = pd->ntx;
	cd->nrings = pd->ntx + pd->nrx;
	for (i = 0; i < cd->nrings; i++)
		init_waitqueue_head(&cd->ring[i].wq);
	cd->pd = pd;
	snprintf(cd->name, sizeof(cd->name), "ptnet%u", pd->id);
	cd->misc.minor = MISC_DYNAMIC_MINOR;
	cd->misc.name = cd->name;
	cd->misc.fops = &ptnet_cdev_fops;
	cd->misc.mode = 0600;
	cd->misc.parent = &pd->pdev->dev;
	pd->cdev = cd;
	ret = misc_register(&cd->misc);
	if (ret) {
		pd->cdev = NULL;
		kfree(cd);
	}
	return ret;
}

void ptnet_cdev_destroy(struct ptnet_dev *pd)
{
	struct ptnet_cdev *cd = pd->cdev;
	unsigned int i;

	if (!cd)
		return;
	misc_deregister(&cd->misc);	/* no new opens */
	mutex_lock(&cd->lock);
	if (pd->native)
		ptnet_native_exit(pd);
	WRITE_ONCE(cd->pd, NULL);
	mutex_unlock(&cd->lock);
	for (i = 0; i < cd->nrings; i++)
		wake_up_interruptible(&cd->ring[i].wq);
	wake_up_interruptible(&cd->hup_wq);
	pd->cdev = NULL;
	kref_put(&cd->ref, cdev_free);
}
