#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
#
# report.py -- turns bench/run.sh's raw results into the report: a header
# naming the machine, the congestion control and the offloads, a markdown
# table with one row per case, and the ratios ipcp / best TCP peer (by
# single-stream Gbit/s) and ipcp / raw.  The same rows go to a TSV, with
# the header as '#' lines on top.
#
# usage: report.py META.tsv RAW.tsv OUT.tsv OUT.md

import csv
import sys

# (key in raw.tsv, column title); ping columns are pairs shown as avg/p99.
COLUMNS = [
    ("gbps_1", "Gbit/s 1 stream"),
    ("gbps_4", "Gbit/s 4 streams"),
    ("cpu_s_per_gb", "CPU-s/GB"),
    ("ping", "idle ping avg/p99 ms"),
    ("load_ping", "loaded ping avg/p99 ms"),
    ("mem_kib", "memory KiB"),
]
TSV_EXTRA = ["ping_loss_pct", "load_ping_loss_pct", "load_gbps", "cpu_s_1",
             "gb_1", "retr_1", "mem_kib_a", "mem_kib_b", "tun_if",
             "tun_offloads", "tcp_cc", "loadavg", "note"]


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def ratio(a, b):
    x, y = num(a), num(b)
    if x is None or y is None or y == 0:
        return "n/a"
    return "%.2f" % (x / y)


def cell(row, key):
    if key in ("ping", "load_ping"):
        return "%s / %s" % (row.get(key + "_avg_ms", "n/a"),
                            row.get(key + "_p99_ms", "n/a"))
    return row.get(key, "n/a") or "n/a"


def ratio_row(name, ipcp, other):
    out = {"case": name, "desc": "ratio"}
    for key, _ in COLUMNS:
        if key in ("ping", "load_ping"):
            out[key + "_avg_ms"] = ratio(ipcp.get(key + "_avg_ms"),
                                         other.get(key + "_avg_ms"))
            out[key + "_p99_ms"] = ratio(ipcp.get(key + "_p99_ms"),
                                         other.get(key + "_p99_ms"))
        else:
            out[key] = ratio(ipcp.get(key), other.get(key))
    return out


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: report.py META.tsv RAW.tsv OUT.tsv OUT.md")
    meta = {}
    with open(sys.argv[1]) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("\t")
            meta[k] = v
    with open(sys.argv[2]) as f:
        rows = list(csv.DictReader(f, delimiter="\t",
                                   quoting=csv.QUOTE_NONE))
    by = {r["case"]: r for r in rows}

    cc = meta.get("cc_run", "?")
    if cc != meta.get("cc_host"):
        cc += " (set in the bench's namespaces; host default %s)" % \
            meta.get("cc_host", "?")
    header = [
        "ipcp bench, %s" % meta.get("date", "?"),
        "machine: %s CPUs, %s, %s" % (meta.get("nproc", "?"),
                                      meta.get("cpu", "?"),
                                      meta.get("kernel", "?")),
        "outer TCP congestion control: %s" % cc,
        "offloads: veth %s" % meta.get("veth_offloads", "n/a"),
    ]
    for r in rows:
        if r.get("tun_if", "n/a") not in ("n/a", "") and r["case"] != "raw":
            header.append("offloads: %s %s: %s" % (r["case"], r["tun_if"],
                                                   r.get("tun_offloads")))
    header += [
        "iperf3 %s s per test, receiver-side Gbit/s; pings: %s at 10 ms; "
        "loaded ping: during one iperf3 stream" % (meta.get("duration"),
                                                   meta.get("pings")),
        "CPU-s/GB: utime+stime of all tunnel processes, both ends, over "
        "the single-stream run, per 1e9 bytes received",
        "ratios: ipcp's value / the other's, per column (Gbit/s: above 1 "
        "is better; CPU, ping, memory: below 1 is better)",
        "packages: %s" % meta.get("versions", "?"),
        "memory: idle private (Private_Clean+Private_Dirty) KiB, larger "
        "end; ipcp: the forwarder only, others: all tunnel processes",
    ]

    peers = [by[c] for c in meta.get("tcp_peers", "").split()
             if c in by and num(by[c].get("gbps_1")) is not None]
    extra = []
    if "ipcp" in by:
        if peers:
            best = max(peers, key=lambda r: num(r["gbps_1"]))
            extra.append(ratio_row("ipcp / %s (best TCP peer)" %
                                   best["case"], by["ipcp"], best))
        else:
            extra.append(ratio_row("ipcp / best TCP peer (none ran)",
                                   by["ipcp"], {}))
        if "raw" in by:
            extra.append(ratio_row("ipcp / raw", by["ipcp"], by["raw"]))

    md = ["# " + header[0], ""] + ["- " + h for h in header[1:]] + [""]
    md.append("| case | tunnel | " + " | ".join(t for _, t in COLUMNS) +
              " | note |")
    md.append("|" + "---|" * (len(COLUMNS) + 3))
    for r in rows + extra:
        md.append("| %s | %s | %s | %s |" % (
            r["case"], r.get("desc", ""),
            " | ".join(cell(r, k) for k, _ in COLUMNS), r.get("note", "")))
    md.append("")
    text = "\n".join(md)
    print(text)
    with open(sys.argv[4], "w") as f:
        f.write(text)

    keys = ["case", "desc"]
    for k, _ in COLUMNS:
        if k in ("ping", "load_ping"):
            keys += [k + "_avg_ms", k + "_p99_ms"]
        else:
            keys.append(k)
    keys += TSV_EXTRA
    with open(sys.argv[3], "w", newline="") as f:
        for h in header:
            f.write("# " + h + "\n")
        w = csv.writer(f, delimiter="\t", lineterminator="\n",
                       quoting=csv.QUOTE_NONE, escapechar="\\")
        w.writerow(keys)
        for r in rows + extra:
            w.writerow([r.get(k, "") or "" for k in keys])


if __name__ == "__main__":
    main()
