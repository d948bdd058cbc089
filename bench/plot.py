#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""plot.py - a benchmark table as a picture: one panel per metric, one bar
per path (ptnet and its peers), the bar at the median and a line from min to
max, drawn with gnuplot into a PNG beside the table.

    plot.py TABLE.tsv OUT.png [TITLE]

TABLE.tsv: one row per (metric, path): metric, path, median, min, max (tabs).
Exits 0 without a picture (saying so) when gnuplot is not installed.
"""
import os
import shutil
import subprocess
import sys
import tempfile


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    tsv, png = argv[1], argv[2]
    title = argv[3] if len(argv) > 3 else os.path.basename(tsv)
    if not shutil.which("gnuplot"):
        print("plot.py: gnuplot is not installed (apt-get install gnuplot-nox): no %s" % png,
              file=sys.stderr)
        return 0
    metrics, rows = [], {}
    with open(tsv) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5:
                continue
            m, p, med, lo, hi = parts
            try:
                vals = tuple(float(x) for x in (med, lo, hi))
            except ValueError:
                continue
            if m not in rows:
                metrics.append(m)
                rows[m] = []
            rows[m].append((p, vals))
    if not metrics:
        print("plot.py: no rows in %s" % tsv, file=sys.stderr)
        return 1
    cols = 2 if len(metrics) > 1 else 1
    nrows = (len(metrics) + cols - 1) // cols
    with tempfile.TemporaryDirectory() as tmp:
        script = ['set terminal pngcairo size %d,%d font "sans,9"' % (520 * cols, 260 * nrows + 30)
                  if has_cairo() else 'set terminal png size %d,%d' % (520 * cols, 260 * nrows + 30),
                  'set output "%s"' % png,
                  'set multiplot layout %d,%d title "%s"' % (nrows, cols, title.replace('"', "'")),
                  'set style fill solid 0.6 border -1', 'set boxwidth 0.6', 'set grid ytics',
                  'set yrange [0:*]', 'unset key']
        for i, m in enumerate(metrics):
            dat = os.path.join(tmp, "m%d.dat" % i)
            with open(dat, "w") as f:
                for k, (p, (med, lo, hi)) in enumerate(rows[m]):
                    f.write('%d "%s" %g %g %g\n' % (k, p, med, lo, hi))
            script += ['set title "%s"' % m.replace('"', "'"),
                       'set xrange [-0.6:%g]' % (len(rows[m]) - 0.4),
                       'plot "%s" using 1:3:xtic(2) with boxes lc rgb "#4a7ebb", '
                       '"" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0' % dat]
        script.append("unset multiplot")
        r = subprocess.run(["gnuplot"], input="\n".join(script) + "\n", text=True,
                           capture_output=True)
        if r.returncode:
            print("plot.py: gnuplot failed: %s" % r.stderr.strip(), file=sys.stderr)
            return 1
    return 0


def has_cairo():
    r = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    return "pngcairo" in (r.stdout + r.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
