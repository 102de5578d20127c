"""PyTorch anchor figures for issue 22's CUDA encoder target, measured on the same GPU as our backend.

Hugging Face transformers BertModel with the bge-base shape (12 x 768, 12 heads, I = 3072) and random weights (from the config
alone: no hub), T = 128, B = 1, 32 and 256, fp32 and fp16, median ms of CUDA-event timings for the whole encoder: eager, replayed as
a CUDA graph, and torch.compile(mode="max-autotune"); every sequence full length (no padding), SDPA attention.
Target (issue 22): ours >= 1.5x the best of them at B = 1 and >= 1.2x at B = 256.
Run on the GPU machine with its PyTorch:  python bert_anchors.py [repetitions] [--no-compile]
"""
import sys

import timing
import torch
from transformers import BertConfig, BertModel

REPS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 30
COMPILE = "--no-compile" not in sys.argv
T = 128
SHAPE = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)


def median_ms(fn):
    return timing.median_ms(fn, REPS)


def guarded(label, make):
    try:
        return median_ms(make())
    except Exception as error:  # a capture or compile failure is a figure we could not get: say so rather than stop
        print(f"# {label} failed: {str(error).splitlines()[0] if str(error) else type(error).__name__}")
        return float("nan")


def main():
    device = torch.device("cuda")
    print(f"# {torch.cuda.get_device_name(0)}; torch {torch.__version__}; transformers {__import__('transformers').__version__}; "
          f"median of {REPS} (CUDA events) after warm-up; bge-base shape, T = {T}, full-length sequences; random weights")
    print(f"{'dtype':5} {'B':>4} {'T':>4}  {'eager_ms':>9} {'graph_ms':>9} {'compiled_ms':>11}  {'best_ms':>8}  {'sequences/s':>11}")
    config = BertConfig(max_position_embeddings=512, **SHAPE)  # recent transformers pick SDPA attention by default
    for dtype in (torch.float32, torch.float16):
        model = BertModel(config, add_pooling_layer=False).to(device=device, dtype=dtype).eval()
        compiled = torch.compile(model, mode="max-autotune") if COMPILE else None
        for batch in (1, 32, 256):
            ids = torch.randint(1000, config.vocab_size, (batch, T), device=device)
            mask = torch.ones(batch, T, dtype=torch.long, device=device)
            with torch.inference_mode():
                eager = lambda: model(input_ids=ids, attention_mask=mask)
                row = [guarded("eager", lambda: eager), guarded("graph", lambda: timing.graphed(eager))]
                if compiled is not None:
                    row.append(guarded("torch.compile", lambda: (lambda: compiled(input_ids=ids, attention_mask=mask))))
                else:
                    row.append(float("nan"))
            best = min(v for v in row if v == v) if any(v == v for v in row) else float("nan")
            label = "fp32" if dtype == torch.float32 else "fp16"
            print(f"{label:5} {batch:4} {T:4}  {row[0]:9.3f} {row[1]:9.3f} {row[2]:11.3f}  {best:8.3f}  {batch / best * 1000:11.0f}")
        del model, compiled
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
