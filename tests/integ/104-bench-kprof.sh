#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/vm/kprof.py (bench/vm/run.sh --profile) turns guest /proc/profile
# samples into a report: buckets resolved to the symbol that holds them,
# the last bucket (where the kernel puts module text) as [modules], samples
# of one setup summed, the guest's /proc/stat split and the host's shares.
. "$(dirname "$0")/lib.sh"

KP=$ROOT/bench/vm/kprof.py
cat >"$T/syms" <<'EOF'
ffffffff81000000 T _stext
ffffffff81000000 T startup_64
ffffffff81000100 t copy_user_generic_string
ffffffff81000200 T native_safe_halt
ffffffff81000240 T tcp_sendmsg
EOF
# 16-byte buckets from _stext: 16 -> 0x100 (copy_user), 17 -> 0x110 (copy_user),
# 32 -> 0x200 (halt), 36 -> 0x240 (tcp_sendmsg), 99 = the last of 100 buckets.
cat >"$T/a.1.raw" <<'EOF'
host0 100 1000 10 20 5
host1 600 2000 310 220 55
stat0 cpu  10 0 100 500 0 0 10 0 0 0
stat1 cpu  20 0 300 600 0 0 30 0 0 0
step 16
16 30
17 10
32 40
99 20
len 100
EOF
cat >"$T/a.2.raw" <<'EOF'
host0 0 0 0 0 0
host1 0 0 0 0 0
stat0 cpu  0 0 0 0 0 0 0 0 0 0
stat1 cpu  0 0 0 0 0 0 0 0 0 0
step 16
36 100
len 100
EOF
out=$(python3 "$KP" "$T/syms" "$T/a.1.raw" 2>&1)
check "kprof reads one sample" test $? = 0
echo "$out" >"$T/one.txt"
check "buckets add up per symbol (30 + 10 of 100)" grep -Eq '^ *40\.00 %.* 40  copy_user_generic_string$' "$T/one.txt"
check "the halt bucket" grep -Eq '^ *40\.00 %.* 40  native_safe_halt$' "$T/one.txt"
check "the last bucket is [modules]" grep -Eq '^ *20\.00 %.* 20  \[modules\]$' "$T/one.txt"
check_eq "total and bucket size" "$(grep '^kernel profile' "$T/one.txt")" "kernel profile: 100 ticks (bucket 16 B)"
# stat delta: user 10, system 200, idle 100, softirq 20 of 330
check "the guest's split" grep -q '^guest CPU: user 3.0 %, system 60.6 %, irq+softirq 6.1 %, idle 30.3 % (330 ticks)$' "$T/one.txt"
check "the host's shares" grep -q '^host CPU (both cores): busy 50.0 %; client QEMU 30.0 %, server QEMU 20.0 %, ptnetd 5.0 %$' "$T/one.txt"
python3 "$KP" "$T/syms" "$T/a.1.raw" "$T/a.2.raw" >"$T/two.txt" 2>&1
check "two samples are summed" grep -Eq '^ *50\.00 %.* 100  tcp_sendmsg$' "$T/two.txt"
check_eq "and so is the total" "$(grep '^kernel profile' "$T/two.txt")" "kernel profile: 200 ticks (bucket 16 B)"
printf 'stat0 cpu 1 2\n' >"$T/bad.raw"
check "samples without a step line are an error" eval "! python3 $KP $T/syms $T/bad.raw 2>/dev/null"
check "a symbol file without _stext is an error" eval "! python3 $KP $T/a.1.raw $T/a.1.raw 2>/dev/null"
finish
