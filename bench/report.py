#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""report.py - bookkeeping and the summary table of bench/run.sh.

    report.py record ALL.jsonl KEY=VALUE... ROLE=@FILE... ROLE=?FILE...
        Append one JSON line to ALL.jsonl: the KEY=VALUE pairs (numbers where
        they parse), plus, for each ROLE=@FILE (required) or ROLE=?FILE
        (optional), the last JSON line of FILE (null if there is none).  "ok"
        tells whether every required role has a result.

    report.py summary RESULTS_DIR
        Print the environment (RESULTS_DIR/env.txt) and the table: medians,
        min..max, ratios ptnet/kernel and targets, then the per-repetition
        values in run order.

    report.py testpmd LOG Rx|Tx
        One JSON line from an interactive dpdk-testpmd's output with two
        "show port stats all": "pps", the Rx-pps (Tx-pps) of the second
        (the rate since the first, by testpmd's clock), "packets" (the
        RX/TX-packets counter's growth between them) and "started" (the
        counter was already above 0 at the first: the interval is all
        traffic).

    report.py table RESULTS_DIR BASE[,BASE2...] [base/other|other/base]
        The generic table of bench/tcp.sh and bench/scale.sh: records with
        "metric" (the row's title), "impl" (the path), "rep" and "value"
        (optionally "better": higher/lower) from RESULTS_DIR/all.jsonl; per
        metric and path the median and [min..max], and the ratio of BASE's
        median to the path's (or the path's to BASE's with other/base; BASE
        is the first of the comma-separated paths the metric has), with
        the range of the ratios paired by repetition.  Writes table.tsv (for
        plot.py) beside all.jsonl and prints the table.
