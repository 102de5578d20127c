# Writes tests/fixtures/bert/wordpiece-cases.json: inputs and the ids BERT's reference algorithm gives them (with [CLS]/[SEP]),
# for the bert-base-uncased vocabulary committed in src/SplitCompute.Tokenization/Data. Run from the repository root:
#   python3 tools/bert/make_golden_cases.py
import json, random, sys
sys.path.insert(0, "tools/bert")
import reference_tokenize as ref
ref.load("src/SplitCompute.Tokenization/Data/bert-base-uncased/vocab.txt")
para = "The quick brown fox jumps over the lazy dog while researchers in Zürich measured 42.7 kilograms of unexpectedly heavy feathers. "
cases = ["Hello, world!", "naïve café Ångström", "北京欢迎你", "don't stop-believing...", "HELLO", (para * 20)[:2000],
    "e\u0301cole", "Ａｂｃ１２３", "Crème brûlée à la mode", "Ελληνικά και Русский текст", "Señor Müller's Œuvre", "  spaced\tout\nlines  ",
    "C++ & C# are (not) the same; a+b=c?", "https://example.com/path?q=1&r=2", "日本語のテキストと English mixed", "한국어 텍스트",
    "unaffable unbelievably tokenization", "Straße Łódź Dvořák", "query: how do I embed text?", "passage: Embeddings map text to vectors.",
    "", "a", "x" * 120, "numbers 1,234.56 and 7e-3"]
rng = random.Random(22)
alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ áéíóúüñçÅØ.,;:!?'()-—日本中文한글"
for _ in range(40):
    cases.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 80))))
out = [{"text": t, "ids": ref.encode(t)} for t in cases]
json.dump({"vocab_sha256": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
           "reference": "tools/bert/reference_tokenize.py (BERT's tokenization.py, do_lower_case=True)", "cases": out},
          open("tests/fixtures/bert/wordpiece-cases.json", "w", encoding="utf-8"), ensure_ascii=False, indent=1)
print(len(out), "cases")
