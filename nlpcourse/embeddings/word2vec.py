"""word2vec from scratch in PyTorch: skip-gram and CBOW with negative sampling (chapter 2).

The algorithm of Mikolov et al. (2013): subsampling of frequent words, a dynamic window,
negatives drawn from the unigram distribution raised to 3/4, and plain SGD whose learning
rate decays linearly to ``min_alpha``. Training examples are built in NumPy a chunk of the
corpus at a time; each batch is one SGD step written out by hand (no autograd), as in the
original C: a gather of the vectors, two batched matrix products and two scatter-adds.

Two things make it fast. ``torch.compile`` fuses each step into a few loops of generated
C++ (batches all have one shape, so it compiles once). ``workers`` processes train chunks at
the same time on the same weights in shared memory, without locks ("Hogwild"), as the
original's and gensim's threads do.

The learned vectors come back as gensim ``KeyedVectors``, so the same evaluation code
serves our model, gensim's and pretrained GloVe.
"""
from __future__ import annotations

import multiprocessing
import time
import warnings
from collections.abc import Iterable, Sequence

import numpy as np

from nlpcourse.embeddings.corpus import (Corpus, NoiseSampler, build_vocab, cbow_examples, keep_probabilities,
                                         pad_rows, skipgram_examples, subsample, window_pairs)
from nlpcourse.text.vectors import keyed_vectors

COMPILE_FROM_WORDS = 5_000_000
"""``compile=None`` compiles the step on the CPU when training covers this many words (corpus x epochs)."""


