# SPDX-License-Identifier: ISC
# test_fwd runs the real forwarder binary (see the top of test_fwd.c) and
# plays the remote forwarder with the AEAD engine; $(B)/ipcp-fwd must
# exist.  It finds it as ../ipcp-fwd from its own path, or as $IPCP_FWD.
test_fwd_SRCS := proto/frame.c
$(B)/tests/test_fwd: | $(B)/ipcp-fwd
$(B)/tests/test_fwd: IPCP_CFLAGS += -Ifwd
