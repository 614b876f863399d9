# SPDX-License-Identifier: ISC
# What a reload would do: configs parsed for real, then diffed.
test_config_diff_SRCS := ctld/config.c ctld/config_diff.c
