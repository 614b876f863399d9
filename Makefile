# SPDX-License-Identifier: ISC
#
# ipcp: make (build), make check (all tests), make demo (a real tunnel
# between two network namespaces), make install.  `check' and `demo'
# install missing Debian packages first (contrib/install-deps.sh); `make
# deb' builds a Debian package (contrib/debian/).

# The release: --version of ipcpd and ipcpctl, and the Debian package's
# version (contrib/debian/changelog must agree; `make deb' checks).
VERSION	:= 0.9.0

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/ipcp
# systemd looks in /usr/local/lib/systemd/system too, so the default
# install works as it is; a package uses /lib/systemd/system.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

# `make check SANITIZE=1' builds everything, forwarders included, with
# AddressSanitizer and UndefinedBehaviorSanitizer into build-san/, and
# runs the same tests against it.
SANITIZE ?=
ifeq ($(SANITIZE),1)
B	:= build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer -DIPCP_SANITIZE
HARDEN	:= -fstack-protector-strong
else
B	:= build
SAN_FLAGS :=
HARDEN	:= -fstack-protector-strong -D_FORTIFY_SOURCE=2
endif

PKGS	:= libsodium libgcrypt libuv libprotobuf-c inih libmnl libseccomp json-c \
	   libsystemd libnftables
CC	?= cc
# CFLAGS and LDFLAGS are the user's (make CC=clang CFLAGS=-O1 ...); what
# ipcp cannot build without lives in IPCP_CFLAGS and IPCP_LDFLAGS, which
# a command line does not replace.  The .mk files of the unit tests add
# their include paths to IPCP_CFLAGS per target.
CFLAGS	?= -O2 -g
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
IPCP_CFLAGS := -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow \
	   -D_GNU_SOURCE $(HARDEN) -fPIE $(SAN_FLAGS) \
	   -DIPCP_VERSION='"$(VERSION)"' -I$(B)/gen -Iproto $(PKG_CFLAGS)
