// SPDX-License-Identifier: BSD-2-Clause
/*
 * capture.c - ptnetctl capture: a monitor port (libptnet's
 * ptnet_monitor_open) on the port to watch, its frames written as pcap with
 * libpcap, to a file or to stdout.  The BPF filter is compiled here with
 * pcap_compile and run by ptnetd before copying.  Frames keep the length
 * the port sees: a GSO frame of a TAP or VM port is one frame of up to
 * 64 KiB (said so on stderr at the end).  The file is flushed after every
 * batch, so a capture that is killed leaves every packet written until then.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pcap/pcap.h>
#include <ptnet/ptnet.h>
#include <ptnet/ring.h>
#include "ptnetctl.h"

#define CAP_HDR		PTNET_VNET_HDR_LEN	/* the monitor takes the virtio-net header */
#define CAP_MAX_FRAME	(65536 + CAP_HDR)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: ptnetctl capture PORT [-w FILE|-] [-c COUNT] [-s SNAPLEN] "
		"[--rx|--tx] [--nano] [-q] [FILTER...]\n");
	return 2;
}

/*
 * The frame at R's cur (a chain of slots) into BUF, taking its slots; its
 * length on the wire in *WIRE, the bytes kept (at most CAP_MAX_FRAME, no
 * gap: nothing after the first fragment that does not fit) returned.
 */
static uint32_t take_frame(struct netmap_ring *r, uint8_t *buf, uint32_t *wire)
{
	uint32_t len = 0, total = 0;
	bool full = false;
	struct netmap_slot *s;

	do {
		s = &r->slot[r->cur];
		total += s->len;
		if (!full && len + s->len <= CAP_MAX_FRAME) {
			memcpy(buf + len, NETMAP_BUF(r, s->buf_idx), s->len);
			len += s->len;
		} else {
			full = true;
		}
		r->head = r->cur = nm_ring_next(r, r->cur);
	} while ((s->flags & NS_MOREFRAG) && r->cur != r->tail);
	*wire = total;
	return len;
}

