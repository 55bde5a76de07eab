#!/bin/bash
# Encode BRIGHT with one model on a Slurm array, then gather and score in one job:
#   bash examples/slurm-array.sh          (run it on the login node: it submits both jobs and prints their ids)
#
# 1. The encode array: task i of SHARDS runs `reasonir encode --shard i/SHARDS`, which caches slice i of every
#    corpus (whole 2048-row chunks) in REASONIR_CACHE and exits 0, whatever the other tasks have done. A requeued or
#    preempted task resumes from its last finished chunk; resubmitting one index (`--array=3`) is safe because the
#    shard count is the constant SHARDS, never SLURM_ARRAY_TASK_COUNT.
# 2. The gather job starts once every array task has succeeded (--dependency=afterok): `reasonir eval` uses every
#    cached slice, encodes whatever is missing itself, scores, and writes ONE results folder, OUT. Rerunning it (or
#    any shard) after an interruption converges to the same files.
# If an array task can fail for good (a node dies, a time limit), chain with DEPENDENCY=afterany instead: the
# gather job then still runs and encodes the failed slices itself (on its one GPU, so slower) - check the encode
# logs afterwards, or resubmit just the failed index with `sbatch --array=<i> ...` before the gather runs.
#
# Needs REASONIR_CACHE and HF_HOME on a filesystem every node sees, the exported model (tools/export-onnx.py), and
# reasonir on PATH, installed with ONNXRUNTIME_NODE_INSTALL=cuda12 (CUDA 12 + cuDNN 9 on the nodes).
# Every setting below can be overridden from the environment (the CI test runs this script on a CPU-only cluster).
set -euo pipefail

SHARDS=${SHARDS:-16}
TASKS=${TASKS:-all}
MODEL=${MODEL:-/shared/models/reasonir-onnx}
QUERIES=${QUERIES:-gpt4}
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-/shared/results/reasonir-${QUERIES}}
LOGS=${LOGS:-logs}
GPUS=${GPUS-gpu:1}                # empty: no --gres (CPU nodes)
CPUS=${CPUS:-8}
TIME=${TIME:-12:00:00}
DEPENDENCY=${DEPENDENCY:-afterok}
DATA_DIR=${DATA_DIR:-}            # a local BRIGHT mirror instead of the Hub (optional)
CHUNK_ROWS=${CHUNK_ROWS:-}        # rows per cache chunk, the unit of a shard (default 2048)
export REASONIR_CACHE=${REASONIR_CACHE:-/shared/cache/reasonir}   # embeddings on shared storage
export HF_HOME=${HF_HOME:-/shared/cache/huggingface}              # BRIGHT parquet files, fetched once

mkdir -p "$LOGS"   # Slurm opens --output before the job starts; a missing folder fails every task
data="${DATA_DIR:+--data-dir $(printf %q "$DATA_DIR")} ${CHUNK_ROWS:+--chunk-rows $CHUNK_ROWS}"
gres=${GPUS:+--gres=$GPUS}
common="--task $TASKS --retriever dense --model $(printf %q "$MODEL") --device $DEVICE $data"

array=$(sbatch --parsable --job-name=reasonir-encode --array="0-$((SHARDS - 1))" --requeue $gres \
  --cpus-per-task="$CPUS" --time="$TIME" --open-mode=append --output="$LOGS/reasonir-encode-%A_%a.out" \
  --wrap "reasonir encode $common --shard \${SLURM_ARRAY_TASK_ID}/$SHARDS")
array=${array%%;*}

gather=$(sbatch --parsable --job-name=reasonir-gather --dependency="$DEPENDENCY:$array" --requeue $gres \
  --cpus-per-task="$CPUS" --time="$TIME" --open-mode=append --output="$LOGS/reasonir-gather-%j.out" \
  --wrap "reasonir eval $common --queries $QUERIES --out $(printf %q "$OUT")")
gather=${gather%%;*}

echo "encode array: $array (${SHARDS} shards); gather: $gather -> $OUT"
