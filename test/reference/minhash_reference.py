"""Reference values for the deduplication stages, from numpy and Python's own Unicode tables.

Writes test/fixtures/dedup-reference.json:
- datatrove's MinHash parameters (np.random.RandomState(seed).randint(..., dtype=np.uint64)) and
  signatures computed with datatrove's numpy expression over fixed 64-bit shingle hashes;
- datatrove's simplify_text and CCNet's normalize_for_dedup over tricky strings (both copied below
  from their sources: datatrove utils/text.py, cc_net text_normalizer.py), and CCNet's line hash.
Needs numpy (Debian: python3-numpy). Run by scripts/test-reference.sh.
"""
import hashlib
import json
import re
import struct
import unicodedata
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "dedup-reference.json"
P = np.uint64((1 << 61) - 1)


def params(seed, n):
    gen = np.random.RandomState(seed)
    a = gen.randint(1, P, dtype=np.uint64, size=(1, n))
    b = gen.randint(0, P, dtype=np.uint64, size=(1, n))
    return a, b


def signature(shingles, a, b):
    # datatrove MinhashDedupSignature.get_signature (precision 64)
    with np.errstate(over="ignore"):
        phv = (shingles * a + b) % P
    return np.min(phv, axis=0)


def lcg_hashes(seed, n):
    out = []
    s = seed
    for _ in range(n):
        s = (s * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        out.append(s)
    return out


# datatrove utils/text.py
PUNCTUATION = "!/—”:％１〈&(、━\\【#%「」，】；+^]~“《„';’{|∶´[=-`*．（–？！：$～«〉,><》)?）。…@_.\"}►»" + "".join(
    map(chr, (x for a, b in ((0, 9), (11, 13), (13, 32), (127, 160)) for x in range(a, b)))
)
PUNCTUATION_TRANS = str.maketrans(PUNCTUATION, " " * len(PUNCTUATION))
NUMBERS_PATTERN = re.compile(r"\d+([.,،٫⎖⎗⎘]{1}\d+)?")  # re's \d is Unicode Nd, as regex's \p{Nd}
WHITESPACE_PATTERN = re.compile(r"\s+")


def simplify_text(text):
    text = text.lower()
    text = NUMBERS_PATTERN.sub("0", text)
    text = text.translate(PUNCTUATION_TRANS)
    text = WHITESPACE_PATTERN.sub(" ", text.strip())
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return text.strip()


# cc_net/text_normalizer.py
UNICODE_PUNCT = "，。、„”“«»１」「《》´∶：？！（）；–—．～’…━〈〉【】％►"
PUNCT_OR_NON_PRINTING_CHARS_RE = re.compile(
    "[" + re.escape(UNICODE_PUNCT) + "".join(map(chr, list(range(0, 32)) + list(range(127, 160)))) + "]"
)
DIGIT_RE = re.compile(r"\d")


def normalize_for_dedup(line):
    line = line.strip()
    if not line:
        return line
    line = line.lower()
    line = DIGIT_RE.sub("0", line)
    line = PUNCT_OR_NON_PRINTING_CHARS_RE.sub("", line)
    return line


def line_hash(line):
    return str(struct.unpack("<Q", hashlib.sha1(normalize_for_dedup(line).encode("utf-8")).digest()[:8])[0])


TEXTS = [
    "Hello, World!  It's 3.14 o'clock -- 2,000 people; 12345 items.",
    "  Café naïve résumé Ångström\tcoöperate\n\nZOË  ",
    "中文，标点。“引号”【括号】１２３ 四五六 ٣٤٥ ١٢,٣٤",
    "tabs\tand\x0bvertical\x0cfeeds\x1c\x1dseparators\x85nel\u00a0nbsp\u2003em\u3000ideographic",
    "ﬁ ligature Ⅻ ① ² ½ ＡＢＣ full-width ｱｲｳ",
    "İstanbul ΣΊΣΥΦΟΣ Straße ǅ",
    "a \u0301 b e\u0301 n\u0303",
    "emoji 🙂👍🏽 and ‘curly’ “quotes” «guillemets» — dashes – and …",
    "한국어 텍스트 입니다. 日本語のテキストです。カタカナ",
    "\ufeffbom start\u200bzero width",
    "",
    "   \n\t  ",
    "—leading dash, trailing…",
    "x\u2000\u200ay\u00a0\u00a0z \u0085 𝐀𝐁𝐂 math 😀, «𠀀» 3,5 ٣.٤ 1.2.3",
    "(((  )))",
]


def main():
    out = {"params": {}, "signatures": [], "simplify": [], "ccnet": []}
    for seed in (1, 42):
        a, b = params(seed, 112)
        out["params"][str(seed)] = {"a": [str(int(x)) for x in a[0]], "b": [str(int(x)) for x in b[0]]}
    a, b = params(1, 112)
    specials = [0, 1, (1 << 64) - 1, (1 << 61) - 1, (1 << 61), (1 << 63), 0xFFFFFFFF, 1 << 32]
    for seed, n in ((7, 1), (8, 5), (9, 100), (10, 1000)):
        sh = lcg_hashes(seed, n)
        if n == 100:
            sh = sh[:92] + specials
        arr = np.array(sh, dtype=np.uint64).reshape((-1, 1))
        sig = signature(arr, a, b)
        out["signatures"].append({"shingles": [str(x) for x in sh], "signature": [str(int(x)) for x in sig]})
    for t in TEXTS:
        out["simplify"].append({"text": t, "simplified": simplify_text(t)})
    for t in TEXTS + ["Line one\r", "  UPPER 42 lower  ", "—", "１２３"]:
        out["ccnet"].append({"line": t, "normalized": normalize_for_dedup(t), "hash": line_hash(t)})
    OUT.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
