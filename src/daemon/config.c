// SPDX-License-Identifier: BSD-2-Clause
/* config.c - ptnetd's defaults, in one place (main.c's options and the tests start here). */
#include <stdlib.h>
#include <unistd.h>
#include <ptnet/ptnet.h>
#include "daemon/daemon.h"
#include "daemon/switch.h"

void ptd_config_defaults(struct ptd_config *cfg)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	const char *env = getenv(PTNET_SOCKET_ENV);

	*cfg = (struct ptd_config){ 0 };
	cfg->sock_path = env && *env ? env : PTNET_DEFAULT_SOCKET;
	cfg->nworkers = ncpu > 0 ? (unsigned int)ncpu : 1;
	if (cfg->nworkers > 16)
		cfg->nworkers = 16;
	cfg->poll_min_us = 20;
	cfg->poll_max_us = 1000;
	cfg->mac_age_s = 300;
	cfg->mac_table = PTD_MAC_MIN;
	cfg->sock_mode = -1;
	cfg->max_switches = 64;
	cfg->max_ports = 512;
	cfg->max_ports_per_switch = PTD_MAX_PORTS;
	cfg->max_port_mem = 512ull << 20;
	cfg->max_mem = 8192ull << 20;
}