class Word2Vec:
    """Skip-gram (``sg=1``) or CBOW (``sg=0``) with negative sampling, trained by SGD (chapter 2).

    The arguments mean what they mean in ``gensim.models.Word2Vec``. ``batch_size`` counts
    (centre, context) pairs for skip-gram and centre words for CBOW. ``workers`` processes train
    at once on shared weights (see :func:`hogwild`; CPU only, each on one PyTorch thread, and not
    exactly reproducible); with ``workers=1``, ``num_threads`` sets PyTorch's CPU threads while
    training (``None``: leave it; one thread, the default, is the fastest and exactly reproducible
    for a given ``seed``, compiled or not). ``compile``: fuse each SGD step with ``torch.compile``
    (10-20 seconds to compile the first time, which pays back on corpora of millions of words);
    ``None`` compiles on the CPU when training covers at least :data:`COMPILE_FROM_WORDS` words,
    and falls back to plain PyTorch with a warning where compiling fails (no C++ compiler, say).

    Each chunk of the corpus draws its randomness from ``(seed, epoch, chunk)``. After
    :meth:`fit`: ``wv`` (gensim ``KeyedVectors``), ``loss_history_`` (mean loss per chunk),
    ``train_seconds_`` and ``words_per_second_`` (corpus words times epochs per second),
    ``compiled_`` (whether the step was compiled).
    """

    def __init__(self, vector_size: int = 100, window: int = 5, negative: int = 5, sample: float = 1e-3,
                 min_count: int = 5, epochs: int = 5, sg: int = 1, alpha: float = 0.025,
                 min_alpha: float = 1e-4, seed: int = 0, batch_size: int = 1024, device: str | None = None,
                 num_threads: int | None = 1, workers: int = 1, compile: bool | None = None,
                 max_vocab: int | None = None, chunk_tokens: int = 1 << 17) -> None:
        self.vector_size, self.window, self.negative, self.sample = vector_size, window, negative, sample
        self.min_count, self.epochs, self.sg, self.alpha, self.min_alpha = min_count, epochs, sg, alpha, min_alpha
        self.seed, self.batch_size, self.device, self.num_threads = seed, batch_size, device, num_threads
        self.workers, self.compile = workers, compile
        self.max_vocab, self.chunk_tokens = max_vocab, chunk_tokens

    def _check_params(self) -> None:
        for name in ("vector_size", "window", "negative", "epochs", "batch_size", "min_count", "workers"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if self.sg not in (0, 1):
            raise ValueError(f"sg must be 1 (skip-gram) or 0 (CBOW), got {self.sg!r}")
        if not 0 < self.min_alpha <= self.alpha:
            raise ValueError(f"need 0 < min_alpha <= alpha, got alpha={self.alpha}, min_alpha={self.min_alpha}")
        if self.workers > 1 and not str(self.device or "cpu").startswith("cpu"):
            raise ValueError(f"workers > 1 trains on the CPU; got device={self.device!r}: use workers=1 on a GPU")
        if self.compile not in (None, True, False):
            raise ValueError(f"compile must be True, False or None (decide by corpus size), got {self.compile!r}")

    def fit(self, sentences: Iterable[Sequence[str]]) -> "Word2Vec":
        """Build the vocabulary of ``sentences`` (lists of tokens) and train the vectors."""
        import torch
        self._check_params()
        sentences = sentences if isinstance(sentences, Sequence) else list(sentences)
        start = time.perf_counter()
        words, counts = build_vocab(sentences, self.min_count, self.max_vocab)
        corpus = Corpus.encode(sentences, {w: i for i, w in enumerate(words)})
        threads = torch.get_num_threads()
        if self.workers > 1 or self.num_threads:
            torch.set_num_threads(1 if self.workers > 1 else self.num_threads)
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
        large = device.type == "cpu" and len(corpus) * self.epochs >= COMPILE_FROM_WORDS
        step = self._step(W_in, W_out, compile_it=large if self.compile is None else self.compile)

        def train(number: int) -> tuple[float, int]:
            return self._train_chunk(W_in, W_out, step, *tasks[number])

        if self.workers == 1:
            results = [train(number) for number in range(len(tasks))]
        else:
            results = hogwild(train, len(tasks), self.workers, W_in, W_out)
        self.loss_history_ = [loss / n for loss, n in results if n]
        if not self.loss_history_:
            raise ValueError("no training pairs: the sentences need at least two known words each "
                             "(lower min_count or pass longer sentences)")
        return W_in.cpu().numpy()

    def _step(self, W_in, W_out, compile_it: bool):
        """The SGD step function, compiled with ``torch.compile`` when ``compile_it`` (and it works)."""
        import torch
        step = skipgram_step if self.sg else cbow_step
        self.compiled_ = False
        if not compile_it:
            return step
        compiled = torch.compile(step, dynamic=False, fullgraph=True)
        try:                                      # compile now, on a batch of padding that changes nothing
            compiled(W_in, W_out, *self._padding_batch(W_in.device), torch.tensor(self.alpha, device=W_in.device))
        except Exception as error:                # noqa: BLE001 - any compiler failure means: run uncompiled
            if self.compile:
                raise RuntimeError(f"torch.compile failed ({error}); pass compile=False to train without it") from error
            warnings.warn(f"torch.compile failed, training without it: {str(error).splitlines()[0]}", stacklevel=3)
            return step
        self.compiled_ = True
        return compiled

    def _padding_batch(self, device):
        import torch
        n_targets = 1 + self.negative
        shapes = [(self.batch_size,)] if self.sg else [(self.batch_size, 2 * self.window)] * 2
        shapes += [(self.batch_size, n_targets)] * 2
        dtypes = [torch.int64] if self.sg else [torch.int64, torch.float32]
        dtypes += [torch.int64, torch.float32]
        return [torch.zeros(shape, dtype=dtype, device=device) for shape, dtype in zip(shapes, dtypes)]

    def _train_chunk(self, W_in, W_out, step, ids, sentence_of, span, seed) -> tuple[float, int]:
        """Subsample a chunk, form its examples and take SGD steps; returns (summed loss, examples)."""
        import torch
        rng = np.random.default_rng(seed)
        kept, kept_sentence = subsample(ids, sentence_of, self._keep, rng)
        centres, contexts = window_pairs(kept_sentence, self.window, rng, sort=not self.sg)
        if self.sg:
            examples = skipgram_examples(kept, centres, contexts, self._noise, self.negative, rng)
        else:
            examples = cbow_examples(kept, centres, contexts, self.window, self._noise, self.negative, rng)
        n_examples, size = len(examples[0]), self.batch_size
        if not n_examples:
            return 0.0, 0
        batches = [torch.from_numpy(a).to(W_in.device) for a in pad_rows(examples, size)]
        n_batches = len(batches[0]) // size
        progress = span[0] + (span[1] - span[0]) * np.arange(n_batches) / n_batches
        lrs = np.maximum(self.min_alpha, self.alpha - (self.alpha - self.min_alpha) * progress)
        lrs = torch.from_numpy(lrs.astype(np.float32)).to(W_in.device)
        losses = [step(W_in, W_out, *(a[k * size:(k + 1) * size] for a in batches), lrs[k]) for k in range(n_batches)]
        return float(torch.stack(losses).sum()), n_examples


_HOGWILD_TASK = None        # what a forked worker runs: set by hogwild() before the fork


def _run_hogwild_task(number: int):
    return _HOGWILD_TASK(number)


def hogwild(train, n_tasks: int, workers: int, *weights) -> list:
    """``train(0)``, ..., ``train(n_tasks - 1)`` in ``workers`` processes updating ``weights`` at once (chapter 2).

    "Hogwild" (Recht et al., 2011): the weights sit in shared memory and every process writes
    its SGD steps into them without locks. Updates of different processes rarely touch the same
    rows at the same time, and when they do one is partly lost, which SGD shrugs off; the original
    word2vec and gensim train with threads in the same way. Tasks are handed out in order, so the
    learning rate still decays across the corpus. Results come back in task order. The processes
    are forked: they inherit ``train`` and everything it refers to (a compiled step included).
    """
    global _HOGWILD_TASK
    if "fork" not in multiprocessing.get_all_start_methods():
        raise RuntimeError("workers > 1 needs processes started by fork (Linux, macOS); use workers=1 here")
    for tensor in weights:
        if tensor.device.type != "cpu":
            raise ValueError(f"workers > 1 trains on the CPU; got weights on {tensor.device}: use workers=1 on a GPU")
        tensor.share_memory_()
    _HOGWILD_TASK = train
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_one_thread) as pool:
            return list(pool.imap(_run_hogwild_task, range(n_tasks)))
    finally:
        _HOGWILD_TASK = None


