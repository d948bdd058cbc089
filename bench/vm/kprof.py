#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""kprof.py - where a TCG guest's kernel spends its time, from /proc/profile.

usage: kprof.py KALLSYMS RAW [RAW...]  >  report

Each RAW file is what bench/vm/run.sh --profile took from one guest around
one measurement (several files of one setup and role are summed):

    host0 <host busy, host total, client QEMU, server QEMU, ptnetd: jiffies before>
    host1 <the same after>
    stat0 <the guest's /proc/stat "cpu" line before>
    stat1 <the same after>
    step <the first word of /proc/profile: the bucket size in bytes>
    len <the number of buckets>
    <bucket index> <ticks>          (non-zero buckets only)

KALLSYMS is a guest's /proc/kallsyms (text symbols; booted with nokaslr,
so the addresses hold for every guest of the image).  The kernel's
profile=N counts the timer ticks that hit kernel text, per
2^N-byte bucket from _stext; addresses past the core kernel (modules: the
ptnet and virtio drivers are loaded with insmod) land in the last bucket,
reported as [modules].  Ticks in user mode are not in the profile; the
stat lines give the guest's user/system/softirq/idle split.
"""
import bisect
import sys


def load_map(path):
    addrs, names, stext = [], [], None
    for line in open(path):
        parts = line.split()
        if len(parts) < 3 or parts[1] not in "tTwW":
            continue
        a = int(parts[0], 16)
        if parts[2] == "_stext":
            stext = a
        addrs.append(a)
        names.append(parts[2])
    order = sorted(range(len(addrs)), key=lambda i: addrs[i])
    return [addrs[i] for i in order], [names[i] for i in order], stext


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    addrs, names, stext = load_map(sys.argv[1])
    if stext is None:
        sys.exit("kprof: no _stext in " + sys.argv[1])
    ticks, stat, host = {}, [0] * 10, [0] * 5
    shift, top = None, -1
    for raw in sys.argv[2:]:
        rows, s0, s1 = [], None, None
        for line in open(raw):
            f = line.split()
            if not f:
                continue
            if f[0] == "host0":
                h0 = [int(x) for x in f[1:]]
            elif f[0] == "host1":
                for i, (a, b) in enumerate(zip(h0, (int(x) for x in f[1:]))):
                    host[i] += b - a
            elif f[0] == "stat0":
                s0 = [int(x) for x in f[2:]]
            elif f[0] == "stat1":
                s1 = [int(x) for x in f[2:]]
            elif f[0] == "step":
                shift = int(f[1]).bit_length() - 1
            elif f[0] == "len":
                top = int(f[1]) - 1
            else:
                rows.append((int(f[0]), int(f[1])))
        if s0 and s1:
            for i, (a, b) in enumerate(zip(s0, s1)):
                if i < len(stat):
                    stat[i] += b - a
        for i, n in rows:
            ticks[i] = ticks.get(i, 0) + n
    if shift is None:
        sys.exit("kprof: no step line in the samples")
    per = {}
    for i, n in ticks.items():
        addr = stext + (i << shift)
        if i == top:
            name = "[modules]"
        else:
            k = bisect.bisect_right(addrs, addr) - 1
            name = names[k] if k >= 0 else "?"
        per[name] = per.get(name, 0) + n
    total = sum(per.values())
    # /proc/stat: user nice system idle iowait irq softirq steal ...
    all_ = sum(stat[:8]) or 1
    print("guest CPU: user %.1f %%, system %.1f %%, irq+softirq %.1f %%, idle %.1f %% (%d ticks)"
          % (100.0 * (stat[0] + stat[1]) / all_, 100.0 * stat[2] / all_,
             100.0 * (stat[5] + stat[6]) / all_, 100.0 * (stat[3] + stat[4]) / all_, all_))
    if host[1]:
        print("host CPU (both cores): busy %.1f %%; client QEMU %.1f %%, server QEMU %.1f %%, ptnetd %.1f %%"
              % tuple(100.0 * host[i] / host[1] for i in (0, 2, 3, 4)))
    print("kernel profile: %d ticks (bucket %d B)" % (total, 1 << shift))
    acc = 0
    for name, n in sorted(per.items(), key=lambda kv: -kv[1])[:40]:
        acc += n
        print("%6.2f %%  %6.2f %%  %7d  %s" % (100.0 * n / total, 100.0 * acc / total, n, name))


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:	# | head
        sys.stderr.close()
