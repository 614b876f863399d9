# SPDX-License-Identifier: ISC
# The slots of the handshake port (ctld/hsguard.c); the connections are
# structs made in the test, hsconn_fail and hsconn_msg1 its stand-ins.
test_hsguard_SRCS := ctld/hsguard.c
$(B)/tests/test_hsguard: IPCP_CFLAGS += -Ictld
