# SPDX-License-Identifier: ISC
#
# ipcp-nooffload -- the ipcp case with `offload = off' in both configs:
# the same daemons, keys, addresses and peers, but the kernel hands the
# forwarders one MTU-sized packet per read (TUNSETOFFLOAD 0).  Run beside
# ipcp it shows what the offloads buy; tests/netns/t_offload_guard.sh
# asserts that they buy something.  Everything but the one config line is
# ipcp.sh's.

CASE_PKGS[ipcp-nooffload]="libgcrypt20 libsodium23"

case_ipcp-nooffload_setup()
{
	IPCP_OFFLOAD=off case_ipcp_setup
}

case_ipcp-nooffload_pids()
{
	case_ipcp_pids
}

case_ipcp-nooffload_mem()
{
	case_ipcp_mem
}
