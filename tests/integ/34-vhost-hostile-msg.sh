#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The malformed-message half of 32-vhost-hostile.sh (tb-vhu --hostile, the
# "message" cases of `tb-vhu --hostile list`): each must get the connection
# closed, the request refused (REPLY_ACK non-zero) or the queue marked broken,
# beside the good canary pair, with ptnetd alive and the next frontend served.
VHOST_KIND=message
. "$(dirname "$0")/32-vhost-hostile.sh"