IPCP_LDFLAGS := -pie -Wl,-z,relro,-z,now $(SAN_FLAGS)
ALL_CFLAGS = $(IPCP_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(IPCP_LDFLAGS) $(LDFLAGS)

# Only the forwarder seals and opens frames, so only it links libgcrypt
# (proto/frame.c, the AEAD engine); the wire format is proto/wire.c.
LIBS_PROTO = -lsodium -lprotobuf-c
# Only ipcpd talks to systemd (ctld/notify.c) and nftables (ctld/nft-linux.c).
LIBS_CTLD  = $(LIBS_PROTO) -luv -linih -lmnl -lsystemd -lnftables
LIBS_FWD   = $(LIBS_PROTO) -lgcrypt -luv -lseccomp
# The forwarder is linked static-pie: one starts for every session, and
# a dynamic one spent most of its start in the loader (perf of a gateway
# taking back 400 clients: ld.so, relocation page faults and the
# RELRO mprotects were over half of all forwarder CPU), and as much
# again to unmap it all at exit.  PIE keeps its address space random
# per session.  Debian's -dev packages carry the static archives (libuv's
# as libuv_a.a); a rebuild picks up their security fixes.  FWD_STATIC=0
# links it dynamically; the sanitizers need that and get it.
FWD_STATIC ?= 1
ifeq ($(FWD_STATIC)$(SANITIZE),1)
FWD_LDFLAGS := -static-pie
LIBS_FWD_LINK = -l:libsodium.a -l:libprotobuf-c.a -l:libgcrypt.a \
	   -l:libgpg-error.a -l:libuv_a.a -l:libseccomp.a -lpthread
else
FWD_LDFLAGS :=
LIBS_FWD_LINK = $(LIBS_FWD)
endif
# ipcpctl -c reads the control socket's path with inih (ctl/sockpath.c).
LIBS_CTL   = $(LIBS_PROTO) -ljson-c -linih

GEN_C	:= $(B)/gen/ipcp.pb-c.c
GEN_H	:= $(B)/gen/ipcp.pb-c.h
AEAD_SRCS  := proto/frame.c
PROTO_SRCS := $(filter-out $(AEAD_SRCS),$(wildcard proto/*.c)) $(GEN_C)
CTLD_SRCS  := $(wildcard ctld/*.c)
FWD_SRCS   := $(wildcard fwd/*.c)
CTL_SRCS   := $(wildcard ctl/*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(patsubst $(B)/%,%,$(1)))
PROTO_OBJS := $(call obj,$(PROTO_SRCS))
AEAD_OBJS  := $(call obj,$(AEAD_SRCS))
CTLD_OBJS  := $(call obj,$(CTLD_SRCS))
FWD_OBJS   := $(call obj,$(FWD_SRCS))
CTL_OBJS   := $(call obj,$(CTL_SRCS))

BINS	:= $(B)/ipcpd $(B)/ipcp-fwd $(B)/ipcpctl

# Unit tests: tests/unit/test_X.c, plus tests/unit/test_X.mk naming the
# sources under test as test_X_SRCS (linked with the proto library).
# The .mk files below may name targets; `make' alone still means `all'.
.DEFAULT_GOAL := all

UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))
-include $(wildcard tests/unit/*.mk)

# libFuzzer targets: tests/fuzz/fuzz_X.c, plus tests/fuzz/fuzz_X.mk naming
# the sources it needs beyond the proto library and the AEAD engine as
# fuzz_X_SRCS.  Built with clang, ASan and UBSan into $(B)/fuzz/; `make
# fuzz' runs each for FUZZ_SECONDS, `make check' for FUZZ_CHECK_SECONDS.
FUZZ_CC	?= clang
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 10
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -DIPCP_FUZZ \
	   -fno-omit-frame-pointer $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
	   -Iproto -Ifwd -Ictld -I$(B)/gen $(PKG_CFLAGS)
FUZZERS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SEEDS := $(B)/fuzz/seeds-gen
-include $(wildcard tests/fuzz/*.mk)
fuzz_obj = $(patsubst %.c,$(B)/fuzz/obj/%.o,$(patsubst $(B)/%,%,$(1)))
# Objects made only for a pattern rule are intermediate; keep them all, so
# that one changed source rebuilds one object.
.SECONDARY:
FUZZ_LIB_OBJS := $(call fuzz_obj,$(PROTO_SRCS) $(AEAD_SRCS))

.PHONY: all deps check unit netns config-tests demo install clean bench \
	bench-mesh bench-scale bench-gateway fuzz fuzz-build units deb
all: $(BINS)

deps:
	@contrib/install-deps.sh

$(GEN_C) $(GEN_H): proto/ipcp.proto
	@mkdir -p $(B)/gen
	protoc-c --proto_path=proto --c_out=$(B)/gen $<

$(B)/obj/gen/%.o: $(B)/gen/%.c $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/obj/%.o: %.c $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/libipcp.a: $(PROTO_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(B)/ipcpd: $(CTLD_OBJS) $(B)/libipcp.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_CTLD)

$(B)/ipcp-fwd: $(FWD_OBJS) $(AEAD_OBJS) $(B)/libipcp.a
	$(CC) $(ALL_LDFLAGS) $(FWD_LDFLAGS) -o $@ $^ $(LIBS_FWD_LINK)

$(B)/ipcpctl: $(CTL_OBJS) $(B)/libipcp.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_CTL)

# --version: the programs that print it follow VERSION.
$(call obj,ctld/ipcpd.c ctl/ipcpctl.c): Makefile

.SECONDEXPANSION:
$(B)/tests/%: tests/unit/%.c $$(call obj,$$($$*_SRCS)) $(B)/libipcp.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ -lcmocka $(LIBS_CTLD) $(LIBS_FWD) $(LIBS_CTL)

$(B)/fuzz/obj/gen/%.o: $(B)/gen/%.c $(GEN_H)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/fuzz/obj/%.o: %.c $(GEN_H)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/fuzz/%: $(B)/fuzz/obj/tests/fuzz/%.o $$(call fuzz_obj,$$($$*_SRCS)) \
	    $(FUZZ_LIB_OBJS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LIBS_FWD) \
	    $(LIBS_CTLD)

# The seed generator is an ordinary program on the proto library.
$(FUZZ_SEEDS): tests/fuzz/seeds.c $(B)/libipcp.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ifwd $(ALL_LDFLAGS) -o $@ $^ $(LIBS_PROTO)

fuzz-build: $(FUZZERS) $(FUZZ_SEEDS)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@tests/fuzz/run.sh $(B)/fuzz $(FUZZ_SECONDS) $(FUZZERS)

unit: $(UNIT_TESTS) $(BINS)
	@tests/run-unit.sh $(UNIT_TESTS)
	@tests/linkage.sh $(B)
	@tests/install.sh

config-tests: all
	@tests/config/run.sh $(B)/ipcpd

# The adversary of the denial-of-service tests (tests/tools/).
ATTACK := $(B)/tests/ipcp-attack
$(ATTACK): tests/tools/ipcp-attack.c $(AEAD_OBJS) $(B)/libipcp.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_FWD)

netns: all $(ATTACK)
	@IPCP_BUILD=$(abspath $(B)) tests/netns/run.sh $(NETNS_TESTS)

check: deps
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory config-tests
	@$(MAKE) --no-print-directory netns
	@$(MAKE) --no-print-directory fuzz-build
	@tests/fuzz/run.sh $(B)/fuzz $(FUZZ_CHECK_SECONDS) $(FUZZERS)

demo: deps
	@$(MAKE) --no-print-directory all
	@IPCP_BUILD=$(abspath $(B)) contrib/demo.sh

bench: deps all
	@bench/run.sh $(BENCH_ARGS)

# Routing: convergence, failover, reload time, CONTROL bytes (bench/mesh.sh).
bench-mesh: deps all
	@IPCP_BUILD=$(abspath $(B)) bench/mesh.sh $(BENCH_ARGS)

# Size: a gateway with N clients and a 50-node mesh (bench/scale.sh), e.g.
# make bench-scale BENCH_ARGS="100 300 1000".
bench-scale: deps all
	@IPCP_BUILD=$(abspath $(B)) bench/scale.sh $(BENCH_ARGS)

# A gateway: N passcode clients leased and pinging through its NAT, its
# memory, and NAT's cost to one stream (bench/gateway.sh), e.g.
# make bench-gateway BENCH_ARGS="200".
bench-gateway: deps all
	@IPCP_BUILD=$(abspath $(B)) bench/gateway.sh $(BENCH_ARGS)

# The units name the programs where they are installed, so they are made
# from contrib/*.service.in when installing (and by `make units' into
# $(B)/ for a look, e.g. systemd-analyze security --offline=yes).
UNITS	:= ipcpd.service ipcpd@.service
unit_sed = sed -e 's|@SBINDIR@|$(SBINDIR)|g'

units: $(addprefix $(B)/,$(UNITS))
$(B)/%.service: contrib/%.service.in Makefile
	@mkdir -p $(B)
	$(unit_sed) $< >$@

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)/etc/iproute2/rt_protos.d
	install -m 0755 $(B)/ipcpd $(B)/ipcpctl $(B)/ipcp-fwd $(DESTDIR)$(SBINDIR)/
	install -m 0644 contrib/rt_protos.ipcp.conf \
	    $(DESTDIR)/etc/iproute2/rt_protos.d/ipcp.conf
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 man/ipcpd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/ipcpd.8 man/ipcpctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	for u in $(UNITS); do \
		$(unit_sed) contrib/$$u.in >$(DESTDIR)$(SYSTEMDUNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 contrib/ipcpctl.bash-completion \
	    $(DESTDIR)$(BASHCOMPDIR)/ipcpctl
	# Examples only: /etc/ipcp/ipcpd.conf is the admin's, never ours.
	install -d $(DESTDIR)$(DOCDIR)
	install -m 0644 contrib/ipcpd.conf.example contrib/gateway.conf.example \
	    contrib/client.conf.example README.md $(DESTDIR)$(DOCDIR)/

# A Debian package of the tree as it is, in $(B)/deb/ (contrib/debian/).
deb:
	@contrib/install-deps.sh deb
	@contrib/debian/build.sh $(VERSION) $(abspath $(B))/deb

clean:
	rm -rf build build-san

-include $(shell find $(B)/obj $(B)/fuzz/obj -name '*.d' 2>/dev/null)
