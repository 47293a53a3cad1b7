"""word2vec from scratch: corpus pieces against their definitions and gensim, learning, seeding, errors."""
from __future__ import annotations

import numpy as np
import pytest

from nlpcourse.embeddings.corpus import (Corpus, NoiseSampler, build_vocab, cbow_examples, keep_probabilities,
                                         noise_distribution, pad_rows, skipgram_examples, subsample,
                                         window_pairs)

torch = pytest.importorskip("torch")
gensim = pytest.importorskip("gensim")

from nlpcourse.embeddings.word2vec import Word2Vec, cbow_step, hogwild, skipgram_step  # noqa: E402
from nlpcourse.text.vectors import keyed_vectors  # noqa: E402


def topic_corpus(n_sentences: int = 1500, n_topics: int = 6, words_per_topic: int = 8, seed: int = 0):
    """Sentences whose words all come from one topic: words of a topic share their contexts."""
    rng = np.random.default_rng(seed)
    topics = [[f"t{t}w{i}" for i in range(words_per_topic)] for t in range(n_topics)]
    sentences = []
    for _ in range(n_sentences):
        topic = topics[rng.integers(n_topics)]
        sentences.append([topic[i] for i in rng.integers(words_per_topic, size=12)])
    return sentences, topics


def topic_separation(kv, topics) -> float:
    """Mean cosine within topics minus mean cosine across topics."""
    words = [w for t in topics for w in t]
    unit = kv[words] / np.linalg.norm(kv[words], axis=1, keepdims=True)
    sims = unit @ unit.T
    label = np.repeat(np.arange(len(topics)), len(topics[0]))
    same = (label[:, None] == label[None, :]) & ~np.eye(len(words), dtype=bool)
    return float(sims[same].mean() - sims[label[:, None] != label[None, :]].mean())


def test_build_vocab_sorts_by_count_and_applies_min_count():
    words, counts = build_vocab([["b", "a", "b", "c"], ["a", "b", "d", "d"]], min_count=2)
    assert words == ["b", "a", "d"] and counts.tolist() == [3, 2, 2]
    with pytest.raises(TypeError, match="tokenize"):
        build_vocab(["a sentence as a string"])
    with pytest.raises(ValueError, match="min_count"):
        build_vocab([["a"]], min_count=2)


def test_keep_probabilities_equal_gensims():
    sentences, _ = topic_corpus(200)
    sentences = [s + ["the"] * 6 + ["rare"] * (i % 2) for i, s in enumerate(sentences)]
    words, counts = build_vocab(sentences, min_count=1)
    model = gensim.models.Word2Vec(vector_size=4, min_count=1, sample=1e-3)
    model.build_vocab(sentences)
    assert sorted(model.wv.index_to_key) == sorted(words)  # ties may be ordered differently
    theirs = np.array([model.wv.get_vecattr(w, "sample_int") for w in words]) / 2**32
    assert np.allclose(keep_probabilities(counts, 1e-3), theirs, atol=1e-6)
    assert keep_probabilities(counts, 0).tolist() == [1.0] * len(counts)


def test_noise_sampler_follows_unigram_to_the_three_quarters():
    counts = np.array([1000, 100, 10, 1])
    p = noise_distribution(counts)
    assert np.allclose(p, counts ** 0.75 / (counts ** 0.75).sum())
    draws = NoiseSampler(counts)(np.random.default_rng(0), (200_000,))
    freq = np.bincount(draws, minlength=4) / draws.size
    assert np.allclose(freq, p, atol=0.005)


def test_window_pairs_match_brute_force_and_stay_in_sentences():
    sentence_of = np.array([0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 2])
    window = 3
    centres, contexts = window_pairs(sentence_of, window, np.random.default_rng(5))
    reach = np.random.default_rng(5).integers(1, window + 1, size=len(sentence_of))
    expected = sorted((i, j) for i in range(len(sentence_of)) for j in range(len(sentence_of))
                      if i != j and abs(i - j) <= reach[i] and sentence_of[i] == sentence_of[j])
    assert sorted(zip(centres.tolist(), contexts.tolist())) == expected
    assert np.all(np.diff(centres) >= 0), "sorted by centre"
    with pytest.raises(ValueError, match="window"):
        window_pairs(sentence_of, 0, np.random.default_rng(0))


def test_chunks_cover_the_corpus_between_sentences():
    corpus = Corpus.encode([["a", "b", "zz"], ["b"], ["a", "a", "b", "b"]], {"a": 0, "b": 1})
    assert corpus.ids.tolist() == [0, 1, 1, 0, 0, 1, 1] and corpus.offsets.tolist() == [0, 2, 3, 7]
    pieces = list(corpus.chunks(3))
    assert np.concatenate([ids for ids, _ in pieces]).tolist() == corpus.ids.tolist()
    assert np.concatenate([s for _, s in pieces]).tolist() == [0, 0, 1, 2, 2, 2, 2]


