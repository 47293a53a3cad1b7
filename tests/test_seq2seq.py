"""Encoder-decoders of chapter 8: attention layers, the GRU and Transformer models, greedy and beam search."""
from __future__ import annotations

import pytest
import torch

from nlpcourse.layers.attention import AdditiveAttention, DotProductAttention, scaled_dot_product_attention
from nlpcourse.models.configs import Seq2SeqConfig, TransformerSeq2SeqConfig
from nlpcourse.models.decoding import beam_search, greedy_decode, sequence_log_prob, translate
from nlpcourse.models.seq2seq import Seq2Seq
from nlpcourse.models.transformer_seq2seq import TransformerSeq2Seq
from nlpcourse.text.vocab import Vocab
from nlpcourse.data.translation import SPECIALS

SRC_V, TGT_V = 13, 11


def tiny(kind: str, seed: int = 0):
    torch.manual_seed(seed)
    if kind == "transformer":
        return TransformerSeq2Seq(TransformerSeq2SeqConfig(SRC_V, TGT_V, d_model=16, nhead=2, num_encoder_layers=2,
                                                           num_decoder_layers=2, dim_feedforward=32, dropout=0.0))
    return Seq2Seq(Seq2SeqConfig(SRC_V, TGT_V, embed_dim=8, hidden_size=12, attention=kind, attention_size=10,
                                 dropout=0.0))


KINDS = ["none", "bahdanau", "dot", "transformer"]


