// SPDX-License-Identifier: BSD-2-Clause
/*
 * offload_hdr - the virtio-net header: ptd_vnet_hdr_load()/_store() (12 and
 * 10 bytes, little endian) and the rules of ptd_vnet_hdr_check().
 */
#include "offload_t.h"

static int chk(uint8_t flags, uint8_t type, uint16_t gso_size, uint16_t cs, uint16_t co,
	       uint32_t len)
{
	struct ptd_vnet_hdr h = { .flags = flags,
				  .gso_type = type,
				  .gso_size = gso_size,
				  .csum_start = cs,
				  .csum_offset = co };

	return ptd_vnet_hdr_check(&h, len);
}

int main(void)
{
	static const uint8_t wire[12] = { 0x01, 0x81, 0x36, 0x00, 0xa8, 0x05,
					  0x22, 0x00, 0x10, 0x00, 0x02, 0x01 };
	struct ptd_vnet_hdr h;
	uint8_t out[12];

	/* Load / store. */
	memset(&h, 0xaa, sizeof(h));
	ptd_vnet_hdr_load(&h, wire, 12);
	CHECK(h.flags == 1 && h.gso_type == 0x81 && h.hdr_len == 54 && h.gso_size == 1448 &&
		      h.csum_start == 34 && h.csum_offset == 16 && h.num_buffers == 0x102,
	      "load 12: %u %#x %u %u %u %u %u", h.flags, h.gso_type, h.hdr_len, h.gso_size,
	      h.csum_start, h.csum_offset, h.num_buffers);
	memset(out, 0xee, sizeof(out));
	ptd_vnet_hdr_store(&h, out, 12);
	CHECK_MEMEQ(out, wire, 12, "store 12 differs from the wire bytes");
	ptd_vnet_hdr_load(&h, wire, 10);
	CHECK(h.csum_offset == 16 && h.num_buffers == 0, "load 10: num_buffers %u", h.num_buffers);
	memset(out, 0xee, sizeof(out));
	ptd_vnet_hdr_store(&h, out, 10);
	CHECK(!memcmp(out, wire, 10) && out[10] == 0xee && out[11] == 0xee,
	      "store 10 wrote the wrong bytes");
	ptd_vnet_hdr_load(&h, wire, 0);
	CHECK(!h.flags && !h.gso_type && !h.gso_size && !h.num_buffers, "load 0 not zero");

	/* Check: flags. */
	CHECK(chk(0, 0, 0, 0, 0, 60) == 0, "plain frame");
	CHECK(chk(2, 0, 0, 0, 0, 60) == 0, "DATA_VALID");
	CHECK(chk(3, 0, 0, 34, 16, 60) == 0, "NEEDS_CSUM | DATA_VALID");
	for (unsigned int f = 4; f < 256; f <<= 1)
		CHECK(chk((uint8_t)f, 0, 0, 0, 0, 60) == -EINVAL, "flag %#x accepted", f);

	/* GSO types. */
	for (unsigned int t = 0; t < 256; t++) {
		unsigned int b = t & 0x7f;
		bool known = b == 0 || b == 1 || b == 3 || b == 4 || b == 5;
		bool ok = known && !(t == 0x80);

		CHECK((chk(1, (uint8_t)t, 1448, 34, 16, 2000) == 0) == ok, "gso_type %#x: %s", t,
		      ok ? "refused" : "accepted");
	}
	CHECK(chk(1, 1, 0, 34, 16, 2000) == -EINVAL, "TCPV4 with gso_size 0");
	CHECK(chk(1, 5, 0, 34, 6, 2000) == -EINVAL, "UDP_L4 with gso_size 0");
	CHECK(chk(0, 1, 1, 0, 0, 2000) == 0, "GSO without NEEDS_CSUM");
	CHECK(chk(0, 0, 0, 0xffff, 0xffff, 10) == 0, "csum fields ignored without NEEDS_CSUM");

	/* csum_start + csum_offset + 2 <= frame_len. */
	CHECK(chk(1, 0, 0, 34, 16, 52) == 0, "field ends at the frame end");
	CHECK(chk(1, 0, 0, 34, 16, 51) == -EINVAL, "field past the frame end");
	CHECK(chk(1, 0, 0, 0xffff, 0xffff, 0x20000) == 0, "max fields, big frame");
	CHECK(chk(1, 0, 0, 0xffff, 0xffff, 0x1ffff) == -EINVAL, "max fields overflow");
	CHECK(chk(1, 0, 0, 0, 0, 1) == -EINVAL, "1-byte frame");
	CHECK(chk(1, 0, 0, 0, 0, 0) == -EINVAL, "empty frame");
	return t_done("offload_hdr");
}
