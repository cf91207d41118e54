"""Prints bench/run's table and writes it as JSON to bench/results/ (bench/run calls it).

  python3 bench/report.py ROWS_TSV SAMPLES_DIR OUT_DIR QUICK RUNS JAR [BASELINE_JAR [BASELINE_REV]]

ROWS_TSV has one row a line: operation, unit, chunkfs median, baseline median (- without a baseline),
reference name, reference value (- for none), 1 when higher is better else 0, target ratio (- for none),
1-minute load average, and the key of the chunkfs measurements in SAMPLES_DIR (KEY.new, KEY.base: one
measurement a line, raw: milliseconds for times and speeds, MiB for memory; lower is always better).
SAMPLES_DIR/requests.json, when section 7 ran, holds the FUSE requests per operation (bench/requests.py).
"""

import hashlib
import json
import os
import statistics
import sys
import time

# new vs baseline within this fraction counts as unchanged: issue 12 asks for every row within 5%.
TOLERANCE = 0.05


def number(text):
    return None if text in ("-", "") else float(text)


def oriented_ratio(mine, other, higher_is_better):
    """mine against other, oriented so that above 1 is always better for mine."""
    if mine is None or other is None or mine <= 0 or other <= 0:
        return None
    return mine / other if higher_is_better else other / mine


def baseline_verdict(ratio, unit):
    if ratio is None:
        return None
    if abs(ratio - 1) <= TOLERANCE:
        return f"within {TOLERANCE:.0%}"
    worse, better = ("MORE", "less") if unit == "MiB" else ("SLOWER", "faster")
    return better if ratio > 1 else worse


def samples(directory, name):
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [float(line) for line in f if line.strip()]


def spread(values):
    """How far one jar's runs lie apart, (max - min) / median: a verdict finer than this is noise."""
    if len(values) < 2 or statistics.median(values) <= 0:
        return 0.0
    return (max(values) - min(values)) / statistics.median(values)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_rows(rows_file, samples_dir):
    rows = []
    with open(rows_file, encoding="utf-8") as f:
        for line in f:
            op, unit, mine, base, ref_name, ref, higher, target, load, key = line.rstrip("\n").split("\t")
            higher = higher == "1"
            entry = {"operation": op, "unit": unit, "chunkfs": number(mine), "reference": ref_name}
            if number(ref) is not None:
                entry["reference_value"] = number(ref)
            entry["ratio"] = oriented_ratio(entry["chunkfs"], number(ref), higher)
            if target != "-" and entry["ratio"] is not None:
                entry["target"] = float(target)
                entry["verdict"] = "PASS" if entry["ratio"] >= float(target) else "MISS"
            entry["load"] = number(load)
            entry["key"] = key
            entry["samples"] = {"chunkfs": samples(samples_dir, key + ".new")}
            base_samples = samples(samples_dir, key + ".base")
            if number(base) is not None and base_samples and entry["samples"]["chunkfs"]:
                entry["baseline_value"] = number(base)
                entry["samples"]["baseline"] = base_samples
                # From the raw medians, not from the rounded figures of the table. Every raw chunkfs
                # figure is a cost (milliseconds or MiB): lower is better.
                entry["baseline_ratio"] = oriented_ratio(
                    statistics.median(entry["samples"]["chunkfs"]),
                    statistics.median(entry["samples"]["baseline"]),
                    False,
                )
                entry["baseline_verdict"] = baseline_verdict(entry["baseline_ratio"], unit)
                entry["spread"] = max(spread(entry["samples"]["chunkfs"]), spread(entry["samples"]["baseline"]))
            rows.append(entry)
    return rows


def fmt(value):
    return "-" if value is None else f"{value:g}"


