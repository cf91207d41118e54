"""The native references of bench/run's tree rows: python3 bench/tree.py DIR NAMES PER_FOLDER.

Creates NAMES empty files in folders of PER_FOLDER under DIR plus one symlink per file to a 64-hex name (the
receipts of earlier releases), one sync at the end; lists one folder as ls -l does (names and an lstat each);
reads every symlink back (what gc would read to learn the digests names refer to). Prints
"create_ms list_ms scan_ms".
"""
import os
import sys
import time

root, names, per_folder = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(root, exist_ok=True)
start = time.monotonic()
links = os.path.join(root, "links")
os.mkdir(links)
for i in range(names):
    folder = os.path.join(root, f"d{i // per_folder}")
    if i % per_folder == 0:
        os.mkdir(folder)
    os.close(os.open(os.path.join(folder, f"file-{i}"), os.O_CREAT | os.O_WRONLY, 0o644))
    os.symlink(f"../.chunks/{i:064x}"[:75], os.path.join(links, f"file-{i}"))
os.sync()
created = time.monotonic()
listed = 0
for entry in os.scandir(os.path.join(root, "d0")):
    os.lstat(entry.path)
    listed += 1
listing = time.monotonic()
scanned = sum(1 for entry in os.scandir(links) if os.readlink(entry.path))
scan = time.monotonic()
assert listed == min(per_folder, names) and scanned == names, (listed, scanned)
print(round((created - start) * 1000), round((listing - created) * 1000), round((scan - listing) * 1000))
