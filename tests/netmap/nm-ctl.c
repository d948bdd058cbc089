// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm-ctl - vale-ctl's requests through /dev/netmap (nm.h only), for the
 * preload tests: one request per run, the errno printed.
 *
 *   nm-ctl attach valeX:IF [MODE]   VALE_ATTACH (nr_mode, default 1)
 *   nm-ctl detach valeX:Y           VALE_DETACH
 *   nm-ctl newif IF                 VALE_NEWIF
 *   nm-ctl delif IF                 VALE_DELIF
 *   nm-ctl list                     VALE_LIST from index 0 until ENOENT
 *   nm-ctl info PORT                PORT_INFO_GET ("OK tx_rings=N rx_rings=N
 *                                   tx_slots=N rx_slots=N memsize=N")
 *
 * Prints "OK [port_index=N]" (list: one "PORT b=B p=P" line each) or
 * "ERR errno=N"; exits 0, 1 (the request failed) or 2 (usage).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "nm.h"

struct t_attach {
	struct t_reg reg;
	uint32_t port_index, pad;
};

struct t_newif {
	uint32_t nr_tx_slots, nr_rx_slots;
	uint16_t nr_tx_rings, nr_rx_rings, nr_mem_id, pad;
};

_Static_assert(sizeof(struct t_attach) == 64, "vale_attach");
_Static_assert(offsetof(struct t_attach, port_index) == 56, "vale_attach.port_index");
_Static_assert(sizeof(struct t_newif) == 16, "vale_newif");

static int result(int err, const char *extra)
{
	if (err) {
		printf("ERR errno=%d (%s)\n", err, strerror(err));
		return 1;
	}
	printf("OK%s\n", extra);
	return 0;
}

int main(int argc, char **argv)
{
	struct t_hdr h;
	char extra[128] = "";
	int fd, err;

	if (argc < 2)
		goto usage;
	fd = open("/dev/netmap", O_RDWR);
	if (fd < 0) {
		perror("open /dev/netmap");
		return 1;
	}
	if (!strcmp(argv[1], "attach") && (argc == 3 || argc == 4)) {
		struct t_attach a = { 0 };

		t_hdr_init(&h, T_VALE_ATTACH, argv[2], &a);
		a.reg.nr_mode = argc == 4 ? (uint32_t)atoi(argv[3]) : T_ALL_NIC;
		a.port_index = 0xdeadu;
		err = t_ioctl(fd, T_NIOCCTRL, &h);
		snprintf(extra, sizeof(extra), " port_index=%u", a.port_index);
		return result(err, extra);
	}
	if (!strcmp(argv[1], "detach") && argc == 3) {
		struct { uint32_t port_index, pad; } d = { 0xdeadu, 0 };

		t_hdr_init(&h, T_VALE_DETACH, argv[2], &d);
		err = t_ioctl(fd, T_NIOCCTRL, &h);
		snprintf(extra, sizeof(extra), " port_index=%u", d.port_index);
		return result(err, extra);
	}
	if (!strcmp(argv[1], "newif") && argc == 3) {
		struct t_newif n = { 0 };

		t_hdr_init(&h, T_VALE_NEWIF, argv[2], &n);
		return result(t_ioctl(fd, T_NIOCCTRL, &h), "");
	}
	if (!strcmp(argv[1], "delif") && argc == 3) {
		t_hdr_init(&h, T_VALE_DELIF, argv[2], NULL);
		return result(t_ioctl(fd, T_NIOCCTRL, &h), "");
	}
	if (!strcmp(argv[1], "list") && argc == 2) {
		struct t_list l = { 0 };

		for (;;) {
			t_hdr_init(&h, T_VALE_LIST, "", &l);
			err = t_ioctl(fd, T_NIOCCTRL, &h);
			if (err)
				break;
			printf("%s b=%u p=%u\n", h.nr_name, l.nr_bridge_idx, l.nr_port_idx);
			l.nr_port_idx++;
		}
		return result(err == ENOENT ? 0 : err, "");
	}
	if (!strcmp(argv[1], "info") && argc == 3) {
		struct t_info in = { 0 };

		t_hdr_init(&h, T_PORT_INFO_GET, argv[2], &in);
		err = t_ioctl(fd, T_NIOCCTRL, &h);
		snprintf(extra, sizeof(extra), " tx_rings=%u rx_rings=%u tx_slots=%u rx_slots=%u "
			 "memsize=%llu", in.nr_tx_rings, in.nr_rx_rings, in.nr_tx_slots,
			 in.nr_rx_slots, (unsigned long long)in.nr_memsize);
		return result(err, extra);
	}
usage:
	fprintf(stderr, "usage: nm-ctl attach valeX:IF [MODE] | detach valeX:Y | newif IF | "
		"delif IF | list | info PORT\n");
	return 2;
}