def print_table(rows, with_baseline):
    w = max([len("operation")] + [len(r["operation"]) for r in rows])
    u = max(len(r["unit"]) for r in rows)
    head = f"{'operation':<{w}}  {'chunkfs':>{9 + u}}  {'reference':>27}  {'ratio':>6}  {'target':<11}"
    if with_baseline:
        head += f"  {'baseline':>8}  {'new/base':>8}  {'vs baseline':<11}  {'spread':>6}"
    print(head + "  load")
    for r in rows:
        ref = f"{fmt(r.get('reference_value')):>10} {r['reference'][:16]:<16}" if "reference_value" in r else ""
        ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "-"
        target = f">={r['target']:.2f} {r['verdict']}" if "target" in r else ""
        line = f"{r['operation']:<{w}}  {fmt(r['chunkfs']):>8} {r['unit']:<{u}}  {ref:>27}  {ratio:>6}  {target:<11}"
        if with_baseline:
            base_ratio = f"{r['baseline_ratio']:.3f}" if r.get("baseline_ratio") is not None else "-"
            spread_text = f"{r['spread']:.0%}" if "spread" in r else "-"
            line += f"  {fmt(r.get('baseline_value')):>8}  {base_ratio:>8}  {r.get('baseline_verdict') or '-':<11}"
            line += f"  {spread_text:>6}"
        print(f"{line}  {fmt(r['load'])}")


def read_requests(samples_dir):
    path = os.path.join(samples_dir, "requests.json")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def print_requests(measured):
    """FUSE requests per operation, one column per file system, then what they were."""
    systems = list(dict.fromkeys(m["fs"] for m in measured))
    operations = list(dict.fromkeys(m["operation"] for m in measured))
    cell = {(m["operation"], m["fs"]): m for m in measured}
    w = max(len(o) for o in operations)
    print("\nFUSE requests per operation (libfuse debug log, median of the runs; FORGET left out)")
    print(f"{'operation':<{w}}" + "".join(f"  {fs:>12}" for fs in systems))
    for operation in operations:
        counts = [cell.get((operation, fs)) for fs in systems]
        print(f"{operation:<{w}}" + "".join(f"  {fmt(round(c['per_entry'], 2)) if c else '-':>12}" for c in counts))
    print("\nthe same by opcode")
    for operation in operations:
        for fs in systems:
            c = cell.get((operation, fs))
            if c:
                by = ", ".join(f"{name} {n}" for name, n in c["by_opcode"].items())
                per = f" ({c['entries']} entries)" if c["entries"] != 1 else ""
                runs = f" [totals of the runs: {', '.join(map(str, c['totals']))}]" if len(c["totals"]) > 1 else ""
                print(f"  {operation}, {fs}{per}: {by or 'none'}{runs}")


def summary(rows):
    """Counts each chunkfs measurement once (several rows may show one against different references)."""
    verdicts = {}
    for r in rows:
        if r.get("baseline_verdict"):
            verdicts[r["key"]] = r["baseline_verdict"]
    counts = {}
    for v in verdicts.values():
        counts[v] = counts.get(v, 0) + 1
    return counts


def main(argv):
    rows_file, samples_dir, out_dir, quick, runs, jar = argv[1:7]
    baseline_jar = argv[7] if len(argv) > 7 and argv[7] else None
    baseline_rev = argv[8] if len(argv) > 8 and argv[8] else None
    rows = read_rows(rows_file, samples_dir)
    requests = read_requests(samples_dir)
    if not rows and not requests:
        print("no rows (nothing measured)")
        return
    with_baseline = baseline_jar is not None
    if rows:
        print_table(rows, with_baseline)
    if requests:
        print_requests(requests)
    result = {
        "quick": quick == "1",
        "runs": int(runs),
        "jar": {"path": jar, "sha256": sha256(jar)},
        "baseline": None,
        "rows": rows,
        "requests": requests,
    }
    if with_baseline:
        counts = summary(rows)
        result["baseline"] = {
            "path": baseline_jar,
            "rev": baseline_rev,
            "sha256": sha256(baseline_jar),
            "tolerance": TOLERANCE,
            "order": "interleaved run by run, the baseline first in every other run",
            "summary": counts,
        }
        described = ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
        print(f"\nnew vs baseline ({baseline_rev or baseline_jar}), each measurement once: {described}")
        compared = {r["key"] for r in rows if "spread" in r}
        noisy = {r["key"] for r in rows if r.get("spread", 0) > TOLERANCE}
        if noisy:
            print(f"{len(noisy)} of {len(compared)} spread over more than {TOLERANCE:.0%} from run to run: "
                  "their verdicts are noise (more --runs, a quieter machine)")
    os.makedirs(out_dir, exist_ok=True)
    name = os.path.join(out_dir, time.strftime("%Y%m%d-%H%M%S") + (".quick" if quick == "1" else "") + ".json")
    with open(name, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    print(f"\nwritten to {name}")


if __name__ == "__main__":
    main(sys.argv)
