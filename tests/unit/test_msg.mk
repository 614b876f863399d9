# SPDX-License-Identifier: ISC
# The message layer is all in the proto library.
test_msg_SRCS :=
