"""Prints bench/s3's tables and writes them to bench/results/s3-DATE.txt and .json (bench/s3 calls it).

  python3 bench/s3report.py WORK OUT_DIR QUICK RUNS BIG_MIB NSMALL WRITERS JAR VERSIONS_FILE

WORK holds times.tsv (run, tool, step, milliseconds, files, bytes; "failed" as the step when a tool's
run broke off) and snaps/: the server's request counts (S3Proxy's Prometheus metric
http_server_request_duration_seconds_count, one series per S3 operation, method, status and bucket)
scraped just before (RUN.TOOL.STEP.before) and after (.after) each measured command, and for chunkfs
the mount's own status (RUN.chunkfs.STEP.client.before/.after, with its "counters").
"""

import hashlib
import json
import os
import re
import statistics
import sys
import time

TOOLS = ("chunkfs", "rclone", "restic")
KINDS = ("put", "get", "head", "list", "delete", "copy", "other")
# S3 operations by kind, as chunkfs' own counters (S3Objects.kind) sort them: the cross-check compares like
# with like. Anything else (CreateBucket, GetBucketLocation, ...) is "other".
KIND_OF = {
    "PutObject": "put", "CreateMultipartUpload": "put", "UploadPart": "put",
    "CompleteMultipartUpload": "put",
    "GetObject": "get", "GetObjectAttributes": "get", "GetObjectAcl": "get",
    "HeadObject": "head", "HeadBucket": "head",
    "ListObjects": "list", "ListObjectsV2": "list", "ListBuckets": "list",
    "ListMultipartUploads": "list", "ListParts": "list",
    "DeleteObject": "delete", "DeleteObjects": "delete", "DeleteBucket": "delete", "AbortMultipartUpload": "delete",
    "CopyObject": "copy", "UploadPartCopy": "copy",
}
LABEL = re.compile(r'(\w+)="([^"]*)"')


def steps(big_mib, nsmall, writers):
    big = f"{big_mib} MiB file" if big_mib < 1024 or big_mib % 1024 else f"{big_mib // 1024} GiB file"
    small = f"{nsmall} x 64 KiB"
    # (key, label, unit, the peers' step it is set against)
    return [
        ("ingest-big", f"{big}, first ingest", "MB/s", "ingest-big"),
        ("ingest-small", f"{small}, first ingest, {writers} writers", "files/s", "ingest-small"),
        ("ingest-small-async-ack", f"{small}, first ingest, one cp -r, upload=async: cp returned", "files/s",
         "ingest-small"),
        ("ingest-small-async", f"{small}, first ingest, one cp -r, upload=async: all uploaded", "files/s",
         "ingest-small"),
        ("reingest-big", f"{big}, second ingest (in cache)", "MB/s", "reingest-big"),
        ("reingest-small", f"{small}, second ingest (in cache), {writers} writers", "files/s", "reingest-small"),
        ("reingest-big-cold", f"{big}, second ingest, cache dropped", "MB/s", "reingest-big"),
        ("reingest-small-cold", f"{small}, second ingest, cache dropped, {writers} writers", "files/s",
         "reingest-small"),
        ("restore", f"cold restore of everything, {writers} readers", "MB/s", "restore"),
    ]


def read_times(work):
    times, failed = {}, []
    with open(os.path.join(work, "times.tsv"), encoding="utf-8") as f:
        for line in f:
            run, tool, step, ms, files, size = line.rstrip("\n").split("\t")
            if step == "failed":
                failed.append((int(run), tool))
                continue
            times.setdefault((tool, step), []).append(
                {"run": int(run), "ms": int(ms), "files": int(files), "bytes": int(size)})
    return times, failed


def scrape(path):
    counts = {}
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        for line in f:
            labels = dict(LABEL.findall(line))
            key = (labels.get("s3_operation", "?"), labels.get("http_request_method", "?"),
                   labels.get("http_response_status_code", "?"), labels.get("s3_bucket", ""))
            counts[key] = counts.get(key, 0) + int(float(line.split()[-1]))
    return counts


