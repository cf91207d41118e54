#!/usr/bin/env bash
# Garbage collection driven from the shell: every chunk named in the INDEX files ("<digest>  <path>"
# lines, as backup-dedup.sh writes them) is touched through the mount with xargs touch, which runs the
# conditional touch; then `chunkfs gc` sweeps every chunk not touched since the marking began. The INDEX files
# are the roots, the Proxmox Backup Server way: gc runs with --tree-roots off, which it keeps as the store's
# setting, so files left in incoming/ keep no chunk (with tree roots on, gc would keep what they name too).
#
# usage: examples/mark-and-sweep.sh MOUNTPOINT STORE INDEX...
set -euo pipefail
if (($# < 3)); then
  echo "usage: $0 MOUNTPOINT STORE INDEX..." >&2
  exit 2
fi
mnt=$1 store=$2
shift 2
chunkfs=${CHUNKFS:-$(dirname "$(readlink -f "$0")")/../mount-scripts/chunkfs}
started=$(date +%s)
cut -c1-64 "$@" | sort -u | sed -E "s|^(..)|$mnt/\1/\1|" | xargs -r touch
# Keep what was touched since the marking started. The margin counts back from when gc starts, which is
# after this line has started a JVM (seconds on a busy machine): a minute more keeps every mark.
"$chunkfs" --store "$store" gc --tree-roots off --margin "$(( $(date +%s) - started + 60 ))s"