def batch(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([5, 3, 1, 4])
    src = torch.randint(4, SRC_V, (4, 5), generator=g)
    src[torch.arange(5)[None, :] >= lengths[:, None]] = 0
    tgt = torch.randint(4, TGT_V, (4, 6), generator=g)
    tgt[:, 0] = 2
    return src, lengths, tgt


def test_additive_attention_is_the_formula_and_respects_the_mask():
    torch.manual_seed(0)
    attention = AdditiveAttention(query_size=3, key_size=4, attention_size=5)
    query, values = torch.randn(2, 3), torch.randn(2, 6, 4)
    mask = torch.tensor([[True] * 6, [True, True, True, False, False, False]])
    context, weights = attention(query, attention.project_keys(values), values, mask)
    for b in range(2):
        scores = torch.stack([attention.score(torch.tanh(attention.query(query[b]) + attention.key(values[b, j])))[0]
                              for j in range(6)])
        scores[~mask[b]] = float("-inf")
        expected = torch.softmax(scores, dim=0)
        torch.testing.assert_close(weights[b], expected)
        torch.testing.assert_close(context[b], expected @ values[b])
    assert (weights[1, 3:] == 0).all()


def test_dot_product_attention_equals_chapter_7s_function():
    torch.manual_seed(0)
    attention = DotProductAttention(query_size=4, key_size=6)
    query, values = torch.randn(3, 4), torch.randn(3, 5, 6)
    mask = torch.ones(3, 5, dtype=torch.bool)
    mask[2, 2:] = False
    keys = attention.project_keys(values)
    context, weights = attention(query, keys, values, mask)
    out, expected = scaled_dot_product_attention(query[:, None], keys, values, mask[:, None, :])
    torch.testing.assert_close(weights, expected[:, 0])
    torch.testing.assert_close(context, out[:, 0])


@pytest.mark.parametrize("kind", KINDS)
def test_teacher_forcing_equals_decoding_step_by_step(kind):
    model = tiny(kind).eval()
    src, lengths, tgt = batch()
    logits, loss = model(src, lengths, tgt)
    assert logits.shape == (4, 6, TGT_V) and loss is None
    state, steps = model.encode(src, lengths), []
    for t in range(tgt.shape[1]):
        step_logits, state, _ = model.decode_step(state, tgt[:, t])
        steps.append(step_logits)
    torch.testing.assert_close(torch.stack(steps, dim=1), logits, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_source_padding_changes_nothing(kind):
    model = tiny(kind).eval()
    src, lengths, tgt = batch()
    wider = torch.cat([src, torch.zeros(4, 3, dtype=torch.long)], dim=1)
    torch.testing.assert_close(model(wider, lengths, tgt)[0], model(src, lengths, tgt)[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_the_loss_ignores_target_padding(kind):
    model = tiny(kind).eval()
    src, lengths, tgt = batch()
    targets = torch.randint(4, TGT_V, tgt.shape)
    targets[0, 4:] = -100
    logits, loss = model(src, lengths, tgt, targets=targets)
    keep = targets != -100
    expected = torch.nn.functional.cross_entropy(logits[keep], targets[keep])
    torch.testing.assert_close(loss, expected)


def test_the_transformer_decoder_is_causal():
    model = tiny("transformer").eval()
    src, lengths, tgt = batch()
    changed = tgt.clone()
    changed[:, 4] = (changed[:, 4] + 1 - 4) % (TGT_V - 4) + 4
    a, b = model(src, lengths, tgt)[0], model(src, lengths, changed)[0]
    torch.testing.assert_close(a[:, :4], b[:, :4])
    assert not torch.allclose(a[:, 4:], b[:, 4:])


@pytest.mark.parametrize("kind", ["bahdanau", "transformer"])
def test_a_model_learns_to_reverse_short_sequences(kind):
    """Overfitting a small copy task: the loss falls and greedy decoding writes the reversed source."""
    torch.manual_seed(0)
    model = tiny(kind)
    src = torch.randint(4, TGT_V, (32, 4))
    lengths = torch.full((32,), 4)
    out = src.flip(1)
    tgt_in = torch.cat([torch.full((32, 1), 2), out], dim=1)
    targets = torch.cat([out, torch.full((32, 1), 3)], dim=1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    first = None
    for _ in range(250):
        _, loss = model(src, lengths, tgt_in, targets=targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        first = first if first is not None else loss.item()
    assert loss.item() < 0.1 * first
    found = greedy_decode(model, src, lengths, max_len=8)
    assert sum(t == o.tolist() for t, o in zip(found.tokens, out)) >= 28


@pytest.mark.parametrize("kind", ["bahdanau", "transformer"])
def test_beam_width_one_is_greedy_and_scores_are_log_probabilities(kind):
    model = tiny(kind, seed=3)
    src, lengths, _ = batch(1)
    greedy = greedy_decode(model, src, lengths, max_len=7)
    beam1 = beam_search(model, src, lengths, beam_width=1, max_len=7)
    assert beam1.tokens == greedy.tokens
    assert beam1.scores == pytest.approx(greedy.scores, abs=1e-5)
    for found in (greedy, beam_search(model, src, lengths, beam_width=4, max_len=7)):
        finished = [i for i, f in enumerate(found.finished) if f]
        rescored = sequence_log_prob(model, src, lengths, found.tokens)
        assert [rescored[i] for i in finished] == pytest.approx([found.scores[i] for i in finished], abs=1e-4)


@pytest.mark.parametrize("kind", ["none", "bahdanau", "transformer"])
def test_beam_search_never_scores_below_greedy(kind):
    """Under the model (no length normalisation), the beam's best log-probability is at least greedy's,
    on 3 random models x 4 sentences x beam widths 2, 3 and 5."""
    for seed in range(3):
        model = tiny(kind, seed=seed)
        src, lengths, _ = batch(seed)
        greedy = greedy_decode(model, src, lengths, max_len=10)
        for width in (2, 3, 5):
            beam = beam_search(model, src, lengths, beam_width=width, max_len=10)
            assert all(b >= g - 1e-5 for b, g in zip(beam.scores, greedy.scores))


def test_decoding_stops_at_max_len_when_eos_never_comes():
    model = tiny("bahdanau")
    with torch.no_grad():
        model.output.bias[3] = -1e9                       # <eos> is never chosen
    src, lengths, _ = batch()
    for found in (greedy_decode(model, src, lengths, max_len=4), beam_search(model, src, lengths, 3, max_len=4)):
        assert all(len(t) == 4 for t in found.tokens) and not any(found.finished)


def test_bad_decoding_arguments_are_named():
    model = tiny("bahdanau")
    src, lengths, _ = batch()
    with pytest.raises(ValueError, match="beam_width"):
        beam_search(model, src, lengths, beam_width=0, max_len=5)
    with pytest.raises(ValueError, match="max_len"):
        greedy_decode(model, src, lengths, max_len=0)
    with pytest.raises(ValueError, match="length_penalty"):
        beam_search(model, src, lengths, beam_width=2, max_len=5, length_penalty=-1)
    with pytest.raises(ValueError, match="empty source sentence"):
        model.encode(src, torch.tensor([5, 3, 0, 4]))


def test_translate_handles_empty_and_unknown_sources():
    src_vocab = Vocab([["a", "b", "c"]] * 2, specials=SPECIALS)
    tgt_vocab = Vocab([["x", "y"]] * 2, specials=SPECIALS)
    torch.manual_seed(0)
    model = Seq2Seq(Seq2SeqConfig(len(src_vocab), len(tgt_vocab), embed_dim=4, hidden_size=4, attention_size=4))
    out = translate(model, [["zzz", "qqq"], ["a", "b"]], src_vocab, tgt_vocab, beam_width=2, max_len=6)
    assert len(out) == 2 and all(len(o) <= 6 for o in out)          # unknown words: the model guesses, and stops
    with pytest.raises(ValueError, match=r"sources\[1\] is empty"):
        translate(model, [["a"], []], src_vocab, tgt_vocab)
    with pytest.raises(TypeError, match="token lists"):
        translate(model, ["a b"], src_vocab, tgt_vocab)
    with pytest.raises(ValueError, match="beam_width"):
        translate(model, [["a"]], src_vocab, tgt_vocab, beam_width=0)


def test_bad_configs_are_named():
    with pytest.raises(ValueError, match="attention must be"):
        Seq2SeqConfig(10, 10, attention="luong")
    with pytest.raises(ValueError, match="src_vocab_size"):
        Seq2SeqConfig(3, 10)
    with pytest.raises(ValueError, match="divisible by nhead"):
        TransformerSeq2SeqConfig(10, 10, d_model=30, nhead=4)
