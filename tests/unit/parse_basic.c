// SPDX-License-Identifier: BSD-2-Clause
/*
 * parse_basic - the control protocol's building blocks in common/parse.c:
 * the line tokenizer (printable ASCII only: no newline, not even a trailing
 * one), key=value lookup, numbers (decimal only, bounds, overflow),
 * MAC addresses and errno names.
 */
#include <errno.h>
#include <string.h>
#include "common/common.h"
#include "t.h"

static void split(void)
{
	struct ptc_tokens t;
	char buf[PTC_MAX_MSG + 64];

	strcpy(buf, "attach vale0:a  rings=2");
	CHECK_EQ(ptc_split(buf, &t), 3, "three tokens, double space");
	CHECK(t.n == 3 && !strcmp(t.tok[0], "attach") && !strcmp(t.tok[1], "vale0:a") &&
		      !strcmp(t.tok[2], "rings=2"),
	      "token contents");
	CHECK(ptc_kv_get(&t, 2, "rings") && !strcmp(ptc_kv_get(&t, 2, "rings"), "2"), "kv rings");
	CHECK(ptc_kv_get(&t, 2, "ring") == NULL, "kv needs the whole key");
	CHECK(ptc_kv_get(&t, 3, "rings") == NULL, "kv honours FROM");

	strcpy(buf, "   ");
	CHECK_EQ(ptc_split(buf, &t), 0, "blank line has no tokens");
	strcpy(buf, "");
	CHECK_EQ(ptc_split(buf, &t), 0, "empty line has no tokens");
	strcpy(buf, "list\tx");
	CHECK_EQ(ptc_split(buf, &t), -EINVAL, "tab is rejected");
	strcpy(buf, "list \x7f");
	CHECK_EQ(ptc_split(buf, &t), -EINVAL, "DEL is rejected");
	strcpy(buf, "list \xc3\xa9");
	CHECK_EQ(ptc_split(buf, &t), -EINVAL, "non-ASCII is rejected");
	strcpy(buf, "list\r\n");
	CHECK_EQ(ptc_split(buf, &t), -EINVAL, "CR is rejected");
	/* protocol.md: printable ASCII; "attach vale3:nl\n" once made port "vale3:nl". */
	strcpy(buf, "attach vale3:nl\n");
	CHECK_EQ(ptc_split(buf, &t), -EINVAL, "a trailing newline is rejected");
	strcpy(buf, "list\n");
	CHECK_EQ(ptc_split(buf, &t), -EINVAL, "a one-word line with a newline is rejected");
	strcpy(buf, "\n");
	CHECK_EQ(ptc_split(buf, &t), -EINVAL, "a lone newline is rejected");
	strcpy(buf, "list\nstats");
	CHECK_EQ(ptc_split(buf, &t), -EINVAL, "an inner newline is rejected");

	buf[0] = '\0';
	for (int i = 0; i < PTC_MAX_TOKENS; i++)
		strcat(buf, "a ");
	CHECK_EQ(ptc_split(buf, &t), PTC_MAX_TOKENS, "exactly the maximum of tokens");
	buf[0] = '\0';
	for (int i = 0; i < PTC_MAX_TOKENS + 1; i++)
		strcat(buf, "a ");
	CHECK_EQ(ptc_split(buf, &t), -E2BIG, "one token too many");
}

static void numbers(void)
{
	uint64_t v64 = 0;
	uint32_t v = 0;

	CHECK(ptc_parse_u64("0", &v64) == 0 && v64 == 0, "0");
	CHECK(ptc_parse_u64("18446744073709551615", &v64) == 0 && v64 == UINT64_MAX, "u64 max");
	CHECK_EQ(ptc_parse_u64("18446744073709551616", &v64), -ERANGE, "u64 max + 1");
	CHECK_EQ(ptc_parse_u64("99999999999999999999999", &v64), -ERANGE, "far too big");
	CHECK(ptc_parse_u64("007", &v64) == 0 && v64 == 7, "leading zeros are still decimal");
	/* protocol.md says decimal: "rings=0x2" once meant 2. */
	v64 = 1234;
	CHECK_EQ(ptc_parse_u64("0x2", &v64), -EINVAL, "hex is rejected");
	CHECK_EQ(ptc_parse_u64("0xffffffffffffffff", &v64), -EINVAL, "hex max is rejected");
	CHECK_EQ(ptc_parse_u64("0X1aF", &v64), -EINVAL, "upper-case 0X is rejected");
	CHECK_EQ(ptc_parse_u64("0x10000000000000000", &v64), -EINVAL,
		 "hex overflow is not a number (not ERANGE)");
	CHECK_EQ(v64, 1234, "output untouched after hex");
	CHECK_EQ(ptc_parse_u64("", &v64), -EINVAL, "empty");
	CHECK_EQ(ptc_parse_u64(NULL, &v64), -EINVAL, "NULL");
	CHECK_EQ(ptc_parse_u64("0x", &v64), -EINVAL, "bare 0x");
	CHECK_EQ(ptc_parse_u64("-1", &v64), -EINVAL, "negative");
	CHECK_EQ(ptc_parse_u64("+1", &v64), -EINVAL, "plus sign");
	CHECK_EQ(ptc_parse_u64(" 1", &v64), -EINVAL, "leading space");
	CHECK_EQ(ptc_parse_u64("1 ", &v64), -EINVAL, "trailing space");
	CHECK_EQ(ptc_parse_u64("12a", &v64), -EINVAL, "trailing garbage");
	CHECK_EQ(ptc_parse_u64("1e3", &v64), -EINVAL, "exponent");
	CHECK_EQ(ptc_parse_u64("0xg", &v64), -EINVAL, "bad hex digit");

	CHECK(ptc_parse_u32("64", 64, 4096, &v) == 0 && v == 64, "min bound inclusive");
	CHECK(ptc_parse_u32("4096", 64, 4096, &v) == 0 && v == 4096, "max bound inclusive");
	CHECK_EQ(ptc_parse_u32("63", 64, 4096, &v), -ERANGE, "below min");
	CHECK_EQ(ptc_parse_u32("4097", 64, 4096, &v), -ERANGE, "above max");
	CHECK_EQ(ptc_parse_u32("4294967296", 0, UINT32_MAX, &v), -ERANGE, "u32 overflow");
	CHECK(ptc_parse_u32("4294967295", 0, UINT32_MAX, &v) == 0 && v == UINT32_MAX, "u32 max");
	CHECK_EQ(ptc_parse_u32("x", 0, 10, &v), -EINVAL, "not a number");
	CHECK_EQ(ptc_parse_u32("0x2", 0, 10, &v), -EINVAL, "u32: hex is rejected");
	CHECK_EQ(ptc_parse_u32("2\n", 0, 10, &v), -EINVAL, "u32: trailing newline");
	v = 1234;
	CHECK(ptc_parse_u32("77", 0, 10, &v) < 0 && v == 1234, "output untouched on error");
}

