/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conffile.h - ptnetd's configuration file (ptnetd -c FILE, ptnetd.conf(5)).
 *
 * An INI file read with libinih: [ptnetd] holds options and limits (named as
 * ptnetd's long options), [switch valeX] a persistent switch, [tap valeX:P]
 * and [vm valeX:P] ports; the keys of a switch or port section are the
 * options of its control request (switch-add, tap-add, vm-add), and applying
 * a section is running that request, so behaviour and errors are the
 * control socket's.  Reading checks the whole file first: an error names the
 * file and line, and a bad file changes nothing.  A reload changes only what
 * differs: it removes the switches and ports the file made before and no
 * longer names, re-creates those whose settings changed, adds new ones and
 * leaves the rest alone; if a request fails midway, what was done is undone.
 * Control thread only.
 */
#ifndef PTNETD_CONFFILE_H
#define PTNETD_CONFFILE_H

#include <stddef.h>
#include "daemon/daemon.h"

struct ptd_conn;
struct ptd_reply;
struct ptc_tokens;
struct ptd_conf;

/* A file in use: ptnetd -c FILE (struct ptd.conf). */
struct ptd_conffile {
	const char *path;
	struct ptd_conf *boot;		/* read at start: d->cfg's strings point into it */
	struct ptd_conf *applied;	/* the last file applied: what the file made */
	/* Apply the command line's options to CFG again (they win over the file's). */
	int (*cmdline)(struct ptd_config *cfg);
};

/* Read and check PATH.  0 and *OUT, or -errno with E = "PATH:LINE: what". */
int ptd_conf_load(const char *path, struct ptd_conf **out, struct ptd_err *e);
void ptd_conf_free(struct ptd_conf *cf);
/* Set the options of CF's [ptnetd] section in CFG. */
void ptd_conf_options(const struct ptd_conf *cf, struct ptd_config *cfg);
/*
 * Make d's switches and ports what CF says (d->conf->applied: what the file
 * made before, may be NULL).  0 with a summary in SUM, or -errno with E set
 * and everything as it was.
 */
int ptd_conf_apply(struct ptd *d, struct ptd_conf *cf, const struct ptd_config *was, char *sum,
		   size_t len, struct ptd_err *e);
/* Read d->conf->path again and apply it (SIGHUP, the reload request). */
int ptd_conf_reload(struct ptd *d, char *sum, size_t len, struct ptd_err *e);

/* The requests (requests.c's table): reload, save. */
int ptd_conf_do_reload(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
		       struct ptd_reply *r, struct ptd_err *e);
int ptd_conf_do_save(struct ptd *d, struct ptd_conn *c, struct ptc_tokens *t,
		     struct ptd_reply *r, struct ptd_err *e);

#endif