def server_requests(work, run, tool, step):
    """What the server answered during one measured command: by kind, errors, and every series."""
    before = scrape(os.path.join(work, "snaps", f"{run}.{tool}.{step}.before"))
    after = scrape(os.path.join(work, "snaps", f"{run}.{tool}.{step}.after"))
    if before is None or after is None:
        return None
    kinds = dict.fromkeys(KINDS, 0)
    errors, series = 0, []
    for key, n in after.items():
        delta = n - before.get(key, 0)
        if delta <= 0:
            continue
        op, method, status, bucket = key
        kinds[KIND_OF.get(op, "other")] += delta
        if status.isdigit() and int(status) >= 400:
            errors += delta
        series.append({"operation": op, "method": method, "status": status, "bucket": bucket, "count": delta})
    kinds["total"] = sum(kinds[k] for k in KINDS)
    kinds["errors"] = errors
    result = {"kinds": kinds, "series": series}
    try:
        with open(os.path.join(work, "snaps", f"{run}.{tool}.{step}.written"), encoding="utf-8") as f:
            keys = [line.rstrip("\n") for line in f if line.strip()]
        result["written"] = {"chunks": sum("/.chunks/" in k for k in keys),
                             "other": sorted(k for k in keys if "/.chunks/" not in k)}
    except OSError:
        pass
    return result


def not_chunks(sample):
    """The PUTs of a measurement that wrote no chunk (the mount's lease renewals): not the ingest's doing."""
    written = sample["server"].get("written")
    return len(written["other"]) if written else 0


def client_requests(work, run, step):
    """chunkfs' own count of its requests (requests.* of the mount's status counters), or None."""
    def counters(path):
        try:
            with open(path, encoding="utf-8") as f:
                return json.load(f).get("counters") or None
        except (OSError, ValueError):
            return None
    before = counters(os.path.join(work, "snaps", f"{run}.chunkfs.{step}.client.before"))
    after = counters(os.path.join(work, "snaps", f"{run}.chunkfs.{step}.client.after"))
    if before is None or after is None:
        return None
    return {k: after[k] - before.get(k, 0) for k in after
            if k.startswith("requests.") and isinstance(after[k], (int, float))}


def median(values):
    return statistics.median(values) if values else None