static void macs(void)
{
	uint8_t m[6];
	char s[18];
	static const uint8_t want[6] = { 0x02, 0xab, 0xcd, 0xef, 0x00, 0x9f };

	CHECK(ptc_parse_mac("02:ab:CD:eF:00:9f", m) == 0 && !memcmp(m, want, 6), "mixed case");
	ptc_format_mac(want, s);
	CHECK(!strcmp(s, "02:ab:cd:ef:00:9f"), "format: %s", s);
	CHECK(ptc_parse_mac(s, m) == 0 && !memcmp(m, want, 6), "round trip");
	CHECK_EQ(ptc_parse_mac("02:ab:cd:ef:00", m), -EINVAL, "five bytes");
	CHECK_EQ(ptc_parse_mac("02:ab:cd:ef:00:9f:", m), -EINVAL, "trailing colon");
	CHECK_EQ(ptc_parse_mac("02-ab-cd-ef-00-9f", m), -EINVAL, "dashes");
	CHECK_EQ(ptc_parse_mac("2:ab:cd:ef:00:9f0", m), -EINVAL, "misaligned");
	CHECK_EQ(ptc_parse_mac("02:ab:cd:ef:00:9g", m), -EINVAL, "bad digit");
	CHECK_EQ(ptc_parse_mac("", m), -EINVAL, "empty");
	CHECK_EQ(ptc_parse_mac(NULL, m), -EINVAL, "NULL");
}

static void idents_and_errnos(void)
{
	CHECK(ptc_valid_ident("a", 1), "one letter");
	CHECK(ptc_valid_ident("Ab_9", 4), "letters digits underscore");
	CHECK(ptc_valid_ident("abcdefghijklmno", 15), "15 chars");
	CHECK(!ptc_valid_ident("abcdefghijklmnop", 16), "16 chars");
	CHECK(!ptc_valid_ident("", 0), "empty");
	CHECK(!ptc_valid_ident("a-b", 3), "dash");
	CHECK(!ptc_valid_ident("a.b", 3), "dot");
	CHECK(!ptc_valid_ident("a b", 3), "space");

	static const int errs[] = { EPERM,    ENOENT, EBUSY, EINVAL, ENOSPC, ERANGE,	  EPROTO,
				    EMSGSIZE, EPIPE,  E2BIG, ENOMEM, EEXIST, ENAMETOOLONG };

	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		CHECK_EQ(ptc_errno_from_name(ptc_errno_name(errs[i])), errs[i], "round trip %s",
			 ptc_errno_name(errs[i]));
	CHECK(!strcmp(ptc_errno_name(EBUSY), "EBUSY"), "EBUSY name");
	CHECK(!strcmp(ptc_errno_name(12345), "EIO"), "unknown errno maps to EIO");
	CHECK_EQ(ptc_errno_from_name("ENOTHING"), EIO, "unknown name maps to EIO");
}

static void ids(void)
{
	uint32_t v[8];

	CHECK_EQ(ptc_parse_ids("1000", v, 8), 1, "one id");
	CHECK_EQ(v[0], 1000, "its value");
	CHECK_EQ(ptc_parse_ids("1,2,3", v, 8), 3, "three ids");
	CHECK_EQ(v[2], 3, "in order");
	CHECK_EQ(ptc_parse_ids("", v, 8), -EINVAL, "no id");
	CHECK_EQ(ptc_parse_ids(",,,", v, 8), -EINVAL, "commas only: not an empty (open) list");
	CHECK_EQ(ptc_parse_ids("1,,2", v, 8), -EINVAL, "an empty item");
	CHECK_EQ(ptc_parse_ids("1,", v, 8), -EINVAL, "a trailing comma");
	CHECK_EQ(ptc_parse_ids("1,2,3,4,5,6,7,8,9", v, 8), -EINVAL, "more than MAX");
	CHECK_EQ(ptc_parse_ids("0x10", v, 8), -EINVAL, "decimal only");
	CHECK_EQ(ptc_parse_ids("2147483648", v, 8), -EINVAL, "out of range");
}

int main(void)
{
	ids();
	split();
	numbers();
	macs();
	idents_and_errnos();
	return t_done("parse_basic");
}
