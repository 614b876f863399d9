# SPDX-License-Identifier: ISC
# The gateway's lease file (ctld/lease_file.c), in a temporary directory.
test_lease_file_SRCS := ctld/lease_file.c
$(B)/tests/test_lease_file: IPCP_CFLAGS += -Ictld