def num(x, digits=3):
    if x is None:
        return "-"
    if x == 0:
        return "0"
    if abs(x) >= 10 ** digits:
        return f"{x:.0f}"
    return f"{x:.{digits}g}"


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def final_json(work, run, name):
    try:
        with open(os.path.join(work, "snaps", f"{run}.chunkfs.final-{name}.json"), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def main(argv):
    work, out_dir, quick, runs, big_mib, nsmall, writers, jar, versions_file = argv[1:10]
    quick, runs, big_mib, nsmall, writers = quick == "1", int(runs), int(big_mib), int(nsmall), int(writers)
    times, failed = read_times(work)
    with open(versions_file, encoding="utf-8") as f:
        versions = [line.rstrip("\n") for line in f if line.strip()]
    out = []
    say = out.append

    # Throughput and request counts, per step and tool: medians over the runs.
    result = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "quick": quick, "runs": runs,
              "sizes": {"big_mib": big_mib, "small_files": nsmall, "small_kib": 64, "writers": writers},
              "jar": None, "versions": versions, "failed": [{"run": r, "tool": t} for r, t in failed],
              "steps": []}
    if os.path.exists(jar):
        result["jar"] = {"path": jar, "sha256": sha256(jar)}
    figures = {}   # (tool, step) -> rate in the row's unit
    requests = {}  # (tool, step) -> per-run server requests
    for key, label, unit, _ in steps(big_mib, nsmall, writers):
        entry = {"step": key, "label": label, "unit": unit, "tools": {}}
        for tool in TOOLS:
            samples = times.get((tool, key))
            if not samples:
                continue
            rates = []
            for s in samples:
                secs = s["ms"] / 1000
                rates.append(s["bytes"] / 1e6 / secs if unit == "MB/s" else s["files"] / secs)
                s["server"] = server_requests(work, s["run"], tool, key.removesuffix("-ack"))
                if tool == "chunkfs":
                    s["client"] = client_requests(work, s["run"], key.removesuffix("-ack"))
            figures[(tool, key)] = median(rates)
            requests[(tool, key)] = [s for s in samples if s.get("server")]
            entry["tools"][tool] = {"median": median(rates), "runs": samples}
        result["steps"].append(entry)

    say(f"chunkfs on S3 against rclone and restic, {time.strftime('%Y-%m-%d %H:%M')}, "
        f"{'quick, ' if quick else ''}medians of {runs} run(s), {os.cpu_count()} cores")
    for v in versions:
        say(f"  {v}")
    if result["jar"]:
        say(f"  chunkfs jar {jar} (sha256 {result['jar']['sha256'][:12]})")
    for r, t in failed:
        say(f"  FAILED: {t} in run {r} (its figures from that run are missing; see the log)")
    say("")

    # Table 1: throughput and ratios.
    rows = steps(big_mib, nsmall, writers)
    w = max(len(label) for _, label, _, _ in rows)
    say(f"{'operation':<{w}}  {'unit':<7}  {'chunkfs':>8}  {'rclone':>8}  {'restic':>8}  "
        f"{'cf/rclone':>9}  {'cf/restic':>9}")
    for key, label, unit, ref in rows:
        mine = figures.get(("chunkfs", key))
        peers = [figures.get((t, ref)) for t in ("rclone", "restic")]
        if mine is None and (key != ref or all(p is None for p in peers)):
            continue   # a chunkfs-only row without chunkfs, or nothing measured
        ratios = [mine / p if mine and p else None for p in peers]
        say(f"{label:<{w}}  {unit:<7}  {num(mine):>8}  {num(peers[0]):>8}  {num(peers[1]):>8}  "
            f"{num(ratios[0]):>9}  {num(ratios[1]):>9}")
    say("")
    say("  chunkfs: cp into incoming/ of a write-through mount (the big file: one cp; the small files: "
        f"{writers} cp at once,")
    say(f"  each with its share), upload=async: one `cp -r DIR/. incoming/`; restore: cat of every chunk, "
        f"{writers} at once.")
    say(f"  rclone: rclone copy --transfers {writers}; restore: rclone copy back. restic: restic backup "
        f"-o s3.connections={writers}; restore:")
    say("  restic restore of both snapshots, its cache removed first. Rows after a cache drop and the async "
        "rows are set")
    say("  against the peers' plain rows (they have no cache to drop). Ratios: above 1 = chunkfs faster.")
    say("")

    # Table 2: requests by kind per file, counted at the server.
    say("requests per file, by kind, counted at the server (medians over the runs; total = absolute count)")
    head = f"{'operation':<{w}}  {'tool':<7}  " + "  ".join(f"{k:>6}" for k in KINDS)
    say(head + f"  {'per file':>8}  {'total':>7}  {'4xx/5xx':>7}  {'client':>7}")
    for key, label, _, _ in rows:
        if key.endswith("-ack"):
            continue   # counted once, until all uploaded (the next row)
        for tool in TOOLS:
            runs_of = requests.get((tool, key))
            if not runs_of:
                continue
            files = runs_of[0]["files"]
            per = {k: median([s["server"]["kinds"][k] for s in runs_of]) / files for k in KINDS}
            total = median([s["server"]["kinds"]["total"] for s in runs_of])
            errors = median([s["server"]["kinds"]["errors"] for s in runs_of])
            client = "-"
            if tool == "chunkfs":
                sums = [sum(s["client"].values()) for s in runs_of if s.get("client") is not None]
                client = num(median(sums)) if sums else "-"
            say(f"{label:<{w}}  {tool:<7}  " + "  ".join(f"{num(per[k]):>6}" for k in KINDS)
                + f"  {num(total / files):>8}  {num(total):>7}  {num(errors):>7}  {client:>7}")
    say("  client: chunkfs' own count (requests.* of `chunkfs status --json`) over the same window, a cross-check.")
    leases = [(key, s["run"], s["server"]["written"]["other"]) for (tool, key), samples in requests.items()
              if tool == "chunkfs" for s in samples if s["server"].get("written", {}).get("other")]
    for key, run, keys in leases:
        say(f"  {key}, run {run}: {len(keys)} of chunkfs' puts wrote no chunk ({', '.join(keys)}): "
            "the mount's lease renewals, counted above all the same")
    say("")

    # Table 3: the targets of issue 13.
    say("targets (issue 13)")
    targets = []

    def described(sample):
        """ (2 put, 1 head; 1 put wrote no chunk: BUCKET/PREFIX/.leases/host): what a count was made of."""
        kinds = sample["server"]["kinds"]
        parts = [f"{kinds[k]} {k}" for k in KINDS if kinds[k]]
        text = ", ".join(parts)
        written = sample["server"].get("written")
        if written and written["other"]:
            text += f"; {len(written['other'])} put(s) wrote no chunk: {', '.join(written['other'])}"
        return f" ({text})" if text else ""

    def counted(sample):
        return sample["server"]["kinds"]["total"] - not_chunks(sample)

    def target(text, verdict, detail):
        targets.append({"target": text, "verdict": verdict, "detail": detail})
        say(f"  {verdict:<5} {text}: {detail}")

    for key, what in (("ingest-big", "the big file"), ("ingest-small", f"small files, {writers} writers"),
                      ("ingest-small-async", "small files, cp -r with upload=async, until uploaded")):
        mine, peer = figures.get(("chunkfs", key)), figures.get(("rclone", "ingest-small" if "async" in key else key))
        if mine is None or peer is None:
            target(f"first ingest >= rclone ({what})", "-", "not measured")
        else:
            target(f"first ingest >= rclone ({what})", "PASS" if mine >= peer else "MISS",
                   f"chunkfs/rclone {mine / peer:.2f}")
    for key, chunks, what in (("reingest-big", 1, "the big file"), ("reingest-small", nsmall, "small files")):
        runs_of = requests.get(("chunkfs", key))
        if not runs_of:
            target(f"re-ingest in cache sends 0 requests ({what})", "-", "not measured")
            continue
        worst = max(runs_of, key=counted)
        target(f"re-ingest in cache sends 0 requests ({what})", "PASS" if counted(worst) == 0 else "MISS",
               f"at most {counted(worst)} request(s) in a run{described(worst)}")
    for key, chunks, what in (("reingest-big-cold", 1, "the big file"),
                              ("reingest-small-cold", nsmall, "small files")):
        runs_of = requests.get(("chunkfs", key))
        if not runs_of:
            target(f"re-ingest after the cache was dropped <= 1 request per chunk ({what})", "-", "not measured")
            continue
        worst = max(runs_of, key=counted)
        target(f"re-ingest after the cache was dropped <= 1 request per chunk ({what})",
               "PASS" if counted(worst) <= chunks else "MISS",
               f"at most {counted(worst)} request(s) for {chunks} chunk(s) in a run{described(worst)}")
    result["targets"] = targets

    # chunkfs' own view at the end of the restore (`status --json` counters: the store's, its mounts' included),
    # and the warm-ups.
    for r in range(1, runs + 1):
        status = final_json(work, r, "status")
        counters = (status or {}).get("counters")
        if counters:
            shown = ", ".join(f"{k} {v}" for k, v in sorted(counters.items()))
            say(f"  chunkfs status at the end of the restore, run {r} (the store's counters): {shown}")
            result.setdefault("chunkfs_restore_mount_counters", {})[r] = counters
    warm = [s["ms"] for s in times.get(("chunkfs", "warmup"), [])]
    if warm:
        say(f"  chunkfs warm-up of each mount before it is measured (one 4 KiB file in, one dropped chunk read): "
            f"median {statistics.median(warm):.0f} ms, at most {max(warm)} ms")
        result["chunkfs_warmup_ms"] = warm

    os.makedirs(out_dir, exist_ok=True)
    base = os.path.join(out_dir, "s3-" + time.strftime("%Y%m%d-%H%M%S") + (".quick" if quick else ""))
    with open(base + ".json", "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    with open(base + ".txt", "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    print("\n".join(out))
    print(f"\nwritten to {base}.txt and .json")


if __name__ == "__main__":
    main(sys.argv)
