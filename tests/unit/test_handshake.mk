# SPDX-License-Identifier: ISC
# Sources under test for test_handshake (the proto library is linked too).
test_handshake_SRCS := proto/handshake.c
