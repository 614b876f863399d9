# SPDX-License-Identifier: ISC
# The state ipcpctl restart hands over: read back and checked against a
# config parsed for real.
test_handover_SRCS := ctld/handover_state.c ctld/config.c
