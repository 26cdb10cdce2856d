#!/usr/bin/env python3
"""Executes one notebook on the Rust kernel and writes the executed copy.

    python execute.py NOTEBOOK.ipynb OUT.ipynb [CELL_TIMEOUT_SECONDS]

Needs nbclient (run.sh finds the venv). The committed notebook is only read;
the kernel starts in its folder, so `:dep … path = "../../…"` resolves as in
Jupyter. Cells run one by one and every cell's text output is echoed, so a CI
log shows the figures. A cell fails on a kernel error (a compile error) and
also on a panic: evcxr_jupyter 0.22 reports a panicking cell as a success and
prints the panic on stderr, so a stderr line with "panicked at" counts as a
failure here. The first failing cell stops the run: exit status 1.
"""
import pathlib
import re
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

PANIC = re.compile(r"^thread '.*' (\(\d+\) )?panicked at", re.MULTILINE)


def text_of(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif "data" in out and "text/plain" in out["data"]:
            parts.append(out["data"]["text/plain"].rstrip("\n") + "\n")
        elif out.get("output_type") == "error":
            parts.append("\n".join(out.get("traceback", [])) + "\n")
    return "".join(parts)


def panicked(cell) -> bool:
    stderr = "".join(
        o.get("text", "")
        for o in cell.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    )
    return bool(PANIC.search(stderr))


def main() -> int:
    src, dst = pathlib.Path(sys.argv[1]).resolve(), pathlib.Path(sys.argv[2])
    nb = nbformat.read(src, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="rust",
        timeout=int(sys.argv[3]) if len(sys.argv) > 3 else 1800,
        startup_timeout=120,
        resources={"metadata": {"path": str(src.parent)}},
    )
    status = 0
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                try:
                    client.execute_cell(cell, index)
                finally:
                    sys.stdout.write(text_of(cell))
                    sys.stdout.flush()
                if panicked(cell):
                    print(f"cell {index} panicked", file=sys.stderr)
                    status = 1
                    break
    except CellExecutionError as e:
        print(f"a cell failed:\n{e}", file=sys.stderr)
        status = 1
    except Exception as e:  # the kernel died or is missing, a timeout
        print(f"execution failed: {type(e).__name__}: {e}", file=sys.stderr)
        status = 1
    finally:
        dst.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, dst)
    return status


if __name__ == "__main__":
    sys.exit(main())
