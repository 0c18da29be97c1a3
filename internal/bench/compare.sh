#!/bin/bash
# compare.sh: dlc bench against PyTorch on the seed models, one after the other, and a table of ratios.
#
#   internal/bench/compare.sh                 # from anywhere; ~5 min with RUNS=3
#   RUNS=1 SECS=0.2 REPEATS=3 internal/bench/compare.sh    # quick look
#
# Per run and model it times PyTorch with 1 thread (OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 --threads 1)
# and with 2 (OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 --threads 2, PyTorch's best 2-core setting here:
# peers/RESULTS.md), then dlc bench: TrainStep at the file's batch (MLP 32, LeNet 64, LSTM 32) and
# Forward at batch 1, and TrainStep on 2 threads. Each figure is the median over the runs of per-run medians. Outputs go to $OUT.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PEERS=${PEERS:-/work/shared/peers}
OUT=${OUT:-/tmp/dlc-compare}
RUNS=${RUNS:-3}
SECS=${SECS:-0.3}
REPEATS=${REPEATS:-5}
PY=${PY:-/usr/bin/python3}
MODELS=${MODELS:-"mlp lenet lstm"}
mkdir -p "$OUT"
if [ -z "${TABLE_ONLY:-}" ]; then # TABLE_ONLY=1: print the table of the results already in $OUT
rm -f "$OUT"/*.json "$OUT"/*.txt
(cd "$ROOT" && go build -o "$OUT/dlc" ./cmd/dlc)
{
	date -u '+date %Y-%m-%d %H:%M UTC'
	echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
		"$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -q . && echo '(working tree modified)')"
	echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/info.txt"
for i in $(seq "$RUNS"); do
	for m in $MODELS; do
		OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$PY" "$PEERS/torch_bench.py" --threads 1 --models "$m" \
			--repeats "$REPEATS" --secs "$SECS" --json "$OUT/torch_1t_${m}_$i.json" > /dev/null
		OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 "$PY" "$PEERS/torch_bench.py" --threads 2 --models "$m" \
			--repeats "$REPEATS" --secs "$SECS" --json "$OUT/torch_2t_${m}_$i.json" > /dev/null
		(cd "$ROOT" && "$OUT/dlc" bench -mode train -count "$REPEATS" -time "${SECS}s" "testdata/models/$m.dl") \
			>> "$OUT/dlc_$i.txt"
		(cd "$ROOT" && "$OUT/dlc" bench -mode train -threads 2 -count "$REPEATS" -time "${SECS}s" "testdata/models/$m.dl") \
			>> "$OUT/dlc_$i.txt"
		(cd "$ROOT" && "$OUT/dlc" bench -mode infer -batch 1 -count "$REPEATS" -time "${SECS}s" "testdata/models/$m.dl") \
			>> "$OUT/dlc_$i.txt"
		echo "run $i $m done" >&2
	done
done
echo "load $(cut -d' ' -f1-3 /proc/loadavg) (at the end)" >> "$OUT/info.txt"
fi
"$PY" - "$OUT" <<'EOF'
import glob, json, os, re, statistics, sys
out = sys.argv[1]
torch = {}  # (threads, model, kind, batch) -> [median ms per run]
for f in glob.glob(os.path.join(out, "torch_*.json")):
    for r in json.load(open(f))["results"]:
        torch.setdefault((r["threads"], r["model"], r["kind"], r["batch"]), []).append(r["median_ms"])
tmin = {}  # same key -> fastest repeat of any run
for f in glob.glob(os.path.join(out, "torch_*.json")):
    for r in json.load(open(f))["results"]:
        k = (r["threads"], r["model"], r["kind"], r["batch"])
        tmin[k] = min(tmin.get(k, 1e99), r["min_ms"])
dlc, gfl, dmin = {}, {}, {}  # (model, mode, batch) -> [ms per run], [GFLOP/s per run], fastest repeat
for f in glob.glob(os.path.join(out, "dlc_*.txt")):
    lo = None
    for line in open(f):
        if line.startswith("time/step:"):  # time/step:  MED ms median (MIN-MAX), ...
            lo = float(re.search(r"\(([0-9.]+)-", line).group(1))
        if not line.startswith("bench "):
            continue
        kv = dict(p.split("=", 1) for p in line.split()[1:])
        key = (kv["model"], kv["mode"], int(kv["batch"]), int(kv["threads"]))
        dlc.setdefault(key, []).append(float(kv["ms_per_step"]))
        gfl.setdefault(key, []).append(float(kv["gflops"]))
        dmin[key] = min(dmin.get(key, 1e99), lo)
targets = {("mlp", "train"): 50, ("lenet", "train"): 4, ("lstm", "train"): 5,
           ("mlp", "infer"): 100, ("lenet", "infer"): 10, ("lstm", "infer"): 20}
med = statistics.median
fmt = lambda ms: f"{ms * 1e3:.2f} µs" if ms < 0.01 else f"{ms * 1e3:.1f} µs" if ms < 1 else f"{ms:.2f} ms"
print(open(os.path.join(out, "info.txt")).read().strip())
print()
print("| model, step | dlc | dlc GFLOP/s | PyTorch 1T | PyTorch 2T | dlc speed-up vs 1T | vs 2T | best vs best, 1T | target vs 1T |")
print("|---|---|---|---|---|---|---|---|---|")
for (model, mode, batch, th) in sorted(dlc, key=lambda k: (k[1] != "train", ["mlp", "lenet", "lstm"].index(k[0]) if k[0] in ["mlp", "lenet", "lstm"] else 9, k[3])):
    key = (model, mode, batch, th)
    d = med(dlc[key])
    t1 = torch.get((1, model, mode, batch))
    t2 = torch.get((2, model, mode, batch))
    s1 = med(t1) / d if t1 else float("nan")
    s2 = med(t2) / d if t2 else float("nan")
    b1 = tmin.get((1, model, mode, batch), float("nan")) / dmin[key]
    if th == 1:
        tgt = targets.get((model, mode))
        goal = f"≥{tgt}×: " + ("met" if tgt and s1 >= tgt else "not met")
    else:  # issue 6: 2 threads at least 1.7x dlc on 1 thread (LeNet)
        one = dlc.get((model, mode, batch, 1))
        r = med(one) / d if one else float("nan")
        goal = f"{r:.2f}× dlc 1T" + (" (≥1.7×: " + ("met" if r >= 1.7 else "not met") + ")" if model == "lenet" else "")
    print(f"| {model} {mode} b={batch}{' 2T' if th == 2 else ''} | {fmt(d)} ({fmt(min(dlc[key]))}-{fmt(max(dlc[key]))}) "
          f"| {med(gfl[key]):.2f} | {fmt(med(t1)) if t1 else 'n/a'} | {fmt(med(t2)) if t2 else 'n/a'} "
          f"| {s1:.2f}× | {s2:.2f}× | {b1:.2f}× | {goal} |")
print()
print(f"runs: {len(glob.glob(os.path.join(out, 'dlc_*.txt')))}; times: median of the per-run medians (for dlc, min-max of the per-run medians);")
print("speed-ups: PyTorch time / dlc time (above 1: dlc is faster); best vs best: fastest repeat of either, the least disturbed by other load")
EOF
