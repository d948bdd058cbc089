# ptnet - top-level GNU make build.
#   make                     release build in build/
#   make SANITIZE=address    ASan+UBSan build in build-asan/
#   make SANITIZE=thread     TSan build in build-tsan/
#   make check               unit + integration tests (tests/runtests.sh)
#   make install PREFIX=/usr/local DESTDIR=
#   make V=1                 show commands

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
MANDIR  ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
# Where the system's systemd and bash-completion look (their pkg-config files say).
SYSTEMDUNITDIR ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
BASHCOMPDIR ?= $(or $(shell pkg-config --variable=completionsdir bash-completion 2>/dev/null),$(PREFIX)/share/bash-completion/completions)
VERSION := 0.1.0

CC      ?= cc
CFLAGS  ?= -O2 -g
WFLAGS  := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WFLAGS  += -Werror
endif
CPPFLAGS += -Iinclude -Isrc -D_GNU_SOURCE -DPTNET_VERSION=\"$(VERSION)\"
XCFLAGS := -std=gnu11 -fPIC -pthread -MMD -MP $(WFLAGS)
LDLIBS  := -pthread
DAEMON_LIBS := -lmnl -lpcap -linih -lsystemd

ifeq ($(SANITIZE),address)
O       ?= build-asan
XCFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else ifeq ($(SANITIZE),thread)
O       ?= build-tsan
XCFLAGS += -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan
LDFLAGS += -fsanitize=thread
else
O       ?= build
endif

ifneq ($(V),1)
Q := @
E := @echo
else
E := @true
endif

