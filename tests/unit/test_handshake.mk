# SPDX-License-Identifier: ISC
# Sources under test for test_handshake (the proto library is linked too).
# frame.c: the session keys it makes must open each other's frames.
test_handshake_SRCS := proto/handshake.c proto/frame.c
