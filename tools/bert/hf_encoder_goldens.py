#!/usr/bin/env python3
"""Hugging Face's answers for seeded encoders and WordPiece inputs (issue 22), run on the GPU machine (it has torch,
transformers, sentence-transformers and tokenizers; nothing is downloaded: every model and vocabulary is a local directory).
Models run in float64 on the CPU, so the goldens carry no float32 rounding of their own.

Usage: hf_encoder_goldens.py REQUEST.json OUT.json
REQUEST (written by the `encoder-parity` benchmark):
  {"sentences": [{"name", "dir", "prompt_name", "stages": bool, "texts": [...]}],
   "roberta": [{"name", "dir", "ids": [[...], ...]}],
   "wordpiece": {"vocab": path, "texts": [...], "pairs": [[a, b, max_length], ...]},
   "roberta_bpe": {"dir": path holding vocab.json + merges.txt, "texts": [...]},
   "xlm_roberta": {"model": a sentencepiece.bpe.model, "texts": [...]}}
OUT: the same names with sentence-transformers' embeddings and token ids (and, where "stages", the transformer's hidden states
after the embeddings and after each block, real tokens only, for the first STAGE_TEXTS texts), RobertaModel's last hidden
states (real tokens only), BertTokenizerFast's / BertTokenizer's ids, RobertaTokenizerFast's / RobertaTokenizer's ids, XLMRobertaTokenizerFast's / XLMRobertaTokenizer's ids, plus the
library versions.
"""
import json
import sys

import sentence_transformers
import tokenizers
import torch
import transformers
from sentence_transformers import SentenceTransformer
from transformers import (AutoModel, BertTokenizer, BertTokenizerFast, RobertaTokenizer, RobertaTokenizerFast, XLMRobertaTokenizer,
                          XLMRobertaTokenizerFast)


STAGE_TEXTS = 4


def rounded(values):
    return [float(f"{v:.8g}") for v in values]


def sentence_case(case):
    model = SentenceTransformer(case["dir"], device="cpu").double()
    prompt_name = case.get("prompt_name")
    embeddings = model.encode(case["texts"], prompt_name=prompt_name, convert_to_numpy=True, batch_size=len(case["texts"]))
    name = prompt_name or model.default_prompt_name
    prompt = model.prompts.get(name, "") if name else ""
    features = model.tokenize([prompt + t for t in case["texts"]])
    ids = [[int(i) for i, m in zip(row, mask) if m] for row, mask in zip(features["input_ids"].tolist(), features["attention_mask"].tolist())]
    result = {"name": case["name"], "prompt": prompt, "max_seq_length": model.max_seq_length, "dtype": str(embeddings.dtype),
              "modules": [type(m).__name__ for m in model], "token_ids": ids,
              "embeddings": [rounded(e) for e in embeddings.tolist()]}
    if case.get("stages"):
        texts = case["texts"][:STAGE_TEXTS]
        staged = model.tokenize([prompt + t for t in texts])
        with torch.no_grad():
            hidden = model[0].auto_model(input_ids=staged["input_ids"], attention_mask=staged["attention_mask"],
                                         token_type_ids=staged.get("token_type_ids"), output_hidden_states=True).hidden_states
        lengths = staged["attention_mask"].sum(dim=1).tolist()
        result["stage_texts"] = len(texts)
        result["hidden_states"] = [[[rounded(layer[b, p].tolist()) for p in range(int(n))] for b, n in enumerate(lengths)] for layer in hidden]
    return result


def roberta_case(case):
    model = AutoModel.from_pretrained(case["dir"]).double().eval()
    pad = model.config.pad_token_id
    width = max(len(s) for s in case["ids"])
    ids = torch.tensor([s + [pad] * (width - len(s)) for s in case["ids"]])
    mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in case["ids"]])
    with torch.no_grad():
        hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
    return {"name": case["name"], "class": type(model).__name__, "ids": case["ids"],
            "last_hidden_state": [[rounded(hidden[b, p].tolist()) for p in range(len(s))] for b, s in enumerate(case["ids"])]}


def wordpiece(request):
    fast = BertTokenizerFast(vocab_file=request["vocab"], do_lower_case=True)
    slow = BertTokenizer(vocab_file=request["vocab"], do_lower_case=True)
    texts = [{"text": t, "fast": fast(t)["input_ids"], "slow": slow(t)["input_ids"]} for t in request["texts"]]
    pairs = []
    for a, b, length in request["pairs"]:
        f = fast(a, b, truncation="longest_first", max_length=length)
        s = slow(a, b, truncation="longest_first", max_length=length)
        pairs.append({"first": a, "second": b, "max_length": length, "fast": f["input_ids"], "fast_types": f["token_type_ids"],
                      "slow": s["input_ids"], "slow_types": s["token_type_ids"]})
    return {"texts": texts, "pairs": pairs}


def roberta_bpe(request):
    vocab, merges = f"{request['dir']}/vocab.json", f"{request['dir']}/merges.txt"
    fast = RobertaTokenizerFast(vocab_file=vocab, merges_file=merges)
    slow = RobertaTokenizer(vocab_file=vocab, merges_file=merges)
    return {"texts": [{"text": t, "fast": fast(t)["input_ids"], "slow": slow(t)["input_ids"]} for t in request["texts"]]}


def xlm_roberta(request):
    fast = XLMRobertaTokenizerFast(vocab_file=request["model"])
    slow = XLMRobertaTokenizer(vocab_file=request["model"])
    return {"texts": [{"text": t, "fast": fast(t)["input_ids"], "slow": slow(t)["input_ids"]} for t in request["texts"]]}


def main():
    request = json.load(open(sys.argv[1], encoding="utf-8"))
    torch.set_num_threads(4)
    out = {
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "sentence_transformers": sentence_transformers.__version__, "tokenizers": tokenizers.__version__},
        "sentences": [sentence_case(c) for c in request["sentences"]],
        "roberta": [roberta_case(c) for c in request["roberta"]],
        "wordpiece": wordpiece(request["wordpiece"]),
    }
    if "roberta_bpe" in request:
        out["roberta_bpe"] = roberta_bpe(request["roberta_bpe"])
    if "xlm_roberta" in request:
        out["xlm_roberta"] = xlm_roberta(request["xlm_roberta"])
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