int ptnetctl_capture(int argc, char **argv)
{
	const char *port = NULL, *file = "-";
	unsigned long long count = 0, got = 0, gso = 0;
	unsigned int snaplen = 262144, dirs = PTNET_MONITOR_TX | PTNET_MONITOR_RX;
	int prec = PCAP_TSTAMP_PRECISION_MICRO, quiet = 0, ret, status = 0;
	char filter[2048] = "", name[64];
	struct ptnet_port_opts o = { 0 };
	struct bpf_program prog = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct ptnet_port *p;
	pcap_dumper_t *dump;
	uint8_t *buf;
	pcap_t *dead;
	size_t fl = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-w") && i + 1 < argc) {
			file = argv[++i];
		} else if (!strcmp(a, "-c") && i + 1 < argc) {
			count = strtoull(argv[++i], NULL, 10);
		} else if (!strcmp(a, "-s") && i + 1 < argc) {
			snaplen = (unsigned int)strtoul(argv[++i], NULL, 10);
			if (snaplen < 14 || snaplen > 262144) {
				fprintf(stderr, "ptnetctl: capture: -s SNAPLEN is 14..262144\n");
				return 2;
			}
		} else if (!strcmp(a, "--rx")) {
			dirs = PTNET_MONITOR_RX;
		} else if (!strcmp(a, "--tx")) {
			dirs = PTNET_MONITOR_TX;
		} else if (!strcmp(a, "--nano")) {
			prec = PCAP_TSTAMP_PRECISION_NANO;
		} else if (!strcmp(a, "-q")) {
			quiet = 1;
		} else if (a[0] == '-' && a[1]) {
			return usage();
		} else if (!port) {
			port = a;
		} else {
			size_t l = strlen(a);

			if (fl + l + 2 > sizeof(filter)) {
				fprintf(stderr, "ptnetctl: capture: filter too long\n");
				return 2;
			}
			if (fl)
				filter[fl++] = ' ';
			memcpy(filter + fl, a, l + 1);
			fl += l;
		}
	}
	if (!port || !strchr(port, ':'))
		return usage();
	dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, (int)snaplen, (u_int)prec);
	if (!dead) {
		fprintf(stderr, "ptnetctl: capture: libpcap: cannot start\n");
		return 1;
	}
	if (fl && pcap_compile(dead, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		fprintf(stderr, "ptnetctl: capture: bad filter '%s': %s\n", filter,
			pcap_geterr(dead));
		pcap_close(dead);
		return 2;
	}
	snprintf(name, sizeof(name), "%.*s:cap%ld", (int)(strchr(port, ':') - port), port,
		 (long)getpid());
	o.vnet_hdr_len = CAP_HDR;
	o.tx_rings = o.rx_rings = 1;
	o.tx_slots = 64;
	o.rx_slots = 4096;
	ret = ptnet_monitor_open(name, port, dirs, prog.bf_insns, prog.bf_len, &o, &p);
	pcap_freecode(&prog);
	if (ret) {
		fprintf(stderr, "ptnetctl: capture %s: %s\n", port, ptnet_errmsg());
		pcap_close(dead);
		return 1;
	}
	dump = pcap_dump_open(dead, file);
	buf = malloc(CAP_MAX_FRAME);
	if (!dump || !buf) {
		fprintf(stderr, "ptnetctl: capture: cannot write %s: %s\n", file,
			dump ? "out of memory" : pcap_geterr(dead));
		ptnet_port_close(p);
		pcap_close(dead);
		free(buf);
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!quiet)
		fprintf(stderr, "ptnetctl: capturing %s (%s%s%s) to %s\n", port,
			dirs == PTNET_MONITOR_TX ? "sent" : dirs == PTNET_MONITOR_RX ? "received" :
			"sent and received", fl ? ", filter: " : "", filter,
			strcmp(file, "-") ? file : "stdout");
	while (!stop && (!count || got < count)) {
		struct netmap_ring *r = ptnet_port_rxring(p, 0);

		ret = ptnet_port_wait(p, PTNET_WAIT_RX, 500);
		if (ret < 0) {
			if (ret != -EINTR) {
				fprintf(stderr, "ptnetctl: capture: %s\n", ptnet_errmsg());
				status = 1;
			}
			break;
		}
		while (r->cur != r->tail && (!count || got < count)) {
			uint32_t wire, len = take_frame(r, buf, &wire);
			struct pcap_pkthdr h;
			struct timespec ts;

			if (len <= CAP_HDR)
				continue;
			if (buf[1] != 0)	/* virtio_net_hdr gso_type */
				gso++;
			clock_gettime(CLOCK_REALTIME, &ts);
			h.ts.tv_sec = ts.tv_sec;
			h.ts.tv_usec = prec == PCAP_TSTAMP_PRECISION_NANO ? ts.tv_nsec :
				       ts.tv_nsec / 1000;
			h.len = wire - CAP_HDR;
			h.caplen = len - CAP_HDR < snaplen ? len - CAP_HDR : snaplen;
			pcap_dump((u_char *)dump, &h, buf + CAP_HDR);
			got++;
		}
		ptnet_rxsync(p, 0);
		/* Whole packets only reach the file: a kill leaves it readable. */
		if (pcap_dump_flush(dump) < 0) {
			if (!quiet)
				fprintf(stderr, "ptnetctl: capture: writing %s failed: %s\n", file,
					strerror(errno));
			status = errno == EPIPE ? 0 : 1;
			break;
		}
	}
	pcap_dump_close(dump);
	ptnet_port_close(p);
	pcap_close(dead);
	free(buf);
	if (!quiet) {
		fprintf(stderr, "ptnetctl: %llu frames captured", got);
		if (gso)
			fprintf(stderr, ", %llu of them GSO frames kept whole (as the port sees them)",
				gso);
		fprintf(stderr, "\n");
	}
	return status;
}
