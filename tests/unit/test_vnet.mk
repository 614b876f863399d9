# SPDX-License-Identifier: ISC
# The virtio-net header check of ipcp-fwd, as a pure function.
test_vnet_SRCS := fwd/vnet.c
$(B)/tests/test_vnet: IPCP_CFLAGS += -Ifwd
