# SPDX-License-Identifier: ISC
# Peer endpoints in text: proto/endpoint.c is in the proto library.
test_endpoint_SRCS :=
