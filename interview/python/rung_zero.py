"""Rung zero of the interview ladders: the Python idiom, timed in CPython on
the same workload as the Rust rungs (see mastery_kit::python for the
protocol). Standard library only; run with `python3 -S -c`.

The counters' ladder: {"op": "lock_counter", "threads": T, "adds": A} starts
T threads that each add 1, A times, under a threading.Lock; the timing runs
from releasing them together to the last join. check = the final count.

The LRU ladder's requests, one JSON object per line:
  {"op": "lru_ordereddict" | "lru_functools", "capacity": C,
   "keys": PATH, "replay_from": R, "start": I, "stop": J, "fresh": BOOL}
PATH holds the demo's Zipf keys as little-endian u64 (read once per path).
"fresh" starts a new cache of capacity C for that op; otherwise the call
goes on with the cache the previous call for (op, C) left. The call runs
keys[R:I] through the cache untimed (bringing it back into the CPU caches
after the other rungs ran), then keys[I:J] -- get, and put on a miss --
timing only that loop with perf_counter_ns, and answers
{"ns_per_op": ..., "check": hits of the timed part}.
"""

import functools
import json
import sys
import threading
import time
from array import array
from collections import OrderedDict

_MISSING = object()


class OrderedDictLru:
    """The interview answer in Python: an OrderedDict kept in recency order,
    most recent last; get moves a key to the end, put evicts the first."""

    def __init__(self, capacity):
        self.capacity = capacity
        self.entries = OrderedDict()

    def get(self, key):
        if key not in self.entries:
            return _MISSING
        self.entries.move_to_end(key)
        return self.entries[key]

    def put(self, key, value):
        if key in self.entries:
            self.entries.move_to_end(key)
        self.entries[key] = value
        if len(self.entries) > self.capacity:
            self.entries.popitem(last=False)


def new_ordereddict(capacity):
    return OrderedDictLru(capacity)


def run_ordereddict(cache, keys):
    hits = 0
    for key in keys:
        if cache.get(key) is _MISSING:
            cache.put(key, key)
        else:
            hits += 1
    return hits


def new_functools(capacity):
    # The decorator's cache is the LRU; the function is the identity, so a
    # miss costs what a put costs in the other rungs.
    @functools.lru_cache(maxsize=capacity)
    def value(key):
        return key

    return value


def run_functools(cached, keys):
    before = cached.cache_info().hits
    for key in keys:
        cached(key)
    return cached.cache_info().hits - before


OPS = {
    "lru_ordereddict": (new_ordereddict, run_ordereddict),
    "lru_functools": (new_functools, run_functools),
}

_keys = {}
_caches = {}


def load_keys(path):
    if path not in _keys:
        keys = array("Q")
        with open(path, "rb") as f:
            keys.frombytes(f.read())
        if sys.byteorder == "big":
            keys.byteswap()
        # A list of ints, as a Python program would hold its keys: the timed
        # loop then does not box each key as it reads it.
        _keys[path] = keys.tolist()
    return _keys[path]


def lock_counter(threads, adds):
    lock = threading.Lock()
    count = 0
    go = threading.Barrier(threads + 1)

    def work():
        nonlocal count
        go.wait()
        for _ in range(adds):
            with lock:
                count += 1

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    go.wait()  # every thread started, as the Rust harness does
    start = time.perf_counter_ns()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter_ns() - start
    return {"ns_per_op": elapsed / max(threads * adds, 1), "check": count}


def call(request):
    if request["op"] == "lock_counter":
        return lock_counter(request["threads"], request["adds"])
    new, run = OPS[request["op"]]
    slot = (request["op"], request["capacity"])
    if request.get("fresh") or slot not in _caches:
        _caches[slot] = new(request["capacity"])
    all_keys = load_keys(request["keys"])
    replay = all_keys[request.get("replay_from", request["start"]) : request["start"]]
    keys = all_keys[request["start"] : request["stop"]]
    cache = _caches[slot]
    run(cache, replay)
    start = time.perf_counter_ns()
    hits = run(cache, keys)
    elapsed = time.perf_counter_ns() - start
    return {"ns_per_op": elapsed / max(len(keys), 1), "check": hits}


def main():
    print(json.dumps({"ready": sys.version.split()[0]}), flush=True)
    for line in sys.stdin:
        try:
            reply = call(json.loads(line))
        except Exception as e:  # the demo prints it; the loop keeps serving
            reply = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(reply), flush=True)


main()
