#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The second half of 32-vhost-hostile.sh's ring cases: indirect tables
# (nested, bad size, empty, outside memory, looping), an avail index jumping
# past the ring, random rings after a good start and bad RX buffers (outside
# memory, read-only, straddling a region), beside the good canary pair.
VHOST_PART=2
. "$(dirname "$0")/32-vhost-hostile.sh"
