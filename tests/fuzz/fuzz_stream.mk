# SPDX-License-Identifier: ISC
# The forwarder's receive path, all of it but fwd.c (the harness is that).
fuzz_stream_SRCS := fwd/stream.c fwd/packet.c fwd/vnet.c fwd/chan.c fwd/legacy.c
