# SPDX-License-Identifier: ISC
# The peers by key and by name (ctld/peertab.c); peers are structs made
# in the test.
test_peertab_SRCS := ctld/peertab.c
$(B)/tests/test_peertab: IPCP_CFLAGS += -Ictld
