#!/usr/bin/env bash
# The GPU check of issue 11 in one prepared run: verify on CUDA with every model, then compare against the
# live torchvision and timm that the GPU machine has. Results land in $OUT (the device tool brings them back);
# copy their numbers into benchmarks/README.md, section "GPU".
#
#   here, once per checkout:   bash benchmarks/gpu.sh --fetch-wheels
#       (pydantic and its three helpers as Python 3.12 wheels in .whl/, which .git/info/exclude then ignores;
#        the GPU machine has torch, torchvision, timm, typer, rich, networkx and pyyaml but not these)
#   on the device machine:     run(command="bash benchmarks/gpu.sh", carry=[".whl"], timeout_s=540)
#
# Budget: a lent machine has 15 minutes of device time in all, its start included; verify took 58-67 s on an
# H200 before issue 11 and compare about a minute, so one run fits with room for a second.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--fetch-wheels" ]; then
    grep -qxF '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >>.git/info/exclude
    rm -rf .whl && mkdir -p .whl
    for wheel in pydantic==2.13.4 pydantic-core==2.46.4 annotated-types==0.7.0 typing-inspection==0.4.2; do
        python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
            --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
            -d .whl "$wheel" || exit 1
    done
    ls -l .whl
    exit 0
fi

OUT="${OUT:-build/gpu}"
mkdir -p "$OUT"
[ -d .whl ] || { echo "no .whl/ here: run 'bash benchmarks/gpu.sh --fetch-wheels' first and carry .whl" >&2; exit 2; }
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1 ALPHATREE_CACHE=/tmp/alphatree-cache
alphatree() { python3 -m alphatree "$@"; }

{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
    python3 -c 'import torch, torchvision, timm; print("torch", torch.__version__, "cuda", torch.version.cuda, "torchvision", torchvision.__version__, "timm", timm.__version__)'
    nproc
} >"$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"

start=$(date +%s.%N)
alphatree verify --device cuda --jobs 8 --no-cache --report "$OUT/verify-cuda.json" 2>&1 | tee "$OUT/verify-cuda.log"
verify_rc=${PIPESTATUS[0]}
echo "verify --device cuda: exit $verify_rc, $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s wall" | tee -a "$OUT/verify-cuda.log"

start=$(date +%s.%N)
alphatree compare --report "$OUT/compare.json" 2>&1 | tee "$OUT/compare.log"
compare_rc=${PIPESTATUS[0]}
echo "compare (live): exit $compare_rc, $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s wall" | tee -a "$OUT/compare.log"

exit $((verify_rc || compare_rc))
