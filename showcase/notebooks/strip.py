#!/usr/bin/env python3
"""Strips outputs and execution counts from notebooks, in place (stdlib only).

    python3 showcase/notebooks/strip.py [NOTEBOOK.ipynb ...]

With no argument, strips every notebook next to this script. The same as
`jupyter nbconvert --clear-output --inplace`, without needing nbconvert;
`cargo test --test notebooks` fails on a notebook that was not stripped.
"""
import json
import pathlib
import sys


def strip(path: pathlib.Path) -> bool:
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    nb.get("metadata", {}).pop("widgets", None)
    new = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


def main() -> None:
    here = pathlib.Path(__file__).resolve().parent
    paths = [pathlib.Path(p) for p in sys.argv[1:]] or sorted(here.glob("*.ipynb"))
    for path in paths:
        print(f"{'stripped' if strip(path) else 'clean   '} {path}")


if __name__ == "__main__":
    main()
