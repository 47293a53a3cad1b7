"""word2vec from scratch in PyTorch: skip-gram and CBOW with negative sampling (chapter 2).

The algorithm of Mikolov et al. (2013): subsampling of frequent words, a dynamic window,
negatives drawn from the unigram distribution raised to 3/4, and plain SGD whose learning
rate decays linearly to ``min_alpha``. Training pairs are built in NumPy a chunk of the
corpus at a time; each batch of pairs is one gather, two batched matrix products and two
scatter-adds, with the gradients written out by hand (no autograd), as in the original C.

The learned vectors come back as gensim ``KeyedVectors``, so the same evaluation code
serves our model, gensim's and pretrained GloVe.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import numpy as np

from nlpcourse.embeddings.corpus import (Corpus, NoiseSampler, build_vocab, keep_probabilities,
                                         subsample, window_pairs)


class Word2Vec:
    """Skip-gram (``sg=1``) or CBOW (``sg=0``) with negative sampling, trained by SGD (chapter 2).

    The arguments mean what they mean in ``gensim.models.Word2Vec``. ``batch_size`` counts
    (centre, context) pairs for skip-gram and centre words for CBOW; ``num_threads`` sets
    PyTorch's CPU threads while training (``None``: leave it; one thread, the default, is
    the fastest for these small operations and exactly reproducible for a given ``seed``).
    Each chunk of the corpus draws its randomness from ``(seed, epoch, chunk)``. After
    :meth:`fit`: ``wv`` (gensim ``KeyedVectors``), ``loss_history_`` (mean loss per chunk),
    ``train_seconds_`` and ``words_per_second_`` (corpus words times epochs per second).
    """

    def __init__(self, vector_size: int = 100, window: int = 5, negative: int = 5, sample: float = 1e-3,
                 min_count: int = 5, epochs: int = 5, sg: int = 1, alpha: float = 0.025,
                 min_alpha: float = 1e-4, seed: int = 0, batch_size: int = 512, device: str | None = None,
                 num_threads: int | None = 1, max_vocab: int | None = None,
                 chunk_tokens: int = 1 << 17) -> None:
        self.vector_size, self.window, self.negative, self.sample = vector_size, window, negative, sample
        self.min_count, self.epochs, self.sg, self.alpha, self.min_alpha = min_count, epochs, sg, alpha, min_alpha
        self.seed, self.batch_size, self.device, self.num_threads = seed, batch_size, device, num_threads
        self.max_vocab, self.chunk_tokens = max_vocab, chunk_tokens

    def _check_params(self) -> None:
        for name in ("vector_size", "window", "negative", "epochs", "batch_size", "min_count"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if self.sg not in (0, 1):
            raise ValueError(f"sg must be 1 (skip-gram) or 0 (CBOW), got {self.sg!r}")
        if not 0 < self.min_alpha <= self.alpha:
            raise ValueError(f"need 0 < min_alpha <= alpha, got alpha={self.alpha}, min_alpha={self.min_alpha}")

    def fit(self, sentences: Iterable[Sequence[str]]) -> "Word2Vec":
        """Build the vocabulary of ``sentences`` (lists of tokens) and train the vectors."""
        import torch
        self._check_params()
        sentences = sentences if isinstance(sentences, Sequence) else list(sentences)
        start = time.perf_counter()
        words, counts = build_vocab(sentences, self.min_count, self.max_vocab)
        corpus = Corpus.encode(sentences, {w: i for i, w in enumerate(words)})
        threads = torch.get_num_threads()
        if self.num_threads:
            torch.set_num_threads(self.num_threads)
        try:
            W_in = self._train(corpus, counts)
        finally:
            torch.set_num_threads(threads)
        self.train_seconds_ = time.perf_counter() - start
        self.corpus_words_ = len(corpus)
        self.words_per_second_ = len(corpus) * self.epochs / self.train_seconds_
        self.wv = keyed_vectors(words, W_in, counts)
        return self

    def _train(self, corpus: Corpus, counts: np.ndarray) -> np.ndarray:
        import torch
        rng = np.random.default_rng(self.seed)
        device = torch.device(self.device or "cpu")
        n_words, dim = len(counts), self.vector_size
        # gensim's initialisation: input vectors small and random, output vectors zero
        W_in = torch.from_numpy((rng.random((n_words, dim), dtype=np.float32) - 0.5) / dim).to(device)
        W_out = torch.zeros(n_words, dim, device=device)
        self._keep, self._noise = keep_probabilities(counts, self.sample), NoiseSampler(counts)
        tasks, done = [], 0                      # one task per chunk per epoch, with its share of the lr decay
        for epoch in range(self.epochs):
            for number, (ids, sentence_of) in enumerate(corpus.chunks(self.chunk_tokens)):
                span = (done / (self.epochs * len(corpus)), (done + len(ids)) / (self.epochs * len(corpus)))
                tasks.append((ids, sentence_of, span, (self.seed, epoch, number)))
                done += len(ids)
        results = [self._train_chunk(W_in, W_out, *task) for task in tasks]
        self.loss_history_ = [loss / n for loss, n in results if n]
        if not self.loss_history_:
            raise ValueError("no training pairs: the sentences need at least two known words each "
                             "(lower min_count or pass longer sentences)")
        return W_in.cpu().numpy()

    def _train_chunk(self, W_in, W_out, ids, sentence_of, span, seed) -> tuple[float, int]:
        """Subsample a chunk, form its window pairs and take SGD steps; returns (summed loss, examples)."""
        rng = np.random.default_rng(seed)
        kept, kept_sentence = subsample(ids, sentence_of, self._keep, rng)
        centres, contexts = window_pairs(kept_sentence, self.window, rng, sort=not self.sg)
        batches = _batches(centres, self.batch_size, by_centre=not self.sg)
        step = skipgram_step if self.sg else cbow_step
        loss, n_examples = 0.0, 0
        for k, (a, b) in enumerate(batches):
            progress = span[0] + (span[1] - span[0]) * k / len(batches)
            lr = max(self.min_alpha, self.alpha - (self.alpha - self.min_alpha) * progress)
            negatives = self._noise(rng, (b - a, self.negative))
            batch_loss, batch_examples = step(W_in, W_out, kept[centres[a:b]], kept[contexts[a:b]],
                                              centres[a:b], negatives, lr)
            loss, n_examples = loss + batch_loss, n_examples + batch_examples
        return loss, n_examples


def _batches(centres: np.ndarray, batch_size: int, by_centre: bool) -> list[tuple[int, int]]:
    """Slices of the pair arrays: ``batch_size`` pairs, or ``batch_size`` whole centres."""
    if not by_centre:
        return [(a, min(a + batch_size, len(centres))) for a in range(0, len(centres), batch_size)]
    starts = np.flatnonzero(np.r_[True, centres[1:] != centres[:-1]]) if len(centres) else np.array([], int)
    bounds = np.r_[starts[::batch_size], len(centres)]
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def _targets_and_gradient(torch, W_out, hidden, word, negatives, lr):
    """Scores of the true word and the negatives against ``hidden``; the SGD-scaled error."""
    targets = torch.cat([word[:, None], negatives], dim=1)          # (B, 1 + K)
    u = W_out.index_select(0, targets.reshape(-1)).view(*targets.shape, -1)  # (B, 1 + K, D)
    scores = (u * hidden[:, None, :]).sum(2)                        # (B, 1 + K)
    labels = torch.zeros_like(scores)
    labels[:, 0] = 1.0
    g = (labels - torch.sigmoid(scores)) * lr                       # gradient ascent on log-likelihood
    g[:, 1:] *= negatives != word[:, None]                          # a negative equal to the word is skipped
    loss = -(torch.nn.functional.logsigmoid(scores[:, 0]).sum()
             + torch.nn.functional.logsigmoid(-scores[:, 1:]).sum())
    return targets, u, g, float(loss)


def skipgram_step(W_in, W_out, centre, context, _positions, negatives, lr) -> tuple[float, int]:
    """One SGD step of skip-gram on a batch of (centre, context) word ids, in place (chapter 2).

    ``negatives`` holds K noise words per pair. Returns (summed loss, number of pairs).
    """
    import torch
    device = W_in.device
    c = torch.from_numpy(centre.astype(np.int64)).to(device)
    o = torch.from_numpy(context.astype(np.int64)).to(device)
    negs = torch.from_numpy(negatives).to(device)
    v = W_in.index_select(0, c)                                     # (B, D)
    targets, u, g, loss = _targets_and_gradient(torch, W_out, v, o, negs, lr)
    dv = torch.bmm(g[:, None, :], u).squeeze(1)                     # (B, D)
    W_out.index_add_(0, targets.reshape(-1), (g[:, :, None] * v[:, None, :]).reshape(-1, v.shape[1]))
    W_in.index_add_(0, c, dv)
    return loss, len(c)


def cbow_step(W_in, W_out, centre, context, positions, negatives, lr) -> tuple[float, int]:
    """One SGD step of CBOW, in place: each centre predicted from the mean of its context (chapter 2).

    Pairs come grouped by centre ``positions``. Returns (summed loss, number of centres).
    """
    import torch
    device = W_in.device
    first = np.r_[True, positions[1:] != positions[:-1]]
    slot_np = np.cumsum(first) - 1                                  # which centre each pair belongs to
    slot = torch.from_numpy(slot_np).to(device)
    ctx = torch.from_numpy(context.astype(np.int64)).to(device)
    word = torch.from_numpy(centre[first].astype(np.int64)).to(device)
    n_centres = len(word)
    count = torch.bincount(slot, minlength=n_centres).to(W_in.dtype)[:, None]
    h = torch.zeros(n_centres, W_in.shape[1], device=device).index_add_(0, slot, W_in[ctx]) / count
    negs = torch.from_numpy(negatives[:n_centres]).to(device)  # one row of negatives per centre
    targets, u, g, loss = _targets_and_gradient(torch, W_out, h, word, negs, lr)
    dh = torch.bmm(g[:, None, :], u).squeeze(1) / count             # cbow_mean: error shared by the context
    W_out.index_add_(0, targets.reshape(-1), (g[:, :, None] * h[:, None, :]).reshape(-1, h.shape[1]))
    W_in.index_add_(0, ctx, dh[slot])
    return loss, n_centres


def keyed_vectors(words: Sequence[str], vectors: np.ndarray, counts: np.ndarray | None = None):
    """gensim ``KeyedVectors`` holding ``vectors`` for ``words`` (chapter 2)."""
    from gensim.models import KeyedVectors
    vectors = np.asarray(vectors, dtype=np.float32)
    if len(words) != len(vectors):
        raise ValueError(f"{len(words)} words but {len(vectors)} vectors")
    kv = KeyedVectors(vector_size=vectors.shape[1])
    kv.add_vectors(list(words), vectors)
    if counts is not None:
        kv.expandos["count"] = np.asarray(counts, dtype=np.int64).copy()
    return kv
