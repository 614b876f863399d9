# SPDX-License-Identifier: ISC
test_config_SRCS := ctld/config.c ctld/printconf.c
