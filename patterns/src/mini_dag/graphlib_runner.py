"""The peer of `patterns/mini-dag`'s scheduling timings: Python's standard
graphlib.TopologicalSorter driving a ThreadPoolExecutor, on the same four
shapes of no-op tasks as the Rust demo (see shapes.rs).

Protocol, one line each way: the demo writes `SHAPE N WORKERS`; the runner
builds the graph, then times sorting and running it (the sorter's prepare()
checks for cycles, as the Rust side's Dag::new does; the pool starts its
threads inside the timing, as the Rust side does) and answers with the
nanoseconds per task. `ready` is printed once at start-up.
"""

import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from graphlib import TopologicalSorter


def graph(shape, n):
    n = max(n, 3)
    if shape == "chain":
        return {i: ({i - 1} if i else set()) for i in range(n)}
    if shape == "diamond":
        g = {0: set(), n - 1: set(range(1, n - 1))}
        g.update({i: {0} for i in range(1, n - 1)})
        return g
    if shape == "fanout":
        g = {0: set()}
        g.update({i: {0} for i in range(1, n)})
        return g
    if shape == "independent":
        return {i: set() for i in range(n)}
    raise ValueError(f"unknown shape {shape!r}")


def noop():
    return None


def run(g, workers):
    sorter = TopologicalSorter(g)
    sorter.prepare()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        running = {}
        while sorter.is_active():
            for node in sorter.get_ready():
                running[pool.submit(noop)] = node
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                future.result()
                sorter.done(running.pop(future))


def main():
    print("ready", flush=True)
    for line in sys.stdin:
        shape, n, workers = line.split()
        g = graph(shape, int(n))
        start = time.perf_counter_ns()
        run(g, int(workers))
        elapsed = time.perf_counter_ns() - start
        print(elapsed / len(g), flush=True)


if __name__ == "__main__":
    main()
