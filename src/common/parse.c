// SPDX-License-Identifier: BSD-2-Clause
/* parse.c - tokenizer, numbers, MAC addresses, errno names. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "common/common.h"

int ptc_split(char *line, struct ptc_tokens *t)
{
	char *p = line;
	size_t len = strlen(line);

	/* No exception for a trailing newline: a message is the line itself. */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 || c > 0x7e)
			return -EINVAL;
	}
	t->n = 0;
	for (;;) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		if (t->n == PTC_MAX_TOKENS)
			return -E2BIG;
		t->tok[t->n++] = p;
		while (*p && *p != ' ')
			p++;
	}
	return t->n;
}

const char *ptc_kv_get(const struct ptc_tokens *t, int from, const char *key)
{
	size_t klen = strlen(key);

	for (int i = from; i < t->n; i++)
		if (!strncmp(t->tok[i], key, klen) && t->tok[i][klen] == '=')
			return t->tok[i] + klen + 1;
	return NULL;
}

int ptc_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	/* Decimal digits only: no sign, no space, no 0x (protocol.md). */
	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int ptc_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int ret = ptc_parse_u64(s, &v);

	if (ret)
		return ret;
	if (v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ptc_parse_mac(const char *s, uint8_t mac[6])
{
	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void ptc_format_mac(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
}

int ptc_valid_ident(const char *s, size_t len)
{
	if (len == 0 || len > PTC_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return 0;
	}
	return 1;
}

static const struct {
	int err;
	const char *name;
} errnames[] = {
	{ EPERM, "EPERM" },	{ ENOENT, "ENOENT" },	{ EIO, "EIO" },
	{ E2BIG, "E2BIG" },	{ EBADF, "EBADF" },	{ EAGAIN, "EAGAIN" },
	{ ENOMEM, "ENOMEM" },	{ EACCES, "EACCES" },	{ EBUSY, "EBUSY" },
	{ EEXIST, "EEXIST" },	{ ENODEV, "ENODEV" },	{ EINVAL, "EINVAL" },
	{ EMFILE, "EMFILE" },	{ ENFILE, "ENFILE" },	{ ENOSPC, "ENOSPC" },
	{ ERANGE, "ERANGE" },	{ ENOSYS, "ENOSYS" },	{ EPROTO, "EPROTO" },
	{ EMSGSIZE, "EMSGSIZE" }, { EOPNOTSUPP, "EOPNOTSUPP" }, { EDQUOT, "EDQUOT" },
	{ EPIPE, "EPIPE" },	{ ENAMETOOLONG, "ENAMETOOLONG" },
};

const char *ptc_errno_name(int err)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].err == err)
			return errnames[i].name;
	return "EIO";
}

int ptc_errno_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (!strcmp(errnames[i].name, name))
			return errnames[i].err;
	return EIO;
}

int ptc_parse_ids(const char *v, uint32_t *ids, unsigned int max)
{
	unsigned int n = 0;
	const char *p = v;

	if (!v || !*v)
		return -EINVAL;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t l = end ? (size_t)(end - p) : strlen(p);
		char tok[16];

		/* Every item a number: "1000,,1001" and "," are not lists. */
		if (!l || l >= sizeof(tok) || n == max)
			return -EINVAL;
		memcpy(tok, p, l);
		tok[l] = '\0';
		if (ptc_parse_u32(tok, 0, 0x7fffffff, &ids[n]))
			return -EINVAL;
		n++;
		if (!end)
			return (int)n;
		p = end + 1;
	}
}
