# SPDX-License-Identifier: ISC
#
# ipcp: make (build), make check (all tests), make demo (a real tunnel
# between two network namespaces), make install.  `check' and `demo'
# install missing Debian packages first (contrib/install-deps.sh).

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
B	:= build

PKGS	:= libsodium libgcrypt libuv libprotobuf-c inih libmnl libseccomp json-c
CC	?= cc
CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow \
	   -D_GNU_SOURCE -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE \
	   -I$(B)/gen -Iproto
LDFLAGS	+= -pie -Wl,-z,relro,-z,now
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CFLAGS	+= $(PKG_CFLAGS)

# Only the forwarder seals and opens frames, so only it links libgcrypt
# (proto/frame.c, the AEAD engine); the wire format is proto/wire.c.
LIBS_PROTO = -lsodium -lprotobuf-c
LIBS_CTLD  = $(LIBS_PROTO) -luv -linih -lmnl
LIBS_FWD   = $(LIBS_PROTO) -lgcrypt -luv -lseccomp
LIBS_CTL   = $(LIBS_PROTO) -ljson-c

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

.PHONY: all deps check unit netns config-tests demo install clean bench \
	bench-mesh
all: $(BINS)

deps:
	@contrib/install-deps.sh

$(GEN_C) $(GEN_H): proto/ipcp.proto
	@mkdir -p $(B)/gen
	protoc-c --proto_path=proto --c_out=$(B)/gen $<

$(B)/obj/gen/%.o: $(B)/gen/%.c $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/obj/%.o: %.c $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/libipcp.a: $(PROTO_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(B)/ipcpd: $(CTLD_OBJS) $(B)/libipcp.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CTLD)

$(B)/ipcp-fwd: $(FWD_OBJS) $(AEAD_OBJS) $(B)/libipcp.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_FWD)

$(B)/ipcpctl: $(CTL_OBJS) $(B)/libipcp.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CTL)

.SECONDEXPANSION:
$(B)/tests/%: tests/unit/%.c $$(call obj,$$($$*_SRCS)) $(B)/libipcp.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka $(LIBS_CTLD) $(LIBS_FWD) $(LIBS_CTL)

unit: $(UNIT_TESTS) $(BINS)
	@tests/run-unit.sh $(UNIT_TESTS)
	@tests/linkage.sh $(B)

config-tests: all
	@tests/config/run.sh $(B)/ipcpd

# The adversary of the denial-of-service tests (tests/tools/).
ATTACK := $(B)/tests/ipcp-attack
$(ATTACK): tests/tools/ipcp-attack.c $(AEAD_OBJS) $(B)/libipcp.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_FWD)

netns: all $(ATTACK)
	@IPCP_BUILD=$(abspath $(B)) tests/netns/run.sh $(NETNS_TESTS)

check: deps
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory config-tests
	@$(MAKE) --no-print-directory netns

demo: deps
	@$(MAKE) --no-print-directory all
	@IPCP_BUILD=$(abspath $(B)) contrib/demo.sh

bench: deps all
	@bench/run.sh $(BENCH_ARGS)

# Routing: convergence, failover, reload time, CONTROL bytes (bench/mesh.sh).
bench-mesh: deps all
	@IPCP_BUILD=$(abspath $(B)) bench/mesh.sh $(BENCH_ARGS)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)/etc/iproute2/rt_protos.d
	install -m 0755 $(B)/ipcpd $(B)/ipcpctl $(B)/ipcp-fwd $(DESTDIR)$(SBINDIR)/
	install -m 0644 contrib/rt_protos.ipcp.conf \
	    $(DESTDIR)/etc/iproute2/rt_protos.d/ipcp.conf
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 man/ipcpd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/ipcpd.8 man/ipcpctl.8 $(DESTDIR)$(MANDIR)/man8/

clean:
	rm -rf $(B)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
