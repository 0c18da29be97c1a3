#!/usr/bin/env python3
"""gemmcmp.py: dlc's generated GEMM kernels against OpenBLAS on the example models' layer shapes.

    internal/bench/gemmcmp/gemmcmp.py [ROUNDS] [TAG_REGEX]     # ~10 s a round for all shapes

Builds codegen/asm/internal/gemmbench's test binary and sgemm_calls.c (needs gcc and libopenblas-dev),
then alternates, round by round, one pass of the AVX-512 kernels (go test -bench, 0.1 s each) and one
pass of OpenBLAS (SkylakeX kernel, 1 thread, 0.1 s each) on the same calls. It prints the median
GFLOP/s of each and the median of the per-round ratios dlc/OpenBLAS, with how many rounds dlc led:
pairing rounds cancels most of this host's drift, which moves single figures by 10-20%.

Calls: the forward X·Wᵀ against OpenBLAS NT (PyTorch's weight layout; dlc packs Wᵀ once per update)
and NN; dX = dY·W against NN; dW = dYᵀ·X against TN, with beta = 1 where dlc's kernel accumulates.
"""
import collections, os, re, statistics, subprocess, sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
OUT = os.environ.get('OUT', '/tmp/dlc-gemmcmp')
rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
only = sys.argv[2] if len(sys.argv) > 2 else ''

# The layers of asmtest.ModelCases (codegen/asm/internal/asmtest/cases.go; edit the two together):
# tag -> (batch, out, in, forward accumulates, dW accumulates).
LAYERS = {
    'Mlp10x10': (32, 10, 10, 0, 0), 'Mlp10x1': (32, 1, 10, 0, 0),
    'Fc1B64': (64, 120, 400, 0, 0), 'Fc1B32': (32, 120, 400, 0, 0), 'Fc2B32': (32, 84, 120, 0, 0),
    'Fc3B32': (32, 10, 84, 0, 0), 'Conv1Img': (784, 6, 25, 0, 0), 'Conv2Img': (100, 16, 150, 0, 0),
    'Conv1B32': (25088, 6, 25, 0, 0), 'Conv2B32': (3200, 16, 150, 0, 0),
    'LstmHh': (32, 200, 50, 1, 1), 'LstmIh1': (32, 200, 8, 0, 1),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    gb = os.path.join(OUT, 'gemmbench.test')
    ob = os.path.join(OUT, 'sgemm_calls')
    subprocess.run(['go', 'test', '-c', '-o', gb, './codegen/asm/internal/gemmbench'], cwd=ROOT, check=True)
    subprocess.run(['gcc', '-O2', os.path.join(ROOT, 'internal/bench/gemmcmp/sgemm_calls.c'), '-o', ob,
                    '-lopenblas'], check=True)
    calls = {}  # dlc kernel -> [(OpenBLAS layout, sgemm_calls arguments)]
    for tag, (b, o, i, fa, wa) in LAYERS.items():
        if only and not re.search(only, tag):
            continue
        calls['Fwd' + tag] = [('NT', ['N', 'T', b, o, i, fa]), ('NN', ['N', 'N', b, o, i, fa])]
        calls['DX' + tag] = [('NN', ['N', 'N', b, i, o, 0])]
        calls['DW' + tag] = [('TN', ['T', 'N', o, i, b, wa])]
    order = [(k, lab) for k, cs in calls.items() for lab, _ in cs]
    args = [str(x) for cs in calls.values() for _, a in cs for x in a]
    env = dict(os.environ, OPENBLAS_CORETYPE='SkylakeX', OPENBLAS_NUM_THREADS='1')
    rx = 'GEMM32/(' + '|'.join(calls) + ')/AVX512$'
    dlc, blas = collections.defaultdict(list), collections.defaultdict(list)

    def run_dlc():
        out = subprocess.run([gb, '-test.run', 'NONE', '-test.bench', rx, '-test.benchtime', '0.1s'],
                             capture_output=True, text=True, cwd=OUT, check=True).stdout
        for m in re.finditer(r'^BenchmarkGEMM32/(\w+)/AVX512\S*\s.*?([0-9.]+) GFLOP/s', out, re.M):
            dlc[m.group(1)].append(float(m.group(2)))

    def run_blas():
        out = subprocess.run([ob] + args + ['1', '0.1'], capture_output=True, text=True, env=env, check=True).stdout
        for key, v in zip(order, re.findall(r'GFLOP/s ([0-9.]+)', out)):
            blas[key].append(float(v))

    with open(os.path.join(OUT, 'info.txt'), 'w') as f:
        git = lambda *a: subprocess.run(['git', '-C', ROOT] + list(a), capture_output=True, text=True).stdout.strip()
        f.write(f"commit {git('rev-parse', '--short', 'HEAD')}{' (modified)' if git('status', '--porcelain') else ''}\n")
    for r in range(rounds):
        for f in (run_dlc, run_blas) if r % 2 == 0 else (run_blas, run_dlc):
            f()
    med = statistics.median
    print(f"{'kernel':16s} {'dlc':>6s}   OpenBLAS GFLOP/s, dlc ÷ OpenBLAS (rounds dlc led)")
    for k, cs in calls.items():
        cols = []
        for lab, _ in cs:
            ratios = [x / y for x, y in zip(dlc[k], blas[(k, lab)])]
            cols.append(f"{lab} {med(blas[(k, lab)]):6.1f} {med(ratios):5.2f}× ({sum(q > 1 for q in ratios)}/{len(ratios)})")
        print(f"{k:16s} {med(dlc[k]):6.1f}   " + "   ".join(cols))


if __name__ == '__main__':
    main()
