/* SPDX-License-Identifier: BSD-2-Clause */
/* ptnetctl.h - the commands of ptnetctl that live in their own files. */
#ifndef PTNETCTL_H
#define PTNETCTL_H

/* top.c: ptnetctl top [SWITCH] [-n COUNT] (ARGV: the words after "top").  Exit status. */
int ptctl_top(int argc, char **argv, int json);

#endif
