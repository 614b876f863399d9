# SPDX-License-Identifier: ISC
# The gateway's address pool (ctld/lease_pool.c), alone.
test_lease_pool_SRCS := ctld/lease_pool.c
$(B)/tests/test_lease_pool: IPCP_CFLAGS += -Ictld
