#!/usr/bin/env bash
# Runs on the GPU machine, in one go: the Gpu-tagged tests, `seq2seq bench --json` for every configuration, and the
# PyTorch baseline; every result goes to $OUT/gpu-results.jsonl (one JSON object a line) and the logs beside it.
# Prepared with benchmarks/pack-device.sh on a machine with .NET; needs only .device/ and python3 + torch here.
#   bash benchmarks/gpu-run.sh [all|tests|bench|peer]   (parts, for when one call's time limit cannot hold them all)
# STEPS (default 10) sets the timed repetitions of every measurement.
set -uo pipefail
part=${1:-all}
want() { [[ $part == all || $part == "$1" ]]; }
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/gpu-out}
mkdir -p "$out"
results="$out/gpu-results.jsonl"
[[ $part == all ]] && : > "$results"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv,noheader | sed 's/^/# gpu: /' | tee "$out/gpu.txt"

# The optional cuBLAS path: PyTorch's pip wheels carry libcublas.so.12 (the engine also searches the usual folders).
export SEQ2SEQ_CUBLAS_PATH=${SEQ2SEQ_CUBLAS_PATH:-$(python3 -c 'import os, nvidia.cublas as m; print(os.path.join(list(m.__path__)[0], "lib", "libcublas.so.12"))' 2>/dev/null)}
echo "# cublas: ${SEQ2SEQ_CUBLAS_PATH:-not named; searched at run time}" | tee -a "$out/gpu.txt"

if want tests; then
  echo "== Gpu tests"
  bash .device/run.sh seq2seq devices
  bash .device/run.sh Seq2Seq.Gpu.Tests --filter "TestCategory=Gpu" > "$out/gpu-tests.log" 2>&1
  echo "gpu tests exit code: $?"
  tail -n 8 "$out/gpu-tests.log"
fi

if want bench; then
  echo "== seq2seq bench (before: per-operation kernels; after: fused steps, then persistent recurrences and decoder; with cuBLAS products; and BF16 decoding)"
  for kernels in per-op fused persistent; do
    bash .device/run.sh seq2seq bench --config all --device cuda --gpu-kernels $kernels --steps "${STEPS:-10}" --json 2>&1 | tee -a "$out/bench.log" | grep '^{' >> "$results"
  done
  bash .device/run.sh seq2seq bench --config all --device cuda --gemm cublas --steps "${STEPS:-10}" --json 2>&1 | tee -a "$out/bench.log" | grep '^{' >> "$results"
  # The decoder's matrices as bfloat16 copies (half the bytes a decode step streams), default kernels.
  bash .device/run.sh seq2seq bench --config all --device cuda --precision fp32,bf16 --steps "${STEPS:-10}" --json 2>&1 | tee -a "$out/bench.log" | grep '^{' >> "$results"
  grep -v '^{' "$out/bench.log" | tail -n 5

  if command -v ncu > /dev/null; then
    echo "== Nsight Compute: the fused and persistent recurrence kernels and the persistent decoder"
    timeout 120 ncu --kernel-name regex:'Kernel_(FusedForward|FusedBackward|Forward|Backward|GreedyDecode)' --launch-count 6 \
      --metrics gpu__time_duration.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed,lts__t_sectors.avg.pct_of_peak_sustained_elapsed,sm__throughput.avg.pct_of_peak_sustained_elapsed \
      bash .device/run.sh seq2seq bench --config deepbench-lstm --device cuda --steps 1 --warmup 0 > "$out/ncu.txt" 2>&1
    tail -n 40 "$out/ncu.txt"
  fi
fi

if want peer; then
  echo "== PyTorch baseline"
  python3 benchmarks/baselines/torch_seq2seq.py --config all --steps "${STEPS:-10}" --device cuda >> "$results"
  python3 benchmarks/baselines/torch_seq2seq.py --config keras-char --steps 5 --device cpu >> "$results" || true
fi
cat "$results"
