# SPDX-License-Identifier: ISC
# Sources under test for test_util (the proto library is linked too).
test_util_SRCS := proto/util.c
