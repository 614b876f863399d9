# SPDX-License-Identifier: ISC
# Sources under test for test_keyidx (the proto library is linked too).
test_keyidx_SRCS := proto/keyidx.c
