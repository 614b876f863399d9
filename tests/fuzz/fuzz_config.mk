# SPDX-License-Identifier: ISC
# The parser, the canonical printer, and what a reload would make of it.
fuzz_config_SRCS := ctld/config.c ctld/printconf.c ctld/config_diff.c
