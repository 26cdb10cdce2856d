"""Rung zero of the interview ladders: the Python idiom, timed in CPython on
the same workload as the Rust rungs (see mastery_kit::python for the
protocol). Standard library only; run with `python3 -S -c`.

Requests, one JSON object per line. The LRU ops:
  {"op": "lru_ordereddict" | "lru_functools", "capacity": C,
   "keys": PATH, "replay_from": R, "start": I, "stop": J, "fresh": BOOL}
PATH holds the demo's Zipf keys as little-endian u64 (read once per path).
"fresh" starts a new cache of capacity C for that op; otherwise the call
goes on with the cache the previous call for (op, C) left. The call runs
keys[R:I] through the cache untimed (bringing it back into the CPU caches
after the other rungs ran), then keys[I:J] -- get, and put on a miss --
timing only that loop with perf_counter_ns, and answers
{"ns_per_op": ..., "check": hits of the timed part}.

The parser ops: {"op": "csv_reader" | "json_loads" | "xml_iterparse", "input": PATH,
"count": BOOL} parse the whole file (read once per path), timed from the
bytes to the last record or the whole object tree, and answer ns per input
byte with the records, the events a push parser would report for the
JSON tree (0 with "count": false), or the XML elements started, as check.

The batcher op: {"op": "asyncio_batcher", "clients": N, "per_client": R,
"max_batch": B, "max_wait_ms": W} runs N clients that each await R answers
one after another through the asyncio batcher below, and answers ns per
request with the number of right answers as check.

The counters' op: {"op": "lock_counter", "threads": T, "adds": A} starts T
threads that each add 1, A times, under a threading.Lock; the timing runs
from releasing them together to the last join. check = the final count.
"""

import asyncio
import csv
import functools
import io
import json
import sys
import threading
import time
import xml.etree.ElementTree as ElementTree
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


def lock_counter_call(request):
    return lock_counter(request["threads"], request["adds"])


def lru_call(request):
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


_inputs = {}


def load_input(path):
    if path not in _inputs:
        with open(path, "rb") as f:
            _inputs[path] = f.read()
    return _inputs[path]


def csv_records(data):
    # A Python program reads text: decoding is part of the job, as checking
    # UTF-8 is part of the Rust parsers'. newline="" keeps line breaks
    # inside quoted fields, as the csv docs ask.
    return sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def json_events(value):
    """The events a push parser reports for a parsed tree (counted after
    the timing): start and end of each container, each key, each scalar."""
    if isinstance(value, dict):
        return 2 + sum(1 + json_events(v) for v in value.values())
    if isinstance(value, list):
        return 2 + sum(json_events(v) for v in value)
    return 1


def xml_elements(data):
    # The streaming idiom: iterparse's start and end events, each element
    # cleared once ended so memory stays flat; counts the elements started.
    started = 0
    for event, elem in ElementTree.iterparse(io.BytesIO(data), events=("start", "end")):
        if event == "start":
            started += 1
        else:
            elem.clear()
    return started


def parse_call(request):
    data = load_input(request["input"])
    start = time.perf_counter_ns()
    if request["op"] == "csv_reader":
        result = csv_records(data)
    elif request["op"] == "xml_iterparse":
        result = xml_elements(data)
    else:
        result = json.loads(data)
    elapsed = time.perf_counter_ns() - start
    # Walking the tree costs about as much as parsing it: only the first
    # call of a ladder, whose count is checked, asks for it.
    if request["op"] == "json_loads":
        result = json_events(result) if request.get("count", True) else 0
    return {"ns_per_op": elapsed / max(len(data), 1), "check": result}


async def serve_batches(queue, max_batch, max_wait):
    """The batching lesson's Python idiom: take the first request, keep
    taking with wait_for until the batch is full or the first has waited
    max_wait, answer the whole batch at once (a free handler), and set each
    caller's future."""
    loop = asyncio.get_running_loop()
    while True:
        batch = [await queue.get()]
        deadline = loop.time() + max_wait
        while len(batch) < max_batch:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(queue.get(), remaining))
            except asyncio.TimeoutError:
                break
        for x, future in batch:
            if not future.done():
                future.set_result(x * 2 + 1)


async def batched_clients(clients, per_client, max_batch, max_wait):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()
    worker = asyncio.create_task(serve_batches(queue, max_batch, max_wait))

    async def client(c):
        right = 0
        for i in range(per_client):
            x = c * per_client + i
            future = loop.create_future()
            await queue.put((x, future))
            right += await future == x * 2 + 1
        return right

    start = time.perf_counter_ns()
    answered = await asyncio.gather(*(client(c) for c in range(clients)))
    elapsed = time.perf_counter_ns() - start
    worker.cancel()
    return elapsed, sum(answered)


def batcher_call(request):
    clients, per_client = request["clients"], request["per_client"]
    elapsed, right = asyncio.run(
        batched_clients(
            clients, per_client, request["max_batch"], request["max_wait_ms"] / 1000
        )
    )
    return {"ns_per_op": elapsed / max(clients * per_client, 1), "check": right}


CALLS = {
    "lock_counter": lock_counter_call,
    "lru_ordereddict": lru_call,
    "lru_functools": lru_call,
    "csv_reader": parse_call,
    "json_loads": parse_call,
    "xml_iterparse": parse_call,
    "asyncio_batcher": batcher_call,
}


def call(request):
    return CALLS[request["op"]](request)


def main():
    print(json.dumps({"ready": sys.version.split()[0]}), flush=True)
    for line in sys.stdin:
        try:
            reply = call(json.loads(line))
        except Exception as e:  # the demo prints it; the loop keeps serving
            reply = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(reply), flush=True)


main()
