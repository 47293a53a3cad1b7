"""IMDB text for the pretrained models of chapter 9: a WordPiece vocabulary learned on the unlabelled
reviews, reviews cut into model-sized pieces, and batches for masked and causal language modelling
and for classification.

The unlabelled split (50,000 reviews) is what the models pretrain on; the labelled train split is what
they are fine-tuned on, with its validation part held out; the test reviews are only ever scored.

Masked language modelling (Devlin et al. 2019): 15 % of the tokens are chosen; of those, 80 % become
``[MASK]``, 10 % a random token and 10 % stay as they are; the model predicts the chosen ones. With
whole-word masking (as in ERNIE and BERT's later releases) a word's pieces are chosen together.
The masks are drawn afresh every epoch (RoBERTa's dynamic masking), from a seed.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from nlpcourse.data.loaders import BucketedLoader, LabelledSplits, hold_out, review_lengths
from nlpcourse.text.batching import pad_sequences
from nlpcourse.text.clean import clean_text
from nlpcourse.tokens import BERT_SPECIALS
from nlpcourse.utils import check_int

SPECIAL_TOKENS = BERT_SPECIALS
PAD, UNK, CLS, SEP, MASK = range(len(SPECIAL_TOKENS))       # train_wordpiece gives them the first ids


def train_wordpiece(texts: Sequence[str], vocab_size: int, min_frequency: int = 2) -> Any:
    """A BERT-style WordPiece tokenizer (lower case, punctuation split, ``##`` continuations) trained on
    ``texts`` with the ``tokenizers`` library; ``[PAD] [UNK] [CLS] [SEP] [MASK]`` get ids 0-4 (chapter 9)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    check_int("vocab_size", vocab_size, minimum=len(SPECIAL_TOKENS) + 1, hint="e.g. vocab_size=8192")
    if len(texts) == 0:
        raise ValueError("texts is empty: the vocabulary is learned from them")
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                        special_tokens=list(SPECIAL_TOKENS), show_progress=False)
    tokenizer.train_from_iterator((clean_text(t) for t in texts), trainer=trainer)
    return tokenizer


def encode_reviews(tokenizer: Any, texts: Sequence[str], max_len: int, split_long: bool = False) -> np.ndarray:
    """``[CLS] pieces [SEP]`` per review, padded with ``[PAD]`` to ``(N, max_len)``. Long reviews keep their
    head, or with ``split_long=True`` are cut into several rows (for pretraining, where no text is wasted)."""
    check_int("max_len", max_len, minimum=3, hint="tokens per row, [CLS] and [SEP] included")
    body = max_len - 2
    rows = []
    for encoding in tokenizer.encode_batch([clean_text(t) for t in texts], add_special_tokens=False):
        ids = encoding.ids
        pieces = [ids[i:i + body] for i in range(0, max(len(ids), 1), body)] if split_long else [ids[:body]]
        rows.extend([CLS, *piece, SEP] for piece in pieces)
    return pad_sequences(rows, max_len, pad_value=PAD)


def continuation_ids(tokenizer: Any) -> np.ndarray:
    """``(V,)`` True for the ids of word pieces that continue a word (``##...``), for whole-word masking."""
    vocab = tokenizer.get_vocab()
    flags = np.zeros(len(vocab), dtype=bool)
    for token, index in vocab.items():
        flags[index] = token.startswith("##")
    return flags


