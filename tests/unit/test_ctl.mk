# SPDX-License-Identifier: ISC
# test_ctl runs the ipcpctl binary against a fake ipcpd; it links no ctl/
# source, only the proto library (for msg_send) and json-c.  The binary is
# an order-only prerequisite so that it is built but not linked in.
test_ctl_SRCS :=
$(B)/tests/test_ctl: | $(B)/ipcpctl
