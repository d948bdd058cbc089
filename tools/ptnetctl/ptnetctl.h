/* SPDX-License-Identifier: BSD-2-Clause */
/* ptnetctl.h - ptnetctl's commands that live in files of their own. */
#ifndef PTNETCTL_H
#define PTNETCTL_H

/* ptnetctl capture PORT ... (capture.c); ARGV[0] is "capture". */
int ptnetctl_capture(int argc, char **argv);

/* top.c: ptnetctl top [SWITCH] [-n COUNT] (ARGV: the words after "top").  Exit status. */
int ptctl_top(int argc, char **argv, int json);

#endif
