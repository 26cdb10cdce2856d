#!/usr/bin/env python3
"""Executes one notebook on the Rust kernel and writes the executed copy.

    python execute.py NOTEBOOK.ipynb OUT.ipynb

Needs nbclient (run.sh finds or makes the venv). The committed notebook is
only read; the kernel starts in its folder, so `:dep … path = "../../…"`
resolves as in Jupyter. Every cell's text output is echoed, so a CI log shows
the figures. Exit status 1 when a cell fails (the executed copy still shows
where), 0 otherwise.
"""
import pathlib
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def echo(nb) -> None:
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                sys.stdout.write(out.get("text", ""))
            elif "data" in out and "text/plain" in out["data"]:
                sys.stdout.write(out["data"]["text/plain"].rstrip("\n") + "\n")
            elif out.get("output_type") == "error":
                sys.stdout.write("\n".join(out.get("traceback", [])) + "\n")


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
        client.execute()
    except CellExecutionError as e:
        print(f"a cell failed:\n{e}", file=sys.stderr)
        status = 1
    except Exception as e:  # kernel died, timeout, no kernel
        print(f"execution failed: {type(e).__name__}: {e}", file=sys.stderr)
        status = 1
    finally:
        echo(nb)
        dst.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, dst)
    return status


if __name__ == "__main__":
    sys.exit(main())
