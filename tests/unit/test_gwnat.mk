# SPDX-License-Identifier: ISC
# The gateway's table text and the forwarding sysctls' save and restore
# (against a directory that stands in for /proc/sys).
test_gwnat_SRCS := ctld/gwnat_rules.c ctld/ipfwd-linux.c ctld/sysctl-linux.c
$(B)/tests/test_gwnat: IPCP_CFLAGS += -Ictld
