/* SPDX-License-Identifier: BSD-2-Clause */
/* netlink.h - rtnetlink link configuration (libmnl). */
#ifndef PTNETD_NETLINK_H
#define PTNETD_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

struct mnl_socket;

int ptd_nl_open(struct mnl_socket **nl);
/* Set MTU (0: keep), MAC (NULL: keep) and the up/down state of IFINDEX. */
int ptd_nl_link_set(struct mnl_socket *nl, unsigned int ifindex, unsigned int mtu,
		    const uint8_t *mac, bool up);
void ptd_nl_close(struct mnl_socket *nl);

#endif