"""
import json
import os
import statistics
import sys

# Targets (from the project brief): ratios ptnet/kernel.
TARGET_RATE60_VS_VETH = 20.0    # 60-byte one-way rate >= 20x kernel veth UDP rx
TARGET_RTT_P50 = 0.3            # ping-pong p50 RTT <= 0.3x kernel UDP RTT
# Issue 10's (the performance issue): busy-poll p50 <= 1.0x kernel UDP and
# <= 10x the bare shared-memory line; 60 B >= 1.0x DPDK memif copy mode.
TARGET_RTT_BUSY_VS_KERNEL = 1.0
TARGET_RTT_BUSY_VS_SHM = 10.0
TARGET_RATE60_VS_MEMIF = 1.0
TARGET_NETMAP_VS_PTNET = 0.9    # netmap-API path (preload) >= 0.9x libptnet's rate
TARGET_PIPE_VS_MEMIF = 1.0      # netmap pipes (zero copy) >= 1.0x DPDK memif zero-copy


def last_json_line(path):
    try:
        with open(path, errors="replace") as f:
            lines = [l.strip() for l in f if l.strip().startswith("{")]
    except OSError:
        return None
    for line in reversed(lines):
        try:
            return json.loads(line)
        except ValueError:
            continue
    return None


def number(s):
    for conv in (int, float):
        try:
            return conv(s)
        except ValueError:
            pass
    return s


def cmd_record(args):
    out, pairs = args[0], args[1:]
    rec, ok = {}, True
    for p in pairs:
        key, _, val = p.partition("=")
        if val[:1] in ("@", "?"):
            rec[key] = last_json_line(val[1:])
            if rec[key] is None:
                rec[key + "_file"] = os.path.basename(val[1:])
                if val[0] == "@":
                    ok = False
        else:
            rec[key] = number(val)
    rec["ok"] = ok
    with open(out, "a") as f:
        f.write(json.dumps(rec, separators=(",", ":")) + "\n")
    if not ok:
        missing = [k for k in rec if rec[k] is None and k + "_file" in rec]
        sys.stderr.write("report.py: no result from %s for %s\n"
                         % (", ".join(missing),
                            " ".join(p for p in pairs if "=@" not in p and "=?" not in p)))
    return 0 if ok else 1


def get(d, *path):
    for k in path:
        if not isinstance(d, dict) or k not in d or d[k] is None:
            return None
        d = d[k]
    return d


def cpu(d):
    u, s = get(d, "cpu_user_s"), get(d, "cpu_sys_s")
    return None if u is None or s is None else u + s


# ---------------------------------------------------------------- metrics
# Each metric maps a record to a value (None if not available).

def rx_pps(r):
    return get(r, "rx", "pps")


def rate_mpps(r):
    v = rx_pps(r)
    return None if v is None else v / 1e6


def rate_gbps(r):
    # Ethernet frame bytes (no FCS/preamble), the same for both sides.
    v = rx_pps(r)
    return None if v is None else v * r["frame"] * 8 / 1e9


def mpkts(r):
    p = get(r, "rx", "packets")
    return p / 1e6 if p else None


def cpu_process_per_mpkt(r):
    m = mpkts(r)
    c_rx, c_tx = cpu(r.get("rx")), cpu(r.get("tx"))
    if not m or c_rx is None or c_tx is None:
        return None
    c = c_rx + c_tx
    if r["impl"] in ("ptnet", "netmap"):
        c += r.get("daemon_cpu_s", 0.0)
    return c / m


def cpu_machine_per_mpkt(r):
    m = mpkts(r)
    return None if not m else r["machine_busy_s"] / m


def delivered(r):
    rx, tx = get(r, "rx", "packets"), get(r, "tx", "packets")
    return None if not tx or rx is None else rx / tx


def rtt(pct):
    return lambda r: get(r, "ping", "rtt_us", pct)


def lost(r):
    return get(r, "ping", "lost")


def fmt(v, digits=3):
    if v is None:
        return "n/a"
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    return "%.*f" % (digits, v)


def select(recs, **kw):
    return [r for r in recs if all(r.get(k) == v for k, v in kw.items())]


def values(recs, fn):
    """Per-repetition values, by rep number."""
    out = {}
    for r in recs:
        try:
            v = fn(r)
        except (KeyError, TypeError, ZeroDivisionError):
            v = None
        if v is not None:
            out[r["rep"]] = v
    return out


IMPL_LABEL = {
    "ptnet": "ptnet vale0",
    "netmap": "netmap API",
    "veth": "kernel veth",
    "bridge": "kernel bridge",
    "pipe": "netmap pipe",
    "memifzc": "DPDK memif zc",
    "memif": "DPDK memif",
    "shm": "bare shm line",
}

# The bare shared-memory ping-pong's p50 below this is the "near" regime
# (a cache line crosses the vCPUs in ~0.1 us), above it "far" (~0.45 us).
NEAR_LIMIT_US = 0.25


def regime(r):
    v = get(r, "ping", "rtt_us", "p50")
    return None if v is None else ("near" if v < NEAR_LIMIT_US else "far")


def cmd_summary(args):
    res = args[0]
    recs = []
    with open(os.path.join(res, "all.jsonl")) as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    try:
        with open(os.path.join(res, "env.txt")) as f:
            print(f.read().rstrip())
    except OSError:
        pass
    reps = sorted({r["rep"] for r in recs if r["test"] in ("rate", "rtt", "pipe")})
    failed = [r for r in recs if not r.get("ok")]

    # (title, better, record filter, metric fn, kernel impls, targets)
    # targets: a list of (kernel impl, op, ratio).
    rows = [
        ("60 B one-way rate, Mpps", "higher", dict(test="rate", frame=60), rate_mpps,
         ["veth", "bridge", "memif"], [("veth", ">=", TARGET_RATE60_VS_VETH),
                                       ("memif", ">=", TARGET_RATE60_VS_MEMIF)]),
        ("1514 B one-way rate, Gbps", "higher", dict(test="rate", frame=1514), rate_gbps,
         ["veth", "bridge"], []),
        ("ping-pong RTT p50 busy-poll, us", "lower", dict(test="rtt", mode="busy"),
         rtt("p50"), ["veth", "shm"], [("veth", "<=", TARGET_RTT_BUSY_VS_KERNEL),
                                       ("veth", "<=", TARGET_RTT_P50),
                                       ("shm", "<=", TARGET_RTT_BUSY_VS_SHM)]),
        ("ping-pong RTT p99 busy-poll, us", "lower", dict(test="rtt", mode="busy"),
         rtt("p99"), ["veth", "shm"], []),
        ("ping-pong RTT p50 notify, us", "lower", dict(test="rtt", mode="notify"),
         rtt("p50"), ["veth"], [("veth", "<=", TARGET_RTT_P50)]),
        ("ping-pong RTT p99 notify, us", "lower", dict(test="rtt", mode="notify"),
         rtt("p99"), ["veth"], []),
        ("CPU-s per Mpkt, 60 B, processes", "lower", dict(test="rate", frame=60),
         cpu_process_per_mpkt, ["veth", "bridge"], []),
        ("CPU-s per Mpkt, 60 B, machine", "lower", dict(test="rate", frame=60),
         cpu_machine_per_mpkt, ["veth", "bridge"], []),
        ("CPU-s per Mpkt, 1514 B, processes", "lower", dict(test="rate", frame=1514),
         cpu_process_per_mpkt, ["veth", "bridge"], []),
        ("CPU-s per Mpkt, 1514 B, machine", "lower", dict(test="rate", frame=1514),
         cpu_machine_per_mpkt, ["veth", "bridge"], []),
    ]
    print()
    hdr = "%-34s %-14s %9s  %-21s %-24s %s" % (
        "metric", "path", "median", "[min .. max]", "ptnet/kernel (paired)", "target")
    print(hdr)
    print("-" * len(hdr))
    per_rep = []
    verdicts = []
    # The same table for bench/plot.py (summary.png beside summary.txt).
    tsv = open(os.path.join(res, "summary.tsv"), "w")
    for title, better, flt, fn, kimpls, targets in rows:
        p_vals = values(select(recs, impl="ptnet", **flt), fn)
        p_med = statistics.median(p_vals.values()) if p_vals else None
        first = True
        for impl in ["ptnet"] + kimpls:
            vals = p_vals if impl == "ptnet" else values(select(recs, impl=impl, **flt), fn)
            if impl == "ptnet" and not any(select(recs, impl="ptnet")):
                continue
            if impl in ("memif", "shm") and not select(recs, impl=impl):
                continue
            med = statistics.median(vals.values()) if vals else None
            spread = ("[%s .. %s]" % (fmt(min(vals.values())), fmt(max(vals.values())))
                      if vals else "")
            ratio_s, tgt_s = "", ""
            if impl != "ptnet" and p_med is not None and med:
                ratio = p_med / med
                paired = [p_vals[k] / vals[k] for k in p_vals if k in vals and vals[k]]
                ratio_s = "%sx" % fmt(ratio, 2)
                if paired:
                    ratio_s += " (%s..%s)" % (fmt(min(paired), 2), fmt(max(paired), 2))
                marks = []
                for t_impl, op, goal in targets:
                    if t_impl != impl:
                        continue
                    met = ratio >= goal if op == ">=" else ratio <= goal
                    marks.append("%s %gx  %s" % (op, goal, "PASS" if met else "MISS"))
                    verdicts.append(("%s vs %s" % (title, IMPL_LABEL[impl]), marks[-1]))
                tgt_s = ", ".join(marks)
            elif impl != "ptnet":
                tgt_s = ", ".join("%s %gx  n/a" % (op, goal)
                                  for t_impl, op, goal in targets if t_impl == impl)
            label = title if first else ""
            if first:
                label = title
                first = False
            print("%-34s %-14s %9s  %-21s %-24s %s" % (
                label, IMPL_LABEL[impl], fmt(med), spread, ratio_s, tgt_s))
            if vals:
                tsv.write("%s\t%s\t%g\t%g\t%g\n" % (title, IMPL_LABEL[impl], med,
                                                    min(vals.values()), max(vals.values())))
            per_rep.append((title, IMPL_LABEL[impl], [vals.get(k) for k in reps]))
    print("(rates: receiver side; Gbps counts Ethernet frame bytes without FCS; ratios are"
          " ratios of medians, in parentheses the\n range of per-repetition ratios of"
          " interleaved runs; for RTT and CPU lower is better)")

    # The netmap-API path (nm-gen through libptnet-netmap.so) against libptnet
    # (ptnet-pktgen), same switch, same repetitions.
    nrows = [
        ("60 B one-way rate, Mpps", dict(test="rate", frame=60), rate_mpps,
         TARGET_NETMAP_VS_PTNET),
        ("1514 B one-way rate, Gbps", dict(test="rate", frame=1514), rate_gbps,
         TARGET_NETMAP_VS_PTNET),
        ("CPU-s per Mpkt, 60 B, processes", dict(test="rate", frame=60),
         cpu_process_per_mpkt, None),
    ]
    if select(recs, impl="netmap"):
        print()
        hdr2 = "%-34s %-14s %9s  %-21s %-24s %s" % (
            "netmap-API path", "path", "median", "[min .. max]", "netmap/ptnet (paired)",
            "target")
        print(hdr2)
        print("-" * len(hdr2))
        for title, flt, fn, goal in nrows:
            p_vals = values(select(recs, impl="ptnet", **flt), fn)
            n_vals = values(select(recs, impl="netmap", **flt), fn)
            for impl, vals in (("ptnet", p_vals), ("netmap", n_vals)):
                med = statistics.median(vals.values()) if vals else None
                spread = ("[%s .. %s]" % (fmt(min(vals.values())), fmt(max(vals.values())))
                          if vals else "")
                ratio_s, tgt_s = "", ""
                if impl == "netmap" and med is not None and p_vals:
                    p_med = statistics.median(p_vals.values())
                    ratio = med / p_med if p_med else None
                    paired = [vals[k] / p_vals[k] for k in vals if k in p_vals and p_vals[k]]
                    ratio_s = "%sx" % fmt(ratio, 2)
                    if paired:
                        ratio_s += " (%s..%s)" % (fmt(min(paired), 2), fmt(max(paired), 2))
                    if goal and ratio is not None:
                        tgt_s = ">= %gx  %s" % (goal, "PASS" if ratio >= goal else "MISS")
                        verdicts.append(("netmap API " + title, tgt_s))
                print("%-34s %-14s %9s  %-21s %-24s %s" % (
                    title if impl == "ptnet" else "", IMPL_LABEL[impl], fmt(med), spread,
                    ratio_s, tgt_s))
                if impl == "netmap":
                    per_rep.append((title, IMPL_LABEL[impl], [vals.get(k) for k in reps]))

    # netmap pipes (nm-pipe through libptnet-netmap.so, zero copy) against DPDK
    # memif zero-copy (two dpdk-testpmd), same repetitions, interleaved.
    if select(recs, test="pipe"):
        print()
        hdr3 = "%-34s %-14s %9s  %-21s %-24s %s" % (
            "netmap pipes", "path", "median", "[min .. max]", "pipe/memif (paired)", "target")
        print(hdr3)
        print("-" * len(hdr3))
        title = "60 B pipe rate, Mpps"
        p_vals = values(select(recs, test="pipe", impl="pipe"), rate_mpps)
        m_vals = values(select(recs, test="pipe", impl="memifzc"), rate_mpps)
        for impl, vals in (("memifzc", m_vals), ("pipe", p_vals)):
            if impl == "memifzc" and not select(recs, test="pipe", impl="memifzc"):
                print("%-34s %-14s %9s  (not measured: bench/run.sh --memif)"
                      % (title, IMPL_LABEL[impl], "n/a"))
                continue
            med = statistics.median(vals.values()) if vals else None
            spread = ("[%s .. %s]" % (fmt(min(vals.values())), fmt(max(vals.values())))
                      if vals else "")
            ratio_s, tgt_s = "", ""
            if impl == "pipe" and med is not None and m_vals:
                m_med = statistics.median(m_vals.values())
                ratio = med / m_med if m_med else None
                paired = [vals[k] / m_vals[k] for k in vals if k in m_vals and m_vals[k]]
                ratio_s = "%sx" % fmt(ratio, 2)
                if paired:
                    ratio_s += " (%s..%s)" % (fmt(min(paired), 2), fmt(max(paired), 2))
                if ratio is not None:
                    tgt_s = ">= %gx  %s" % (TARGET_PIPE_VS_MEMIF,
                                            "PASS" if ratio >= TARGET_PIPE_VS_MEMIF else "MISS")
                    verdicts.append(("pipe vs memif zc", tgt_s))
            print("%-34s %-14s %9s  %-21s %-24s %s" % (
                title if impl == "memifzc" else "", IMPL_LABEL[impl], fmt(med), spread,
                ratio_s, tgt_s))
            per_rep.append((title, IMPL_LABEL[impl], [vals.get(k) for k in reps]))
        print("(sender busy-polls on CPU 0, receiver on CPU 1, 60-byte frames, both sides;"
              " memif: client zero-copy=yes)")

    # Health: delivery and loss, so a fast-but-lossy result is visible.
    print()
    print("delivery (rx/tx packets, median) and ping losses:")
    for frame in (60, 1514):
        items = []
        for impl in ("ptnet", "netmap", "veth", "bridge"):
            v = values(select(recs, impl=impl, test="rate", frame=frame), delivered)
            if v:
                items.append("%s %.1f%%" % (impl, 100 * statistics.median(v.values())))
        print("  %4d B: %s" % (frame, ", ".join(items) or "n/a"))
    for mode in ("busy", "notify"):
        items = []
        for impl in ("ptnet", "veth"):
            v = values(select(recs, impl=impl, test="rtt", mode=mode), lost)
            if v:
                items.append("%s %d lost" % (impl, sum(v.values())))
        print("  ping %s: %s" % (mode, ", ".join(items) or "n/a"))

    # Background: what ran besides the measured processes.
    bg = [r.get("daemon_cpu_s", 0.0) for r in select(recs, test="rate")
          if r["impl"] not in ("ptnet", "netmap")]
    if bg and select(recs, impl="ptnet"):
        print("  ptnetd CPU-s during kernel runs: max %.2f (idle daemon: should be ~0)"
              % max(bg))
    items = []
    for impl in ("ptnet", "netmap", "veth", "bridge"):
        v = values(select(recs, impl=impl, test="rate"), lambda r: r.get("ksoftirqd_cpu_s"))
        if v:
            items.append("%s %.2f" % (impl, statistics.median(v.values())))
    if items:
        print("  ksoftirqd CPU-s per rate run (median): " + ", ".join(items))
    bgl = select(recs, test="background")
    if bgl:
        fr = [100.0 * r["machine_busy_s"] / (r["wall_s"] * r["ncpu"]) for r in bgl]
        waited = sum(r.get("waited_s", 0) for r in bgl)
        print("  other load before each repetition (1 s, %% of all CPUs): %s%s%s"
              % (" ".join("%.0f%%" % f for f in fr),
                 " (waited %d s for quiet)" % waited if waited else "",
                 "  <- something else is running: numbers are disturbed"
                 if max(fr) > 5 else ""))
    restarts = select(recs, test="event", event="ptnetd_restart")
    if restarts:
        print("  ptnetd died and was restarted %d time(s), before repetition(s) %s"
              " (see ptnetd.log)" % (len(restarts),
                                     " ".join(str(r["rep"]) for r in restarts)))
    pongs = [r for r in select(recs, test="rtt") if r.get("pong") is None
             and r["impl"] != "shm"]
    if pongs:
        print("  %d pong process(es) printed no summary (see their .err files)" % len(pongs))

    # Regimes: the bare shared-memory ping-pong of each repetition says whether
    # the two vCPUs were "near" or "far" then; DPDK memif and ptnet's 60 B
    # rate are classified by it, and the ptnet/memif ratio given per regime.
    shm = {r["rep"]: r for r in select(recs, impl="shm", test="rtt") if r.get("ok")}
    if shm:
        p60 = values(select(recs, impl="ptnet", test="rate", frame=60), rate_mpps)
        m60 = values(select(recs, impl="memif", test="rate", frame=60), rate_mpps)
        print()
        print("regime per repetition (bare shm ping-pong p50 < %.2f us: near):" % NEAR_LIMIT_US)
        by = {}
        for k in reps:
            if k not in shm:
                continue
            g = regime(shm[k])
            line = "  rep %d: shm p50 %s us -> %s" % (k, fmt(get(shm[k], "ping", "rtt_us", "p50")), g)
            if k in p60:
                line += "; ptnet 60 B %s Mpps" % fmt(p60[k])
            if k in m60:
                line += "; memif %s Mpps" % fmt(m60[k])
                if k in p60 and m60[k]:
                    by.setdefault(g, []).append(p60[k] / m60[k])
                    line += " (ptnet/memif %sx)" % fmt(p60[k] / m60[k], 2)
            print(line)
        for g in ("near", "far"):
            if g in by:
                print("  ptnet/memif, %s regime: median %sx [%s .. %s] over %d repetition(s)"
                      % (g, fmt(statistics.median(by[g]), 2), fmt(min(by[g]), 2),
                         fmt(max(by[g]), 2), len(by[g])))
    skipped = select(recs, test="event", event="memif_skipped")
    if skipped:
        print("  DPDK memif line skipped: %s" % skipped[0].get("reason"))

    print()
    print("per repetition (run order %s; odd repetitions run ptnet first, even ones last):"
          % " ".join(str(k) for k in reps))
    for title, path, vs in per_rep:
        print("  %-34s %-14s %s" % (title, path, "  ".join(fmt(v) for v in vs)))
    if verdicts:
        print()
        print("targets: " + "; ".join("%s %s" % v for v in verdicts))
    if failed:
        print()
        print("%d measurement(s) produced no result:" % len(failed))
        for r in failed:
            desc = " ".join("%s=%s" % (k, r[k]) for k in
                            ("rep", "test", "frame", "mode", "impl") if k in r)
            rcs = " ".join("%s=%s" % (k, r[k]) for k in r if k.startswith("rc_"))
            print("  %s (%s); see %s" % (desc, rcs, ", ".join(
                r[k].replace(".json", ".err") for k in r if k.endswith("_file"))))
    return 1 if failed else 0


def cmd_testpmd(args):
    path, key = args[0], args[1]
    pps_key, cnt_key = key + "-pps:", key.upper() + "-packets:"
    # The NIC statistics of "show port stats" (not the forwarding summary of "stop").
    nic_mark = "RX-missed:" if key == "Rx" else "TX-errors:"
    pps, counts = [], []
    try:
        with open(path, errors="replace") as f:
            for line in f:
                words = line.split()
                for i, w in enumerate(words[:-1]):
                    try:
                        if w == pps_key:
                            pps.append(float(words[i + 1]))
                        elif w == cnt_key and nic_mark in words:
                            counts.append(int(words[i + 1]))
                    except ValueError:
                        pass
    except OSError:
        return 1
    # "show port stats" twice: the second Rx-pps (Tx-pps) is the rate since
    # the first, by testpmd's clock.  Without two shows there is no interval.
    if len(pps) < 2 or pps[-1] <= 0:
        return 1
    print(json.dumps({"tool": "dpdk-testpmd", "pps": pps[-1], "frame_len": 64,
                      "packets_at_start": counts[-2] if len(counts) > 1 else None,
                      "packets": counts[-1] - counts[-2] if len(counts) > 1 else None,
                      # traffic flowed before the interval began: the rate is whole
                      "started": len(counts) > 1 and counts[-2] > 0}))
    return 0


def cmd_table(args):
    res, bases = args[0], args[1].split(",")
    inverse = len(args) > 2 and args[2] == "other/base"
    recs = []
    with open(os.path.join(res, "all.jsonl")) as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    metrics, impls, better = [], [], {}
    vals = {}
    for r in recs:
        m, impl, v = r.get("metric"), r.get("impl"), r.get("value")
        if m is None or impl is None:
            continue
        if m not in metrics:
            metrics.append(m)
        if impl not in impls:
            impls.append(impl)
        better.setdefault(m, r.get("better", "higher"))
        if isinstance(v, (int, float)) and r.get("ok", True):
            vals.setdefault((m, impl), {})[r["rep"]] = float(v)
    rname = ("path/%s" if inverse else "%s/path") % (
        bases[0] if len(bases) == 1 else "base")
    hdr = "%-32s %-16s %9s  %-21s %s" % ("metric", "path", "median", "[min .. max]",
                                       rname + " (paired)")
    print(hdr)
    print("-" * len(hdr))
    tsv = open(os.path.join(res, "table.tsv"), "w")
    per_rep = []
    reps = sorted({r["rep"] for r in recs if "rep" in r and "metric" in r})
    for m in metrics:
        # The first of BASE's comma-separated paths that this metric has.
        base = next((b for b in bases if any(r.get("metric") == m and r.get("impl") == b
                                             for r in recs)), bases[0])
        bv = vals.get((m, base), {})
        bmed = statistics.median(bv.values()) if bv else None
        first = True
        for impl in impls:
            if (m, impl) not in vals and not any(r.get("metric") == m and r.get("impl") == impl
                                                 for r in recs):
                continue
            v = vals.get((m, impl), {})
            med = statistics.median(v.values()) if v else None
            spread = "[%s .. %s]" % (fmt(min(v.values())), fmt(max(v.values()))) if v else ""
            ratio_s = ""
            if impl != base and med and bmed:
                num, den = (med, bmed) if inverse else (bmed, med)
                ratio_s = "%sx" % fmt(num / den, 2)
                paired = [(v[k] / bv[k]) if inverse else (bv[k] / v[k])
                          for k in v if k in bv and v[k] and bv[k]]
                if paired:
                    ratio_s += " (%s..%s)" % (fmt(min(paired), 2), fmt(max(paired), 2))
            print("%-32s %-16s %9s  %-21s %s" % (m if first else "", impl, fmt(med), spread,
                                                 ratio_s))
            first = False
            if v:
                tsv.write("%s\t%s\t%g\t%g\t%g\n" % (m, impl, med, min(v.values()),
                                                     max(v.values())))
            per_rep.append((m, impl, [v.get(k) for k in reps]))
    tsv.close()
    print("(%s; ratios of medians, in parentheses the range of per-repetition ratios;"
          " %s)" % (", ".join("%s: %s is better" % (m, better[m]) for m in metrics
                              if better[m] == "lower") or "higher is better everywhere",
                    "base: %s" % " or ".join(bases)))
    print()
    print("per repetition (%s):" % " ".join(str(k) for k in reps))
    for m, impl, vs in per_rep:
        print("  %-32s %-16s %s" % (m, impl, "  ".join(fmt(x) for x in vs)))
    failed = [r for r in recs if not r.get("ok", True)]
    if failed:
        print()
        print("%d measurement(s) produced no result:" % len(failed))
        for r in failed:
            print("  rep=%s %s %s" % (r.get("rep"), r.get("metric"), r.get("impl")))
    return 1 if failed else 0


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("record", "summary", "table", "testpmd"):
        sys.stderr.write(__doc__)
        return 2
    if sys.argv[1] == "record":
        return cmd_record(sys.argv[2:])
    if sys.argv[1] == "testpmd":
        return cmd_testpmd(sys.argv[2:]) if len(sys.argv) > 3 else 2
    if sys.argv[1] == "table":
        if len(sys.argv) < 4:
            sys.stderr.write(__doc__)
            return 2
        return cmd_table(sys.argv[2:])
    return cmd_summary(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
