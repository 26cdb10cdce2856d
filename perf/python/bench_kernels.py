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

NumPy and the extension come from one command at the repository root:
    cargo run --release -- setup python

Without them, `--serve` still works on any Python 3: the pure-Python loop
alone, one timed call per request, so that the demo can take turns with its
own Rust kernels on the same values (see `serve`).
"""

import argparse
import json
import math
import platform
import statistics
import sys
import time

SETUP = "run `cargo run --release -- setup python` at the repository root"

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


def sample_data(n, seed):
    """The demo's data (machine.rs `sample_data`): xorshift32 from `seed`,
    24 random bits scaled to [-1, 1), every value exact in float32 and in
    a Python float, so both sides add the very same numbers."""
    state = (seed | 1) & 0xFFFFFFFF
    out = []
    for _ in range(n):
        state ^= (state << 13) & 0xFFFFFFFF
        state ^= state >> 17
        state ^= (state << 5) & 0xFFFFFFFF
        out.append((state >> 8) * (2.0 / (1 << 24)) - 1.0)
    return out


def serve(n, seed):
    """The pure-Python loop on request, for a Python without NumPy.

    Prints one JSON line when ready, then answers each line on stdin
    (`sum` or `dot`) with one timed call, checked against math.fsum, as a
    JSON line; stops at end of input. The caller times its own kernels
    between requests, so a round of the two sides runs back to back and
    the pair shares whatever the machine was doing."""
    xs = sample_data(n, seed)
    ys = sample_data(n, seed + 1)
    checks = {
        "sum": (lambda: python_sum(xs), math.fsum(xs), gamma(n - 1) * math.fsum(map(abs, xs))),
        "dot": (
            lambda: python_dot(xs, ys),
            math.fsum(x * y for x, y in zip(xs, ys)),
            gamma(n) * math.fsum(abs(x * y) for x, y in zip(xs, ys)),
        ),
    }
    print(json.dumps({"n": n, "python_version": platform.python_version()}), flush=True)
    for line in sys.stdin:
        op = line.strip()
        if op not in checks:
            sys.exit(f"unknown request {op!r}: expected sum or dot")
        run, exact, bound = checks[op]
        start = time.perf_counter_ns()
        value = run()
        ns = (time.perf_counter_ns() - start) / n
        if not abs(value - exact) <= bound:
            sys.exit(f"{op} gave {value}, exact is {exact}: off by more than {bound}")
        print(json.dumps({"ns_per_element": ns, "value": value}), flush=True)


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
    parser.add_argument(
        "--serve", action="store_true", help="time the pure-Python loop on request (no NumPy)"
    )
    args = parser.parse_args()
    if args.n < 1 or args.repeats < 1:
        parser.error("--n and --repeats must be at least 1")
    if args.serve:
        serve(args.n, args.seed)
        return
    try:
        import numpy as np
    except ImportError:
        sys.exit(f"bench_kernels.py needs numpy: {SETUP}")
    try:
        import mastery_kernels as mk
    except ImportError:
        sys.exit(f"bench_kernels.py needs the mastery_kernels extension: {SETUP}")

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
