#!/usr/bin/env python3
"""Times one kernel three ways: a pure-Python loop, NumPy, and the Rust extension.

The same float32 data goes to every method: a sum and a dot product. Each
result is checked against math.fsum (exactly rounded) within the error bound
that holds for any order of the additions, gamma(k) * sum(|x|) with
gamma(k) = k*u / (1 - k*u) and u = 2**-24, the bound the Rust tests use. The
report is one JSON document on stdout, which `mastery run perf/vectorization`
reads: per method, the median and every round's time (the methods take turns,
so a round's times pair up), in nanoseconds per element, calls from Python
included.

Build the extension first (from perf/python):
    python3 -m venv .venv && .venv/bin/pip install maturin numpy
    VIRTUAL_ENV="$PWD/.venv" .venv/bin/maturin develop --release
"""

import argparse
import json
import math
import platform
import statistics
import sys
import time

try:
    import numpy as np
except ImportError:
    sys.exit("bench_kernels.py needs numpy: pip install numpy")
try:
    import mastery_kernels as mk
except ImportError:
    sys.exit(
        "bench_kernels.py needs the extension: in perf/python run "
        '`VIRTUAL_ENV="$PWD/.venv" .venv/bin/maturin develop --release`'
    )

UNIT_ROUNDOFF = 2.0**-24  # float32


def gamma(k):
    ku = k * UNIT_ROUNDOFF
    return math.inf if ku >= 1 else ku / (1 - ku)


def python_sum(values):
    total = 0.0
    for v in values:
        total += v
    return total


def python_dot(xs, ys):
    total = 0.0
    for x, y in zip(xs, ys):
        total += x * y
    return total


def measure(methods, n, repeats, exact, bound):
    """Times every method once per round for `repeats` rounds, after one
    warm-up call each. The methods take turns, forward in even rounds and
    backward in odd ones, so `samples[r]` of any two methods come from the
    same round and pair up; each method's result is checked against the
    exact value."""
    names = list(methods)
    values = {name: float(methods[name]()) for name in names}
    samples = {name: [] for name in names}
    for r in range(repeats):
        for name in names if r % 2 == 0 else reversed(names):
            start = time.perf_counter_ns()
            methods[name]()
            samples[name].append((time.perf_counter_ns() - start) / max(n, 1))
    out = {}
    for name in names:
        value = values[name]
        if not abs(value - exact) <= bound:
            sys.exit(f"{name} gave {value}, exact is {exact}: off by more than {bound}")
        out[name] = {
            "ns_per_element": statistics.median(samples[name]),
            "value": value,
            "samples": samples[name],
        }
    out["exact"] = exact
    out["bound"] = bound
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="elements (default 1e6)")
    parser.add_argument("--repeats", type=int, default=9, help="rounds: timed calls per method")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.n < 1 or args.repeats < 1:
        parser.error("--n and --repeats must be at least 1")

    rng = np.random.default_rng(args.seed)
    a = rng.uniform(-1.0, 1.0, args.n).astype(np.float32)
    b = rng.uniform(-1.0, 1.0, args.n).astype(np.float32)
    # What a pure-Python program holds: lists of Python floats (exact copies
    # of the float32 values, added in float64 by the interpreter).
    la, lb = a.tolist(), b.tolist()

    exact_sum = math.fsum(la)
    sum_bound = gamma(args.n - 1) * math.fsum(abs(x) for x in la)
    exact_dot = math.fsum(x * y for x, y in zip(la, lb))  # x*y exact in float64
    dot_bound = gamma(args.n) * math.fsum(abs(x * y) for x, y in zip(la, lb))

    n, r = args.n, args.repeats
    report = {
        "n": n,
        "repeats": r,
        "python_version": platform.python_version(),
        "numpy_version": np.__version__,
        "simd": mk.simd_level(),
        "sum": measure(
            {
                "python_loop": lambda: python_sum(la),
                "numpy": lambda: a.sum(),
                "rust_loop": lambda: mk.sum_f32_loop(a),
                "rust_simd": lambda: mk.sum_f32(a),
            },
            n,
            r,
            exact_sum,
            sum_bound,
        ),
        "dot": measure(
            {
                "python_loop": lambda: python_dot(la, lb),
                "numpy": lambda: a @ b,
                "rust_loop": lambda: mk.dot_f32_loop(a, b),
                "rust_simd": lambda: mk.dot_f32(a, b),
            },
            n,
            r,
            exact_dot,
            dot_bound,
        ),
    }
    try:
        mk.dot_f32(a, b[:-1])
    except ValueError:
        pass
    else:
        sys.exit("dot_f32 accepted arrays of different lengths")
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
