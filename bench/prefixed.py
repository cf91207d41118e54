"""Makes COUNT distinct files of SIZE random bytes whose SHA-256 starts with the byte PREFIX (two hex digits),
each named by its digest: once stored as chunks they all land in the one prefix folder PREFIX.

  python3 bench/prefixed.py DIR COUNT SIZE PREFIX

bench/run fills one prefix folder with them for `ls -l` and for the request counts (about 256 tries a file:
the random body is hashed once, and only its 8-byte counter tail per try).
"""

import hashlib
import os
import sys


def main(argv):
    folder, count, size, prefix = argv[0], int(argv[1]), int(argv[2]), bytes.fromhex(argv[3])
    os.makedirs(folder, exist_ok=True)
    for _ in range(count):
        body = os.urandom(max(size - 8, 0))
        head = hashlib.sha256(body)
        counter = 0
        while True:
            tail = counter.to_bytes(8, "little")[: min(size, 8)]
            attempt = head.copy()
            attempt.update(tail)
            digest = attempt.digest()
            if digest[:1] == prefix:
                break
            counter += 1
        with open(os.path.join(folder, digest.hex()), "wb") as f:
            f.write(body + tail)


if __name__ == "__main__":
    main(sys.argv[1:])
