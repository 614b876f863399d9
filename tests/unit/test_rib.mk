# SPDX-License-Identifier: ISC
# The RIB and its route exchange; the kernel (nl_route_*) and the peers
# (peer_send_control, peer_fsm) are stubs in the test.
test_rib_SRCS := ctld/rib.c ctld/decide.c ctld/route.c ctld/route_export.c \
	ctld/kroute.c
$(B)/tests/test_rib: IPCP_CFLAGS += -Ictld