COMMON_SRC  := $(wildcard src/common/*.c)
LIB_SRC     := $(wildcard src/lib/*.c)
DAEMON_SRC  := $(filter-out src/daemon/main.c,$(wildcard src/daemon/*.c))
CTL_SRC     := $(wildcard tools/ptnetctl/*.c)
PKTGEN_SRC  := $(wildcard tools/ptnet-pktgen/*.c) $(wildcard tools/common/*.c)
UNIT_SRC    := $(wildcard tests/unit/*.c)
TESTBIN_SRC := $(wildcard tests/bin/*.c)
BENCH_SRC   := $(wildcard bench/*.c)
PRELOAD_SRC := $(wildcard src/preload/*.c)
NMTEST_SRC  := $(wildcard tests/netmap/*.c)

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))

COMMON_OBJ := $(call obj,$(COMMON_SRC))
LIB_OBJ    := $(call obj,$(LIB_SRC))
DAEMON_OBJ := $(call obj,$(DAEMON_SRC))

LIBA    := $(O)/lib/libptnet.a
LIBSO   := $(O)/lib/libptnet.so.0
DAEMONA := $(O)/obj/libptnetd.a
BINS    := $(O)/bin/ptnetd $(O)/bin/ptnetctl $(O)/bin/ptnet-pktgen
UNITS   := $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRC))
TESTBINS := $(patsubst tests/bin/%.c,$(O)/tests/bin/%,$(TESTBIN_SRC))
BENCHES := $(patsubst bench/%.c,$(O)/bench/%,$(BENCH_SRC))
PRELOAD := $(O)/lib/libptnet-netmap.so
PTNETRUN := $(O)/bin/ptnet-run
NMTESTS := $(patsubst tests/netmap/%.c,$(O)/tests/netmap/%,$(NMTEST_SRC))

all: $(BINS) $(LIBSO) $(UNITS) $(TESTBINS) $(BENCHES) $(PRELOAD) $(PTNETRUN) $(NMTESTS)

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(E) "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(XCFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(E) "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBSO): $(LIB_OBJ) $(COMMON_OBJ) src/lib/libptnet.map
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) -shared -Wl,-soname,libptnet.so.0 -Wl,--version-script=src/lib/libptnet.map \
		-Wl,-z,defs $(LDFLAGS) -o $@ $(LIB_OBJ) $(COMMON_OBJ) $(LDLIBS)

$(DAEMONA): $(DAEMON_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/bin/ptnetd: $(call obj,src/daemon/main.c) $(DAEMONA) $(LIBA)
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(DAEMON_LIBS) $(LDLIBS)

$(O)/bin/ptnetctl: $(call obj,$(CTL_SRC)) $(LIBA)
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lpcap $(LDLIBS)

$(O)/bin/ptnet-pktgen: $(call obj,$(PKTGEN_SRC)) $(LIBA)
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lm

$(O)/tests/%: $(O)/obj/tests/unit/%.o $(DAEMONA) $(LIBA)
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(DAEMON_LIBS) $(LDLIBS)

$(O)/tests/bin/%: $(O)/obj/tests/bin/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/bench/%: $(O)/obj/bench/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lm

# libptnet-netmap.so: /dev/netmap for unmodified netmap programs (LD_PRELOAD),
# with libptnet inside it; it exports only the calls it interposes.
$(PRELOAD): $(call obj,$(PRELOAD_SRC)) $(LIB_OBJ) $(COMMON_OBJ) src/preload/preload.map
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) -shared -Wl,--version-script=src/preload/preload.map -Wl,-z,defs $(LDFLAGS) \
		-o $@ $(call obj,$(PRELOAD_SRC)) $(LIB_OBJ) $(COMMON_OBJ) $(LDLIBS) -ldl

$(PTNETRUN): tools/ptnet-run/ptnet-run.sh
	@mkdir -p $(dir $@)
	$(E) "  GEN     $@"
	$(Q)sed -e 's#@LIBDIR@#$(LIBDIR)#' $< > $@ && chmod 755 $@

# netmap-API test programs: their own copy of netmap's structs, no libptnet.
$(O)/tests/netmap/%: $(O)/obj/tests/netmap/%.o
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

check: all
	tests/runtests.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(INCDIR)/ptnet $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man4 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 755 $(O)/bin/ptnetd $(DESTDIR)$(SBINDIR)/
	install -m 755 $(O)/bin/ptnetctl $(O)/bin/ptnet-pktgen $(DESTDIR)$(BINDIR)/
	install -m 644 $(LIBA) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(LIBSO) $(PRELOAD) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(PTNETRUN) $(DESTDIR)$(BINDIR)/
	ln -sf libptnet.so.0 $(DESTDIR)$(LIBDIR)/libptnet.so
	install -m 644 include/ptnet/*.h $(DESTDIR)$(INCDIR)/ptnet/
	-install -m 644 man/man1/*.1 $(DESTDIR)$(MANDIR)/man1/ 2>/dev/null
	-install -m 644 man/man3/*.3 $(DESTDIR)$(MANDIR)/man3/ 2>/dev/null
	-install -m 644 man/man4/*.4 $(DESTDIR)$(MANDIR)/man4/ 2>/dev/null
	-install -m 644 man/man7/*.7 $(DESTDIR)$(MANDIR)/man7/ 2>/dev/null
	-install -m 644 man/man8/*.8 $(DESTDIR)$(MANDIR)/man8/ 2>/dev/null
	sed -e 's#@PREFIX@#$(PREFIX)#' -e 's#@LIBDIR@#$(LIBDIR)#' -e 's#@INCDIR@#$(INCDIR)#' \
		-e 's#@VERSION@#$(VERSION)#' src/lib/libptnet.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libptnet.pc
	$(MAKE) --no-print-directory install-service

# The service: systemd units, bash completions, ptnetd.conf(5) and a sample
# configuration (an existing one is never overwritten).
install-service:
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(SYSCONFDIR)/ptnet
	for u in ptnetd.service ptnetd.socket; do \
		sed -e 's#@SBINDIR@#$(SBINDIR)#g' -e 's#@BINDIR@#$(BINDIR)#g' \
			-e 's#@SYSCONFDIR@#$(SYSCONFDIR)#g' systemd/$$u.in > $(DESTDIR)$(SYSTEMDUNITDIR)/$$u \
			&& chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done
	install -m 644 completions/ptnetctl completions/ptnetd completions/ptnet-pktgen \
		$(DESTDIR)$(BASHCOMPDIR)/
	install -m 644 man/man5/*.5 $(DESTDIR)$(MANDIR)/man5/
	[ -e $(DESTDIR)$(SYSCONFDIR)/ptnet/ptnetd.conf ] || \
		install -m 644 etc/ptnetd.conf $(DESTDIR)$(SYSCONFDIR)/ptnet/ptnetd.conf

clean:
	rm -rf build build-asan build-tsan

.PHONY: all check install install-service clean
.SECONDARY:

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
