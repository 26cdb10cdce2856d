#!/usr/bin/env bash
# Executes every notebook in this folder headlessly on the Rust kernel
# (evcxr_jupyter, kernelspec `rust`) and fails if a cell fails.
#
#   showcase/notebooks/run.sh [NOTEBOOK.ipynb ...]
#
# Needs: evcxr_jupyter with its kernel registered (`evcxr_jupyter --install`)
# and a Python venv with nbclient: $NB_VENV, default target/nbvenv (see
# README.md). The committed notebooks are only read; executed copies go to
# target/notebooks/. All notebooks share one evcxr crate directory,
# target/evcxr, so the kit's crates compile once and later runs reuse them;
# its Cargo.lock is seeded from the workspace's, so the kernel builds the
# versions the workspace tests. Prints each notebook's time and closes with
# `notebooks: N passed, M failed`; exit status 1 if any failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${NB_VENV:-$root/target/nbvenv}
python=$venv/bin/python
out=$root/target/notebooks
export EVCXR_TMPDIR=$root/target/evcxr
timeout=${NB_CELL_TIMEOUT:-1800}

if [ ! -x "$python" ] || ! "$python" -c 'import nbclient' 2>/dev/null; then
    echo "run.sh: no nbclient in $venv; make it with:" >&2
    echo "  python3 -m venv $venv && $venv/bin/pip install nbclient==0.11.0" >&2
    exit 2
fi
if ! "$venv/bin/jupyter" kernelspec list 2>/dev/null | grep -qw rust; then
    echo "run.sh: no 'rust' kernel; install it with: cargo install --locked evcxr_jupyter@0.22.0 && evcxr_jupyter --install" >&2
    exit 2
fi
mkdir -p "$EVCXR_TMPDIR" "$out"

if [ $# -gt 0 ]; then notebooks=("$@"); else notebooks=("$here"/*.ipynb); fi
passed=0
failed=0
failures=()
for nb in "${notebooks[@]}"; do
    name=$(basename "$nb" .ipynb)
    # Each run resolves against the workspace's lock (cargo prunes what a
    # notebook does not use, so seed it again for the next one).
    cp "$root/Cargo.lock" "$EVCXR_TMPDIR/Cargo.lock"
    echo "== $name"
    start=$(date +%s)
    if "$python" "$here/execute.py" "$nb" "$out/$name.ipynb" "$timeout"; then
        status=passed
        passed=$((passed + 1))
    else
        status=FAILED
        failed=$((failed + 1))
        failures+=("$name")
    fi
    echo "== $name: $status in $(( $(date +%s) - start )) s (executed copy: target/notebooks/$name.ipynb)"
done
[ $failed -eq 0 ] || echo "failed: ${failures[*]}"
echo "notebooks: $passed passed, $failed failed"
[ $failed -eq 0 ]
