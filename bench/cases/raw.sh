# SPDX-License-Identifier: ISC
#
# raw -- the veth alone, no tunnel: the ceiling every tunnel is measured
# against.  No tunnel processes, so no CPU or memory figures.

CASE_PKGS[raw]=""

case_raw_setup()
{
	CASE_DESC="veth, no tunnel"
	DST=$OUT_A
}
