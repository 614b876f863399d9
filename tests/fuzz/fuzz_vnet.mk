# SPDX-License-Identifier: ISC
fuzz_vnet_SRCS := fwd/vnet.c