def test_subsampling_drops_frequent_words():
    ids = np.array([0] * 9000 + [1] * 5)
    keep = keep_probabilities(np.array([9000, 5]), 1e-3)
    assert keep[0] < 0.05 and keep[1] == 1.0
    kept, _ = subsample(ids, np.zeros_like(ids), keep, np.random.default_rng(0))
    assert abs((kept == 0).sum() / 9000 - keep[0]) < 0.01 and (kept == 1).sum() == 5


def test_examples_hold_every_pair_its_noise_words_and_their_weights():
    kept = np.array([7, 3, 7, 5, 9])
    centres, contexts = window_pairs(np.zeros(5, int), 2, np.random.default_rng(0))
    noise = NoiseSampler(np.array([5, 5, 5, 5, 5, 5, 5, 5, 5, 5]))
    inputs, targets, weights = skipgram_examples(kept, centres, contexts, noise, 3, np.random.default_rng(1))
    assert inputs.tolist() == kept[centres].tolist() and targets[:, 0].tolist() == kept[contexts].tolist()
    assert targets.shape == weights.shape == (len(centres), 4) and np.all(weights[:, 0] == 1)
    assert np.array_equal(weights[:, 1:] == 0, targets[:, 1:] == targets[:, :1]), "a noise word equal to the word is skipped"
    context, context_weights, targets, weights = cbow_examples(kept, centres, contexts, 2, noise, 3,
                                                               np.random.default_rng(1))
    assert context.shape == context_weights.shape == (5, 4) and targets[:, 0].tolist() == kept.tolist()
    for row, centre in enumerate(range(5)):
        expected = sorted(kept[contexts[centres == centre]].tolist())
        assert sorted(context[row][context_weights[row] == 1].tolist()) == expected
    padded = pad_rows([inputs, targets[:len(inputs)]], 8)
    assert len(padded[0]) % 8 == 0 and len(padded[0]) - len(inputs) < 8 and np.all(padded[1][len(inputs):] == 0)


def test_skipgram_step_applies_the_negative_sampling_gradient():
    rng = np.random.default_rng(1)
    W_in, W_out = torch.tensor(rng.normal(size=(3, 5))), torch.tensor(rng.normal(size=(4, 5)))
    v, u = W_in[2].clone().requires_grad_(), W_out[[0, 1, 3]].clone().requires_grad_()
    loss = -torch.nn.functional.logsigmoid(u[0] @ v) - torch.nn.functional.logsigmoid(-(u[1:] @ v)).sum()
    loss.backward()
    before_in, before_out = W_in.clone(), W_out.clone()
    # a second row of padding (weight 0) changes nothing
    got_loss = skipgram_step(W_in, W_out, torch.tensor([2, 0]), torch.tensor([[0, 1, 3], [0, 0, 0]]),
                             torch.tensor([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]), 0.5)
    assert abs(float(got_loss) - loss.item()) < 1e-9
    assert torch.allclose(W_in[2] - before_in[2], -0.5 * v.grad) and torch.equal(W_in[:2], before_in[:2])
    assert torch.allclose(W_out[[0, 1, 3]] - before_out[[0, 1, 3]], -0.5 * u.grad)
    assert torch.equal(W_out[2], before_out[2])


def test_cbow_step_applies_the_gradient_of_the_context_mean():
    rng = np.random.default_rng(2)
    W_in, W_out = torch.tensor(rng.normal(size=(6, 4))), torch.tensor(rng.normal(size=(5, 4)))
    context = W_in[[1, 3, 4]].clone().requires_grad_()
    u = W_out[[0, 2, 4]].clone().requires_grad_()
    h = context.mean(0)
    loss = -torch.nn.functional.logsigmoid(u[0] @ h) - torch.nn.functional.logsigmoid(-(u[1:] @ h)).sum()
    loss.backward()
    before_in, before_out = W_in.clone(), W_out.clone()
    got_loss = cbow_step(W_in, W_out, torch.tensor([[1, 3, 4, 0]]), torch.tensor([[1.0, 1.0, 1.0, 0.0]]),
                         torch.tensor([[0, 2, 4]]), torch.ones(1, 3, dtype=torch.float64), 0.5)
    assert abs(float(got_loss) - loss.item()) < 1e-9
    assert torch.allclose(W_in[[1, 3, 4]] - before_in[[1, 3, 4]], -0.5 * context.grad)
    assert torch.equal(W_in[[0, 2, 5]], before_in[[0, 2, 5]]), "padding and other words untouched"
    assert torch.allclose(W_out[[0, 2, 4]] - before_out[[0, 2, 4]], -0.5 * u.grad)


@pytest.mark.parametrize("sg", [1, 0], ids=["skip-gram", "cbow"])
def test_learns_planted_topics_like_gensim(sg):
    sentences, topics = topic_corpus()
    params = dict(vector_size=20, window=3, negative=5, min_count=1, epochs=5, sg=sg, seed=0,
                  sample=0, alpha=0.025 if sg else 0.05)
    ours = Word2Vec(batch_size=256, **params).fit(sentences)
    theirs = gensim.models.Word2Vec(sentences, workers=1, **params)
    ours_sep, theirs_sep = topic_separation(ours.wv, topics), topic_separation(theirs.wv, topics)
    assert ours_sep > 0.5, ours_sep
    assert ours_sep > theirs_sep - 0.2, (ours_sep, theirs_sep)
    top = [w for w, _ in ours.wv.most_similar("t0w0", topn=5)]
    assert all(w.startswith("t0") for w in top), top
    assert ours.loss_history_[-1] < ours.loss_history_[0]


