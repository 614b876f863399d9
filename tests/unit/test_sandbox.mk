# SPDX-License-Identifier: ISC
# Sources under test for test_sandbox (the proto library is linked too).
test_sandbox_SRCS := fwd/sandbox-seccomp.c fwd/sandbox-linux.c \
	fwd/sandbox-sanitizer.c
$(B)/tests/test_sandbox: IPCP_CFLAGS += -Ifwd
