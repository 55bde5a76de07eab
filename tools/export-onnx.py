#!/usr/bin/env python3
"""Export a Hugging Face encoder to the ONNX layout `reasonir eval --model DIR` reads.

    python3 tools/export-onnx.py --model reasonir/ReasonIR-8B --config reasonir --out models/reasonir-onnx
    python3 tools/export-onnx.py --model GritLM/GritLM-7B --config grit --out models/grit-onnx --dtype bf16

Writes DIR/model.onnx (+ model.onnx_data when the weights exceed 2 GB), tokenizer.json, tokenizer_config.json and
reasonir.json ({"extends": CONFIG, "dtype": ...}). The graph takes `input_ids`, `attention_mask` and a float
`pooling_mask` [batch, seq] and returns `sentence_embedding` [batch, hidden] = sum(h * pooling_mask) /
max(sum(pooling_mask), 1e-9) in float32. The harness fills `pooling_mask` for the configured pooling (cls,
last_token, mean, or mean without the instruction tokens), so only [batch, hidden] floats leave the GPU;
normalisation happens in the harness.

ReasonIR-8B and GritLM-7B run their Llama/Mistral blocks with bidirectional attention (`is_causal=False` in their
custom code). The wrapper below passes a 4-D additive mask that only hides padding, which makes any HF decoder
bidirectional without the custom modelling code; for causal last-token models (e5, sfr, qwen, qwen2) pass
--causal.

Requirements (not needed by the harness itself): torch>=2.1, transformers>=4.47, the model weights (8B in bf16:
~16 GB download, ~40 GB RAM to export). This script cannot run on a machine without the weights; it was not run
in the harness's CI. Check an export with `reasonir eval --model DIR --task biology` against the published
numbers (SPEC.md §5).
"""
import argparse
import json
import os

import torch


class PooledEncoder(torch.nn.Module):
    def __init__(self, model, causal):
        super().__init__()
        self.model = model
        self.causal = causal

    def forward(self, input_ids, attention_mask, pooling_mask):
        if self.causal:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        else:
            # additive [batch, 1, seq, seq] mask: 0 for real keys, a large negative for padding -> bidirectional
            dtype = next(self.model.parameters()).dtype
            keys = attention_mask[:, None, None, :].to(dtype)
            square = (1.0 - keys) * torch.finfo(dtype).min
            square = square.expand(-1, 1, input_ids.shape[1], -1)
            hidden = self.model(input_ids=input_ids, attention_mask=square).last_hidden_state
        weights = pooling_mask.to(torch.float32).unsqueeze(-1)
        summed = (hidden.to(torch.float32) * weights).sum(dim=1)
        return summed / weights.sum(dim=1).clamp(min=1e-9)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="HF repo id or local checkpoint directory")
    parser.add_argument("--revision", default=None, help="HF revision (commit sha) to export")
    parser.add_argument("--config", required=True, help="reasonir config name the export implements (configs/models/<name>.json)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--dtype", choices=["fp32", "fp16", "bf16"], default="fp32")
    parser.add_argument("--causal", action="store_true", help="keep causal attention (e5/sfr/qwen last-token models)")
    parser.add_argument("--opset", type=int, default=17)
    args = parser.parse_args()

    from transformers import AutoModel, AutoTokenizer

    torch_dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[args.dtype]
    tokenizer = AutoTokenizer.from_pretrained(args.model, revision=args.revision, trust_remote_code=True)
    model = AutoModel.from_pretrained(args.model, revision=args.revision, torch_dtype=torch_dtype, trust_remote_code=True)
    model.eval()
    wrapper = PooledEncoder(model, args.causal)

    os.makedirs(args.out, exist_ok=True)
    sample = tokenizer(["an example sentence", "a second, longer example sentence for the trace"], padding=True, return_tensors="pt")
    pooling_mask = sample["attention_mask"].to(torch.float32)
    onnx_path = os.path.join(args.out, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(
            wrapper,
            (sample["input_ids"], sample["attention_mask"], pooling_mask),
            onnx_path,
            input_names=["input_ids", "attention_mask", "pooling_mask"],
            output_names=["sentence_embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                "pooling_mask": {0: "batch", 1: "sequence"},
                "sentence_embedding": {0: "batch"},
            },
            opset_version=args.opset,
        )
    # > 2 GB protobuf limit: move the weights into one external data file next to the graph
    import onnx

    graph = onnx.load(onnx_path, load_external_data=True)
    if sum(t.ByteSize() for t in graph.graph.initializer) > 1_900_000_000:
        for stray in os.listdir(args.out):
            if stray not in ("model.onnx",) and not stray.endswith(".json"):
                os.remove(os.path.join(args.out, stray))
        onnx.save_model(graph, onnx_path, save_as_external_data=True, all_tensors_to_one_file=True, location="model.onnx_data")

    tokenizer.save_pretrained(args.out)
    for extra in ("special_tokens_map.json", "vocab.txt", "merges.txt", "vocab.json", "tokenizer.model", "added_tokens.json"):
        path = os.path.join(args.out, extra)
        if os.path.exists(path) and extra != "special_tokens_map.json":
            os.remove(path)  # the harness reads tokenizer.json only
    with open(os.path.join(args.out, "reasonir.json"), "w") as handle:
        json.dump({"extends": args.config, "dtype": args.dtype, "model": {"repo": args.model, "revision": args.revision or "main"}}, handle, indent=2)
        handle.write("\n")
    print(f"wrote {args.out}: model.onnx{' + model.onnx_data' if os.path.exists(os.path.join(args.out, 'model.onnx_data')) else ''}, tokenizer.json, reasonir.json")


if __name__ == "__main__":
    main()