def mask_tokens(ids, generator, vocab_size: int, probability: float = 0.15,
                continuation: np.ndarray | None = None) -> tuple[Any, Any, Any]:
    """BERT's masking of a batch ``ids`` ``(B, T)`` (chapter 9): ``(inputs, masked, targets)`` where ``masked``
    ``(B, T)`` is True at the chosen tokens and ``targets`` ``(N,)`` holds them in row-major order.

    Each real token (not ``[PAD] [CLS] [SEP]``) is chosen with ``probability``; with ``continuation`` (a
    :func:`continuation_ids` table) whole words are chosen instead. Chosen tokens become ``[MASK]`` (80 %),
    a random non-special token (10 %) or stay (10 %). At least one token per batch is chosen."""
    import torch
    if not 0 < probability < 1:
        raise ValueError(f"probability must be in (0, 1), got {probability}")
    candidates = ids >= len(SPECIAL_TOKENS)
    candidates |= ids == UNK
    draw = torch.rand(ids.shape, generator=generator)
    if continuation is None:
        masked = candidates & (draw < probability)
    else:   # one draw per word, read at its first piece and shared by the pieces that continue it
        starts = candidates & ~torch.as_tensor(continuation)[ids]                        # (B, T) first pieces
        word = torch.cumsum(starts.long(), dim=1)                                        # (B, T) word number
        rows = torch.arange(ids.shape[0])[:, None].expand_as(word)
        chosen = torch.zeros(ids.shape[0], ids.shape[1] + 1, dtype=torch.bool)            # (B, words + 1)
        chosen[rows[starts], word[starts]] = draw[starts] < probability
        masked = candidates & chosen.gather(1, word) & (word > 0)
    if not masked.any() and candidates.any():
        first = int(candidates.view(-1).nonzero()[0])
        masked.view(-1)[first] = True
        if continuation is not None:                      # and the rest of its word
            row, step = divmod(first, ids.shape[1])
            masked[row] = candidates[row] & (word[row] == word[row, step])
    targets = ids[masked]
    action = torch.rand(ids.shape, generator=generator)
    inputs = ids.clone()
    inputs[masked & (action < 0.8)] = MASK
    random_tokens = torch.randint(len(SPECIAL_TOKENS), vocab_size, ids.shape, generator=generator)
    swap = masked & (action >= 0.8) & (action < 0.9)
    inputs[swap] = random_tokens[swap]
    return inputs, masked, targets


class MLMLoader(BucketedLoader):
    """Masked-LM batches ``((input_ids, attention_mask, masked), targets)`` for
    :class:`~nlpcourse.models.bert_mini.BertForMaskedLM`, masked afresh each epoch from ``seed`` (chapter 9).

    Rows of similar lengths go together, cut to their longest, as in :class:`~nlpcourse.data.loaders.BucketedLoader`;
    a fixed loader (``shuffle=False``) gives the same batches and masks every time."""

    def __init__(self, X: np.ndarray, vocab_size: int, batch_size: int = 32, shuffle: bool = True, seed: int = 0,
                 probability: float = 0.15, continuation: np.ndarray | None = None):
        super().__init__(X, None, batch_size, shuffle, seed, pad_index=PAD)
        self.vocab_size, self.probability, self.continuation = vocab_size, probability, continuation

    def __iter__(self):
        import torch
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        for _, block in self.blocks():
            ids = torch.as_tensor(block)
            inputs, masked, targets = mask_tokens(ids, generator, self.vocab_size, self.probability, self.continuation)
            yield (inputs, (ids != PAD).long(), masked), targets


class ClassifierLoader(BucketedLoader):
    """Classification batches ``((input_ids, attention_mask), labels)``, length-bucketed as
    :class:`~nlpcourse.data.loaders.BucketedLoader` (chapter 9)."""

    def __init__(self, X: np.ndarray, y: np.ndarray, batch_size: int = 32, shuffle: bool = False, seed: int = 0):
        super().__init__(X, y, batch_size, shuffle, seed, pad_index=PAD)

    def __iter__(self):
        import torch
        for rows, block in self.blocks():
            ids = torch.as_tensor(block)
            yield (ids, (ids != PAD).long()), torch.as_tensor(self.y[rows])


def lm_windows(X: np.ndarray, window: int) -> np.ndarray:
    """The rows' real tokens (without ``[CLS]``; ``[SEP]`` ends each review) as one stream, cut into
    ``(N, window + 1)`` rows: a causal language model reads ``row[:-1]`` and predicts ``row[1:]`` (chapter 9)."""
    check_int("window", window, minimum=1, hint="tokens a language model reads at once")
    stream = np.concatenate([row[1:length] for row, length in zip(X, review_lengths(X, PAD))])
    n = (len(stream) - 1) // window
    if n < 1:
        raise ValueError(f"{len(stream)} tokens make no window of {window + 1}: use more text or a shorter window")
    return np.stack([stream[i * window:(i + 1) * window + 1] for i in range(n)])


