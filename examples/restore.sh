#!/usr/bin/env bash
# Reading chunks back with cat: restores every "<digest>  <path>" line of INDEX into DEST/<basename>,
# and checks each restored file with sha256sum.
#
# usage: examples/restore.sh MOUNTPOINT INDEX DEST
set -euo pipefail
if (($# != 3)); then
  echo "usage: $0 MOUNTPOINT INDEX DEST" >&2
  exit 2
fi
mnt=$1 index=$2 dest=$3
mkdir -p "$dest"
while read -r digest path; do
  cat "$mnt/${digest:0:2}/$digest" > "$dest/$(basename "$path")"
  printf '%s  %s\n' "$digest" "$dest/$(basename "$path")"
done < "$index" | sha256sum --check --quiet
echo "restored $(wc -l < "$index") files into $dest"