def test_seeded_training_is_repeatable():
    sentences, _ = topic_corpus(300)
    fit = lambda seed: Word2Vec(vector_size=10, min_count=1, epochs=2, seed=seed, batch_size=128).fit(sentences).wv.vectors
    first, again, other = fit(3), fit(3), fit(4)
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert np.all(np.isfinite(first))


def test_bad_parameters_and_inputs_raise_clear_errors():
    sentences, _ = topic_corpus(20)
    with pytest.raises(ValueError, match="sg must be"):
        Word2Vec(sg=2).fit(sentences)
    with pytest.raises(ValueError, match="window"):
        Word2Vec(window=0).fit(sentences)
    with pytest.raises(ValueError, match="min_alpha"):
        Word2Vec(alpha=0.01, min_alpha=0.1).fit(sentences)
    with pytest.raises(TypeError, match="tokenize"):
        Word2Vec(min_count=1).fit(["plain strings are not token lists"])
    with pytest.raises(ValueError, match="min_count"):
        Word2Vec(min_count=10_000).fit(sentences)
    with pytest.raises(ValueError, match="no training pairs"):
        Word2Vec(min_count=1).fit([["alone"], ["single"], ["alone"]])
    with pytest.raises(ValueError, match="workers"):
        Word2Vec(workers=0).fit(sentences)
    with pytest.raises(ValueError, match="compile must be"):
        Word2Vec(compile="yes").fit(sentences)
    with pytest.raises(ValueError, match="workers > 1 trains on the CPU"):
        Word2Vec(workers=2, device="cuda").fit(sentences)
    with pytest.raises(ValueError, match="workers > 1 trains on the CPU"):
        hogwild(lambda number: number, 1, 2, torch.zeros(1, device="meta"))
    with pytest.raises(ValueError, match="2 words but 1 vectors"):
        keyed_vectors(["a", "b"], np.zeros((1, 3)))


def test_hogwild_processes_train_the_shared_weights_and_learn():
    sentences, topics = topic_corpus()
    params = dict(vector_size=20, window=3, negative=5, min_count=1, epochs=5, seed=0, sample=0, batch_size=256)
    model = Word2Vec(workers=2, chunk_tokens=2000, **params).fit(sentences)
    single = Word2Vec(workers=1, chunk_tokens=2000, **params).fit(sentences)
    assert topic_separation(model.wv, topics) > 0.5
    assert len(model.loss_history_) == len(single.loss_history_) > 5, "every chunk of every epoch, in order"
    assert model.loss_history_[-1] < model.loss_history_[0]
    assert abs(model.loss_history_[-1] - single.loss_history_[-1]) < 0.1 * single.loss_history_[-1]


def test_compiled_steps_equal_plain_ones_and_seeded_compiled_training_repeats():
    """torch.compile fuses the step; it must take the same step, and a seeded run must repeat exactly."""
    rng = np.random.default_rng(3)
    size, dim, vocab = 256, 20, 50
    batch = [torch.from_numpy(rng.integers(0, vocab, size)), torch.from_numpy(rng.integers(0, vocab, (size, 6))),
             torch.from_numpy((rng.random((size, 6)) < 0.9).astype(np.float32))]
    lr = torch.tensor(0.025)
    weights = [torch.from_numpy(rng.normal(size=(vocab, dim)).astype(np.float32)) for _ in range(2)]
    plain = [w.clone() for w in weights]
    loss = torch.compile(skipgram_step, dynamic=False, fullgraph=True)(*weights, *batch, lr)
    plain_loss = skipgram_step(*plain, *batch, lr)
    assert torch.allclose(loss, plain_loss, rtol=1e-5)
    for ours, reference in zip(weights, plain):
        assert torch.allclose(ours, reference, atol=1e-6)
    context = [torch.from_numpy(rng.integers(0, vocab, (size, 4))),
               torch.from_numpy((rng.random((size, 4)) < 0.7).astype(np.float32))]
    loss = torch.compile(cbow_step, dynamic=False, fullgraph=True)(*weights, *context, *batch[1:], lr)
    assert torch.allclose(loss, cbow_step(*plain, *context, *batch[1:], lr), rtol=1e-5)
    for ours, reference in zip(weights, plain):
        assert torch.allclose(ours, reference, atol=1e-6)
    sentences, topics = topic_corpus(600)
    fit = lambda: Word2Vec(vector_size=dim, min_count=1, epochs=2, seed=3, batch_size=size, compile=True).fit(sentences)
    first, again = fit(), fit()
    assert first.compiled_ and np.array_equal(first.wv.vectors, again.wv.vectors)
