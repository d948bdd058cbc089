// SPDX-License-Identifier: BSD-2-Clause
/*
 * kinds.c - every kind of port ptnetd knows.  A new kind: its own file
 * with a struct ptd_port_ops (port.h), and one line here.
 */
#include "daemon/port.h"

extern const struct ptd_port_ops ptd_passthrough_ops, ptd_tap_ops, ptd_vm_ops, ptd_monitor_ops,
	ptd_vhost_ops;

const struct ptd_port_ops *const ptd_kinds[] = {
	&ptd_passthrough_ops,
	&ptd_tap_ops,
	&ptd_vm_ops,
	&ptd_monitor_ops,
	&ptd_vhost_ops,
	NULL,
};
