// SPDX-License-Identifier: BSD-2-Clause
/*
 * parse_pipename - pipe end names "valeX:NAME{N" / "valeX:NAME}N[@conf:...]"
 * (ptc_parse_pipename, common/portname.c): both ends name the pair by its
 * master end, N is 0..PTNET_PIPE_MAX_ID, every bad input is -EINVAL with a
 * one-line message, and plain port names are not pipe ends.
 */
#include <errno.h>
#include <string.h>
#include "common/common.h"
#include "t.h"

static int parse(const char *spec, struct ptc_portname *pn, unsigned int *end, unsigned int *id,
		 struct ptnet_port_opts *o, char *err, size_t errlen)
{
	unsigned int given = 0;

	err[0] = '\0';
	memset(o, 0, sizeof(*o));
	*end = *id = 99;
	return ptc_parse_pipename(spec, pn, end, id, o, &given, err, errlen);
}

int main(void)
{
	static const char *const bad[] = {
		"vale0:a", "vale0:{0", "vale0:a{", "vale0:a}", "vale0:a{x", "vale0:a{0x",
		"vale0:a{1024", "vale0:a}99999999999", "vale0:a{-1", "vale0:a{0{1",
		"vale0:a{0}1", "vale0:abcdefghijklm{10", "vale0:a{0@conf:nokey=1",
		"vale0:a{0@x", "vale0a{0", "val:a{0", "vale0:a b{0", "", "vale0:a@conf:rings=1{0",
	};
	struct ptc_portname pn;
	struct ptnet_port_opts o;
	unsigned int end, id;
	char err[256];

	CHECK_EQ(parse("vale0:x{0", &pn, &end, &id, &o, err, sizeof(err)), 0, "master: %s", err);
	CHECK(!strcmp(pn.full, "vale0:x{0") && !strcmp(pn.port, "x{0") && !strcmp(pn.sw, "vale0"),
	      "master names the pair: %s %s", pn.full, pn.port);
	CHECK_EQ(end, PTNET_PIPE_MASTER, "{ is the master end");
	CHECK_EQ(id, 0, "pipe 0");
	CHECK_EQ(parse("vale3:x}1023", &pn, &end, &id, &o, err, sizeof(err)), 0, "slave: %s", err);
	CHECK(!strcmp(pn.full, "vale3:x{1023"), "the slave names the pair by its master: %s",
	      pn.full);
	CHECK_EQ(end, PTNET_PIPE_SLAVE, "} is the slave end");
	CHECK_EQ(id, 1023, "the highest pipe number");
	CHECK_EQ(parse("vale0:abcdefghijk}12@conf:slots=256,buf-size=1024", &pn, &end, &id, &o,
		       err, sizeof(err)), 0, "with options: %s", err);
	CHECK(!strcmp(pn.port, "abcdefghijk{12"), "15 characters with the suffix: %s", pn.port);
	CHECK_EQ(o.tx_slots, 256, "@conf slots applied");
	CHECK_EQ(o.buf_size, 1024, "@conf buf-size applied");
	CHECK_EQ(parse("vale0:a{007", &pn, &end, &id, &o, err, sizeof(err)), 0, "leading zeros");
	CHECK(!strcmp(pn.port, "a{7"), "one name per pair: %s", pn.port);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(parse(bad[i], &pn, &end, &id, &o, err, sizeof(err)), -EINVAL, "'%s'",
			 bad[i]);
		CHECK(err[0] && !strchr(err, '\n'), "'%s': one-line message '%s'", bad[i], err);
	}
	CHECK_EQ(ptc_parse_pipename(NULL, &pn, &end, &id, NULL, &end, err, sizeof(err)), -EINVAL,
		 "NULL");
	t_done("parse_pipename");
}
