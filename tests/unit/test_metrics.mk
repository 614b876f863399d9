# SPDX-License-Identifier: ISC
# The Prometheus text of ipcpctl metrics, from made-up replies.
test_metrics_SRCS := ctl/metrics.c
$(B)/tests/test_metrics: IPCP_CFLAGS += -Ictl
