# SPDX-License-Identifier: ISC
# proto/legacy.c, the original ipcp's frames, is in the proto library.
test_legacy_SRCS :=