def _one_thread() -> None:
    import torch
    torch.set_num_threads(1)


def negative_sampling_update(W_out, hidden, targets, weights, lr):
    """The negative-sampling half of an SGD step, shared by skip-gram and CBOW (chapter 2).

    Scores each row's targets (the true word, then the noise words) against its ``hidden``
    vector, steps their output vectors in ``W_out`` in place, and returns the step for
    ``hidden`` (made with the output vectors from before the update, as in the original) and
    the summed loss -log σ(u_o·h) - Σ_k log σ(-u_k·h) over the weighted targets.
    """
    import torch
    u = W_out.index_select(0, targets.flatten()).view(*targets.shape, -1)   # (B, 1 + K, D)
    scores = torch.bmm(u, hidden.unsqueeze(2)).squeeze(2)           # (B, 1 + K)
    label = torch.zeros_like(scores)
    label[:, 0] = 1.0                                               # the true word; the rest are noise
    g = (label - torch.sigmoid(scores)) * weights * lr              # gradient ascent on log-likelihood
    W_out.index_add_(0, targets.flatten(), (g.unsqueeze(2) * hidden.unsqueeze(1)).flatten(0, 1))
    loss = -(weights * torch.nn.functional.logsigmoid((2 * label - 1) * scores)).sum()
    return torch.bmm(g.unsqueeze(1), u).squeeze(1), loss            # (B, D) computed with u before the update


def skipgram_step(W_in, W_out, centre, targets, weights, lr):
    """One SGD step of skip-gram on a batch of pairs, in place; returns the summed loss (chapter 2).

    ``centre`` (B,) holds the input words; ``targets`` (B, 1 + K) each pair's context word and
    K noise words; ``weights`` (B, 1 + K) is 1, or 0 for a target to skip (padding, or a noise
    word equal to the context word). A word that occurs several times in a batch receives the
    sum of its updates.
    """
    v = W_in.index_select(0, centre)                                # (B, D)
    dv, loss = negative_sampling_update(W_out, v, targets, weights, lr)
    W_in.index_add_(0, centre, dv)
    return loss


def cbow_step(W_in, W_out, context, context_weights, targets, weights, lr):
    """One SGD step of CBOW, in place: each centre predicted from the mean of its context (chapter 2).

    ``context`` (B, C) holds each centre's context words, ``context_weights`` (B, C) 1 for a real
    one and 0 for padding; ``targets`` and ``weights`` as in :func:`skipgram_step`, with the
    centre word first. Returns the summed loss.
    """
    count = context_weights.sum(1, keepdim=True).clamp(min=1)       # (B, 1)
    vectors = W_in.index_select(0, context.flatten()).view(*context.shape, -1)     # (B, C, D)
    h = (vectors * context_weights.unsqueeze(2)).sum(1) / count      # (B, D) mean of the context
    dh, loss = negative_sampling_update(W_out, h, targets, weights, lr)
    share = (dh / count).unsqueeze(1) * context_weights.unsqueeze(2)    # each context word's part of the step
    W_in.index_add_(0, context.flatten(), share.flatten(0, 1))
    return loss
