# SPDX-License-Identifier: ISC
# TUN and rtnetlink, exercised in a network namespace of the test's own.
test_netlink_SRCS := ctld/tun-linux.c ctld/netlink-linux.c
$(B)/tests/test_netlink: IPCP_CFLAGS += -Ictld
