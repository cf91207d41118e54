"""Copies files into a folder, like `cp -t DEST FILE...`, optionally fsyncing each copy before closing it.

  python3 bench/copy.py [--fsync] -t DEST FILE...

bench/run copies small files with it on both sides of one comparison, so that both pay the same process
start-up: into a chunkfs mount with sync=file without --fsync (a chunk is durable when close returns), and
into bindfs with --fsync (the same durability, bought the way any program buys it on a plain file system).
"""

import os
import sys

BLOCK = 128 * 1024  # FUSE's largest write (max_write=131072): one request per block on both sides


def copy(source, target, fsync):
    with open(source, "rb", buffering=0) as src:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            while block := src.read(BLOCK):
                view = memoryview(block)
                while view:
                    view = view[os.write(fd, view):]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)


def main(argv):
    fsync = "--fsync" in argv
    args = [a for a in argv if a != "--fsync"]
    if len(args) < 2 or args[0] != "-t":
        sys.exit("usage: copy.py [--fsync] -t DEST FILE...")
    dest, files = args[1], args[2:]
    for name in files:
        copy(name, os.path.join(dest, os.path.basename(name)), fsync)


if __name__ == "__main__":
    main(sys.argv[1:])
