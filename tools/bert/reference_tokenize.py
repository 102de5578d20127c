# BERT's own tokenization.py (google-research/bert: BasicTokenizer + WordpieceTokenizer, do_lower_case=True) re-stated, as the
# reference the C# tokenizer's golden cases come from (tests/fixtures/bert/wordpiece-cases.json, written by
# tools/bert/make_golden_cases.py). It uses Python's unicodedata, which has the Unicode tables .NET's invariant mode lacks.
import unicodedata, sys
vocab = {}
def load(path):
    for i, l in enumerate(open(path, encoding='utf-8')): vocab[l.rstrip('\n')] = i
def is_ws(c):
    if c in " \t\n\r": return True
    return unicodedata.category(c) == "Zs"
def is_ctrl(c):
    if c in "\t\n\r": return False
    return unicodedata.category(c).startswith("C")
def is_punct(c):
    cp = ord(c)
    if (33 <= cp <= 47) or (58 <= cp <= 64) or (91 <= cp <= 96) or (123 <= cp <= 126): return True
    return unicodedata.category(c).startswith("P")
def is_cjk(cp):
    return (0x4E00<=cp<=0x9FFF) or (0x3400<=cp<=0x4DBF) or (0x20000<=cp<=0x2A6DF) or (0x2A700<=cp<=0x2B73F) or (0x2B740<=cp<=0x2B81F) or (0x2B820<=cp<=0x2CEAF) or (0xF900<=cp<=0xFAFF) or (0x2F800<=cp<=0x2FA1F)
def basic(text):
    text = "".join(" " if is_ws(c) else c for c in text if not (ord(c)==0 or ord(c)==0xfffd or is_ctrl(c)))
    text = "".join(" %s " % c if is_cjk(ord(c)) else c for c in text)
    out = []
    for tok in text.strip().split():
        tok = tok.lower()
        tok = "".join(c for c in unicodedata.normalize("NFD", tok) if unicodedata.category(c) != "Mn")
        cur = []
        for c in tok:
            if is_punct(c):
                if cur: out.append("".join(cur)); cur = []
                out.append(c)
            else: cur.append(c)
        if cur: out.append("".join(cur))
    return out
def wordpiece(w):
    if len(w) > 100: return ["[UNK]"]
    res, start = [], 0
    while start < len(w):
        end, cur = len(w), None
        while start < end:
            s = w[start:end]
            if start > 0: s = "##" + s
            if s in vocab: cur = s; break
            end -= 1
        if cur is None: return ["[UNK]"]
        res.append(cur); start = end
    return res
def encode(t): return [101] + [vocab[p] for w in basic(t) for p in wordpiece(w)] + [102]
