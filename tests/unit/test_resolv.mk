# SPDX-License-Identifier: ISC
# The host's resolver (ctld/resolv.c) on temporary files, and a stand-in
# for resolvconf(8) that records what it was asked.
test_resolv_SRCS := ctld/resolv.c
$(B)/tests/test_resolv: IPCP_CFLAGS += -Ictld
