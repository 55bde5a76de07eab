#!/bin/bash
# Encode BRIGHT with ReasonIR-8B on a Slurm array: task i of N encodes `--shard i/N` of every corpus into the
# shared embedding cache. The array task that completes the last slice of a corpus assembles it and scores;
# rerun without --shard afterwards to print all results from the cache (a cache hit: seconds).
#   sbatch examples/slurm-array.sh
# Needs: the exported model (tools/export-onnx.py) and REASONIR_CACHE on a filesystem every node sees, and
# reasonir installed with ONNXRUNTIME_NODE_INSTALL=cuda12 (CUDA 12 + cuDNN 9 on the nodes).
#SBATCH --job-name=reasonir-encode
#SBATCH --array=0-15
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=8
#SBATCH --time=12:00:00
#SBATCH --requeue
#SBATCH --output=logs/reasonir-%A_%a.out

set -euo pipefail
export REASONIR_CACHE=/shared/cache/reasonir      # embeddings on shared storage
export HF_HOME=/shared/cache/huggingface           # BRIGHT parquet files
SHARDS=${SLURM_ARRAY_TASK_COUNT:-16}

# a requeued or preempted task resumes from its last finished chunk
reasonir eval --task all --model /shared/models/reasonir-onnx --queries gpt4 --device cuda \
  --shard "${SLURM_ARRAY_TASK_ID}/${SHARDS}" --out "/shared/results/reasonir-gpt4-shard${SLURM_ARRAY_TASK_ID}"
