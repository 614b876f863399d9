# SPDX-License-Identifier: ISC
# Sources under test for test_frame (the proto library is linked too).
test_frame_SRCS := proto/frame.c
