// SPDX-License-Identifier: BSD-2-Clause
/*
 * guest.c - the preload inside a VM guest: netmap names of a ptnet NIC
 * mapped onto the device libptnet opens in native mode (/dev/ptnetN,
 * <ptnet/guest.h>).
 *
 *   eth0, netmap:eth0    the net_device of a ptnet NIC: its device file is
 *                        the misc device under the PCI function,
 *                        /sys/class/net/eth0/device/misc/ptnetN
 *   ptnet0, netmap:ptnet0
 *                        the device file itself (/dev/ptnet0)
 *
 * Either becomes "ptnetN", the name libptnet's guest backend takes (and the
 * name of the mem, so both spellings share one registration's memory).
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "preload/preload.h"

#define SYS_NET "/sys/class/net/"

/* "ptnetN" (digits only after the prefix), N < 2^31. */
static int is_ptnet_name(const char *s)
{
	size_t n;

	if (strncmp(s, "ptnet", 5) || !s[5])
		return 0;
	n = strspn(s + 5, "0123456789");
	return s[5 + n] == '\0' && n <= 9;
}

int pnm_guest_is_dev(const char *name)
{
	char path[32];

	if (!is_ptnet_name(name))
		return 0;
	snprintf(path, sizeof(path), "/dev/%s", name);
	return access(path, F_OK) == 0;
}

/* The ptnetN under IFNAME's PCI device, if it is a ptnet NIC: 1 and DEV set. */
static int dev_of_if(const char *ifn, char *dev, size_t len)
{
	char path[sizeof(SYS_NET) + NETMAP_REQ_IFNAMSIZ + 16];
	struct dirent *e;
	DIR *d;
	int found = 0;

	if (!ifn[0] || strchr(ifn, '/') || !strcmp(ifn, ".") || !strcmp(ifn, ".."))
		return 0;
	snprintf(path, sizeof(path), SYS_NET "%s/device/misc", ifn);
	d = opendir(path);
	if (!d)
		return 0;
	while (!found && (e = readdir(d)))
		if (is_ptnet_name(e->d_name) && strlen(e->d_name) < len) {
			snprintf(dev, len, "%s", e->d_name);
			found = 1;
		}
	closedir(d);
	return found;
}

int pnm_guest_canon(char *name, size_t len)
{
	char dev[NETMAP_REQ_IFNAMSIZ], *n = name;

	if (strnlen(name, len) == len)
		return 0;	/* check_name reports it */
	if (!strncmp(n, "netmap:", 7))
		n += 7;
	if (strchr(n, ':'))
		return 0;	/* valeX:Y and the like */
	if (pnm_guest_is_dev(n)) {
		snprintf(dev, sizeof(dev), "%s", n);
	} else if (!dev_of_if(n, dev, sizeof(dev))) {
		return 0;
	}
	pnm_dbg("'%s' is the ptnet NIC /dev/%s (native mode)", name, dev);
	snprintf(name, len, "%s", dev);
	return 1;
}

int pnm_in_guest(void)
{
	return access("/sys/module/ptnet", F_OK) == 0;
}