@dataclasses.dataclass(frozen=True)
class PretrainingSetup:
    """How much text and what sizes chapter 9 pretrains with, per profile (chapter 9)."""

    pretrain_reviews: int | None          # unlabelled reviews (None: all 50,000)
    held_out_reviews: int                 # unlabelled reviews kept back to measure perplexity
    vocab_size: int
    max_len: int                          # tokens per row, [CLS] and [SEP] included

    @classmethod
    def preset(cls, cfg) -> "PretrainingSetup":
        return cfg.choose(quick=cls(pretrain_reviews=3000, held_out_reviews=200, vocab_size=4000, max_len=128),
                          full=cls(pretrain_reviews=None, held_out_reviews=1000, vocab_size=8192, max_len=256))


@dataclasses.dataclass
class PretrainingData(LabelledSplits):
    """The unlabelled reviews for pretraining and held out, the labelled ones for fine-tuning (train,
    validation from the train split, test), all encoded with one WordPiece vocabulary (chapter 9)."""

    tokenizer: Any
    X_pretrain: np.ndarray
    X_held_out: np.ndarray
    setup: PretrainingSetup

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.get_vocab_size()

    def sizes(self) -> dict[str, int]:
        return {"pretrain_rows": len(self.X_pretrain), "held_out_rows": len(self.X_held_out), **self.split_sizes,
                "vocab_size": self.vocab_size, "max_len": self.setup.max_len}

    def classifier_loaders(self, batch_size: int, seed: int = 0, eval_batch_size: int = 128) -> tuple:
        return self.split_loaders(ClassifierLoader, batch_size, seed, eval_batch_size)

    def decode(self, ids) -> str:
        return self.tokenizer.decode([int(i) for i in ids])


def prepare_pretraining(cfg, setup: PretrainingSetup | None = None, val_share: float = 0.1) -> PretrainingData:
    """The profile's texts for chapter 9: the vocabulary is learned on the pretraining reviews only."""
    from nlpcourse.data.imdb import load_imdb, load_imdb_splits
    setup = setup or PretrainingSetup.preset(cfg)
    n_unsup = None if setup.pretrain_reviews is None else setup.pretrain_reviews + setup.held_out_reviews
    unsup = load_imdb("unsup", n=n_unsup, seed=cfg.seed)
    held_out, pretrain = unsup.texts[:setup.held_out_reviews], unsup.texts[setup.held_out_reviews:]
    tokenizer = train_wordpiece(pretrain, setup.vocab_size)
    X_pretrain = encode_reviews(tokenizer, pretrain, setup.max_len, split_long=True)
    X_held_out = encode_reviews(tokenizer, held_out, setup.max_len, split_long=True)
    train, test = load_imdb_splits(cfg)
    X_train, y_train, X_val, y_val = hold_out(encode_reviews(tokenizer, train.texts, setup.max_len),
                                              train.labels.astype(np.int64), val_share)
    return PretrainingData(X_train, y_train, X_val, y_val, encode_reviews(tokenizer, test.texts, setup.max_len),
                           test.labels.astype(np.int64), tokenizer, X_pretrain, X_held_out, setup)


def unigram_perplexity(X_train: np.ndarray, X_eval: np.ndarray, vocab_size: int) -> float:
    """Perplexity of the baseline that ignores context: each token's frequency in ``X_train`` (add-one
    smoothed), scored on the real tokens of ``X_eval`` (``[PAD] [CLS] [SEP]`` left out) (chapter 9)."""
    def real(X):
        X = np.asarray(X).ravel()
        return X[(X >= len(SPECIAL_TOKENS)) | (X == UNK)]
    counts = np.bincount(real(X_train), minlength=vocab_size).astype(np.float64) + 1.0
    log_p = np.log(counts / counts.sum())
    tokens = real(X_eval)
    if len(tokens) == 0:
        raise ValueError("X_eval has no real tokens to score")
    return float(np.exp(-log_p[tokens].mean()))
