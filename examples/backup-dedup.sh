#!/usr/bin/env bash
# Backup-style deduplication with plain cp and getfattr: every FILE is copied into the mount's
# incoming/ folder; its digest (the chunk's name) is appended to INDEX as "<digest>  <path>", like
# sha256sum. Copying the same bytes twice stores them once.
#
# usage: examples/backup-dedup.sh MOUNTPOINT INDEX FILE...
set -euo pipefail
if (($# < 3)); then
  echo "usage: $0 MOUNTPOINT INDEX FILE..." >&2
  exit 2
fi
mnt=$1 index=$2
shift 2
for file in "$@"; do
  name=$(basename "$file")
  cp -- "$file" "$mnt/incoming/$name"            # committed (durable) when cp's close returns
  digest=$(getfattr --only-values -n user.chunkfs.digest "$mnt/incoming/$name")
  printf '%s  %s\n' "$digest" "$file" >> "$index"
done
echo "$(wc -l < "$index") entries in $index; $(sort -u -k1,1 "$index" | wc -l) distinct chunks"
