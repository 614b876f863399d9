# SPDX-License-Identifier: ISC
# Passcode clients' peers (ctld/openpeer.c) over the real peer index
# (ctld/peertab.c); peer_add and peer_remove are the test's own.
test_openpeer_SRCS := ctld/openpeer.c ctld/peertab.c
$(B)/tests/test_openpeer: IPCP_CFLAGS += -Ictld
