"""Counts the FUSE requests of single operations in libfuse 2 debug logs (bench/run, section 7).

  python3 bench/requests.py SPEC_TSV OUT_JSON

SPEC_TSV has one measured operation a line: operation, file system, entries (the count to divide by: 1,
or the entries of the folder an `ls -l` listed), debug log, first marker, last marker. bench/run
brackets every operation with two markers, a `stat` of a name that does not exist (MOUNT/.bench-marker-N),
each answered before the next command starts. The kernel numbers requests in the order it queues them
(libfuse prints "unique: N, opcode: OP"), so the operation's requests are those numbered between the two
markers' LOOKUPs, however the daemon's threads interleave their log lines; a RELEASE sent after `close`
returned is queued before the next marker and counts too. FORGET and BATCH_FORGET (the kernel dropping
inodes whenever it likes) are left out. An operation measured several times (the same operation and file
system on several lines) is reported by its median measurement, with every total beside it: an entry or
attribute that expired between a cold and a warm run (1 s timeouts on a loaded machine), or a drop_caches by
anyone else, changes one measurement, not the median.
"""

import json
import re
import sys

REQUEST = re.compile(r"^unique: (\d+), opcode: (\S+) \((\d+)\)")
MARKER = re.compile(r"^LOOKUP /\.bench-marker-(\d+)$")
# Opcodes libfuse 2.9 prints as ??? (newer than it): what the kernel sends them for.
NEWER = {"52": "STATX", "44": "LSEEK", "45": "COPY_FILE_RANGE", "39": "IOCTL", "40": "POLL"}
IGNORED = {"FORGET", "BATCH_FORGET"}


def parse(log):
    """The requests of a log as (unique, opcode) and the unique of each marker's LOOKUP."""
    requests, markers, last_lookup = [], {}, None
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            request = REQUEST.match(line)
            if request:
                unique, name, number = int(request.group(1)), request.group(2), request.group(3)
                if name == "???":
                    name = NEWER.get(number, "OPCODE_" + number)
                requests.append((unique, name))
                if name == "LOOKUP":
                    last_lookup = unique
                continue
            marker = MARKER.match(line.strip())
            # libfuse prints the path right after the request line, on the thread that serves it; nothing
            # else runs while a marker is looked up, so the LOOKUP before it is the marker's.
            if marker and last_lookup is not None:
                markers[marker.group(1)] = last_lookup
    return requests, markers


def main(argv):
    spec, out = argv
    parsed, measured = {}, {}
    with open(spec, encoding="utf-8") as f:
        for line in f:
            operation, fs, entries, log, first, last = line.rstrip("\n").split("\t")
            if log not in parsed:
                parsed[log] = parse(log)
            requests, markers = parsed[log]
            if first not in markers or last not in markers:
                raise SystemExit(f"requests.py: marker {first} or {last} not found in {log}")
            counts = {}
            for unique, name in requests:
                if markers[first] < unique < markers[last] and name not in IGNORED:
                    counts[name] = counts.get(name, 0) + 1
            measured.setdefault((operation, fs), []).append((int(entries), counts))
    result = []
    for (operation, fs), runs in measured.items():
        runs.sort(key=lambda run: sum(run[1].values()) / run[0])
        entries, counts = runs[(len(runs) - 1) // 2]
        result.append(
            {
                "operation": operation,
                "fs": fs,
                "entries": entries,
                "requests": sum(counts.values()),
                "per_entry": sum(counts.values()) / entries,
                "by_opcode": dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
                "totals": [sum(c.values()) for _, c in runs],
            }
        )
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
