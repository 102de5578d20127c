"""PyTorch anchor figures for issue 5, measured on the same GPU as our CUDA backend (benchmarks/results/cuda-layer*.txt).

Hugging Face transformers GPT2Model with random weights (from the config alone: no hub), T = 128, median ms of CUDA-event
timings: the whole model and one block, eager and replayed as a CUDA graph, fp32 and fp16, B = 1 and 32. Same shapes as the
anchors in ../shared/device/README.md. Run on the GPU machine with its PyTorch:  python gpt2_anchors.py [repetitions]
"""
import sys

import timing
import torch
from transformers import GPT2Config, GPT2Model

REPS = int(sys.argv[1]) if len(sys.argv) > 1 else 50
T = 128
PRESETS = {"gpt2": dict(n_layer=12, n_embd=768, n_head=12), "gpt2-xl": dict(n_layer=48, n_embd=1600, n_head=25)}


def median_ms(fn):
    return timing.median_ms(fn, REPS)


def graph_ms(fn):
    try:
        return median_ms(timing.graphed(fn))
    except RuntimeError as error:  # a host sync inside the model makes capture fail: say so rather than stop
        print(f"# capture failed: {str(error).splitlines()[0]}")
        return float("nan")


def main():
    device = torch.device("cuda")
    print(f"# {torch.cuda.get_device_name(0)}; torch {torch.__version__}; transformers {__import__('transformers').__version__}; "
          f"median of {REPS} (CUDA events) after warm-up; T = {T}; random weights")
    print(f"{'model':8} {'dtype':5} {'B':>3} {'T':>4}  {'full_eager_ms':>13} {'full_graph_ms':>13} {'block_eager_ms':>14} {'block_graph_ms':>14}")
    for name, shape in PRESETS.items():
        config = GPT2Config(n_positions=1024, **shape)  # default attention (SDPA): PyTorch at its best
        for dtype in (torch.float32, torch.float16):
            model = GPT2Model(config).to(device=device, dtype=dtype).eval()
            for batch in (1, 32):
                ids = torch.randint(0, config.vocab_size, (batch, T), device=device)
                hidden = torch.randn(batch, T, config.n_embd, device=device, dtype=dtype)
                block = model.h[0]
                with torch.inference_mode():
                    full = lambda: model(input_ids=ids)
                    one = lambda: block(hidden)
                    row = [median_ms(full), graph_ms(full), median_ms(one), graph_ms(one)]
                label = "fp32" if dtype == torch.float32 else "fp16"
                print(f"{name:8} {label:5} {batch:3} {T:4}  " + " ".join(f"{v:13.3f}" if i < 2 else f"{v:14.3f}" for i, v in enumerate(row)))
            del model
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
