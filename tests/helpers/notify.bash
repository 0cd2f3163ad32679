# SPDX-License-Identifier: GPL-2.0-or-later
# notify.bash - a host NOTIFY_SOCKET for the sd_notify tests (notify.bats,
# clients/podman.bats). Sourced; sets LISTENER to the listener's pid, which
# the caller's teardown kills and waits for.

# notify_listen SOCK OUT [--stamp] [--until PREFIX] [--timeout SECONDS]
# Binds a datagram socket at SOCK in the background and writes what it gets
# to OUT: each datagram as it came, or with --stamp as one line
# "MILLISECONDS MESSAGE" (when it arrived). It stops at a datagram starting
# with PREFIX, or after SECONDS (20) without one. Returns once SOCK exists.
notify_listen() {
  local sock=$1 out=$2 stamp=0 until= timeout=20
  shift 2
  while [ $# -gt 0 ]; do
    case $1 in
    --stamp) stamp=1 ;;
    --until) until=$2; shift ;;
    --timeout) timeout=$2; shift ;;
    *) echo "notify_listen: unknown option $1" >&2; return 1 ;;
    esac
    shift
  done
  : >"$out"
  python3 - "$sock" "$out" "$stamp" "$until" "$timeout" 3>&- <<'PY' &
import socket, sys, time
sock, out, stamp, until, timeout = sys.argv[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock)
s.settimeout(float(timeout))
with open(out, "w") as f:
    try:
        while True:
            d = s.recv(4096)
            if stamp == "1":
                f.write("%d %s\n" % (time.time() * 1000, d.decode().strip()))
            else:
                f.write(d.decode())
            f.flush()
            if until and d.startswith(until.encode()):
                break
    except socket.timeout:
        pass
PY
  LISTENER=$!
  local i
  for i in $(seq 1 200); do [ -S "$sock" ] && return 0; sleep 0.01; done
  echo "the listener never bound $sock" >&2
  return 1
}
