"""GPT of chapter 9 against Hugging Face's GPT-2: logits, gradients, greedy generation, sampling filters;
the key-value cache against the full recomputation; training, errors and the timing helpers."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from nlpcourse.layers.transformer import TransformerEncoderBlock, gelu_tanh  # noqa: E402
from nlpcourse.models.gpt_mini import (GPT, GPTConfig, filter_logits, from_hf_state, load_hf_gpt2,  # noqa: E402
                                       next_token_targets)

from helpers import overfit  # noqa: E402

VOCAB, POSITIONS = 97, 32
SIZES = dict(vocab_size=VOCAB, n_positions=POSITIONS, n_embd=32, n_layer=2, n_head=4)


def hf_twins(seed: int = 0, **sizes):
    """A random Hugging Face GPT-2 (no dropout, eval mode) and our GPT with its weights."""
    torch.manual_seed(seed)
    config = transformers.GPT2Config(**(SIZES | sizes), resid_pdrop=0, embd_pdrop=0, attn_pdrop=0,
                                     bos_token_id=None, eos_token_id=None, pad_token_id=0)
    theirs = transformers.GPT2LMHeadModel(config).eval()
    return GPT.from_hf(theirs).eval(), theirs


def random_ids(batch: int = 3, steps: int = 20, seed: int = 1):
    return torch.randint(0, VOCAB, (batch, steps), generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope="module")
def twins():
    return hf_twins()


def test_logits_equal_hugging_faces_gpt2(twins):
    ours, theirs = twins
    ids = random_ids()
    logits, loss = ours(ids)
    assert logits.shape == (3, 20, VOCAB) and loss is None
    assert torch.allclose(logits, theirs(ids).logits, atol=1e-5)


@pytest.mark.parametrize("side", ["left", "right"])
def test_padded_rows_give_their_unpadded_logits_as_in_hugging_face(twins, side):
    ours, theirs = twins
    ids, lengths = random_ids(), torch.tensor([20, 12, 5])
    real = torch.arange(20)[None] < lengths[:, None]                               # (B, T) True at real tokens
    if side == "left":
        real = real.flip(1)
    padding = ~real
    logits, _ = ours(ids.masked_fill(padding, 0), padding=padding)
    positions = ((real.long().cumsum(1) - 1).clamp(min=0))
    expected = theirs(ids.masked_fill(padding, 0), attention_mask=real.long(), position_ids=positions).logits
    assert torch.allclose(logits[real], expected[real], atol=1e-5)
    for row in range(3):
        alone, _ = ours(ids[row:row + 1, real[row]])
        assert torch.allclose(logits[row, real[row]], alone[0], atol=1e-5)


def test_loss_and_every_gradient_equal_hugging_faces(twins):
    ours, theirs = twins
    ids = random_ids()
    _, loss = ours(ids, next_token_targets(ids))
    expected = theirs(ids, labels=ids).loss
    assert torch.allclose(loss, expected, atol=1e-5)
    ours.zero_grad(), theirs.zero_grad()
    loss.backward(), expected.backward()
    their_grads = from_hf_state({name: p.grad for name, p in theirs.named_parameters()})
    our_grads = {name: p.grad for name, p in ours.named_parameters()}
    assert our_grads.keys() == their_grads.keys()
    for name, grad in our_grads.items():
        assert torch.allclose(grad, their_grads[name], atol=1e-5), name


def test_the_loss_leaves_out_targets_of_minus_100(twins):
    ours, _ = twins
    ids = random_ids()
    targets = next_token_targets(ids, padding=torch.arange(20)[None] >= torch.tensor([[20], [12], [5]]))
    assert (targets[:, -1] == -100).all() and (targets[1, 11:] == -100).all() and (targets[2, :4] != -100).all()
    logits, loss = ours(ids, targets)
    kept = targets != -100
    assert torch.allclose(loss, F.cross_entropy(logits[kept], targets[kept]), atol=1e-6)


def test_the_cache_gives_the_logits_of_the_full_recomputation():
    ours, _ = hf_twins(seed=3)
    ids = random_ids(steps=POSITIONS, seed=4)
    expected, _ = ours(ids)
    logits, cache = ours.forward_cached(ids[:, :7])                                 # a prompt of 7 tokens
    pieces = [logits]
    for t in range(7, 12, 5):                                                        # 5 at once
        logits, cache = ours.forward_cached(ids[:, t:t + 5], cache)
        pieces.append(logits)
    for t in range(12, POSITIONS):                                                   # then one at a time
        logits, cache = ours.forward_cached(ids[:, t:t + 1], cache)
        pieces.append(logits)
    assert len(cache) == 2 and cache[0][0].shape == (3, 4, POSITIONS, 8)
    assert torch.allclose(torch.cat(pieces, dim=1), expected, atol=1e-5)
    with pytest.raises(ValueError, match="33 tokens .32 cached . 1 new. exceed n_positions=32"):
        ours.forward_cached(ids[:, :1], cache)


def test_greedy_generation_equals_hugging_faces_generate(twins):
    ours, theirs = twins
    prompt = random_ids(steps=6, seed=5)
    ones = torch.ones_like(prompt)
    expected = theirs.generate(prompt, attention_mask=ones, do_sample=False, max_new_tokens=12, pad_token_id=0)
    for use_cache in (True, False):
        assert torch.equal(ours.generate(prompt, 12, temperature=0, use_cache=use_cache), expected)
    eos = int(expected[0, 9])                            # a token the first row writes: it stops there
    expected = theirs.generate(prompt, attention_mask=ones, do_sample=False, max_new_tokens=12, eos_token_id=eos,
                               pad_token_id=eos)
    assert torch.equal(ours.generate(prompt, 12, temperature=0, eos_id=eos), expected)


def test_seeded_sampling_is_the_same_with_and_without_the_cache(twins):
    ours, _ = twins
    prompt = random_ids(steps=4, seed=6)
    runs = [ours.generate(prompt, 20, temperature=1.3, top_k=20, top_p=0.9, use_cache=use_cache,
                          generator=torch.Generator().manual_seed(7)) for use_cache in (True, False, True)]
    assert runs[0].shape == (3, 24) and torch.equal(runs[0][:, :4], prompt)
    assert torch.equal(runs[0], runs[1]) and torch.equal(runs[0], runs[2])
    other = ours.generate(prompt, 20, temperature=1.3, generator=torch.Generator().manual_seed(8))
    assert not torch.equal(other, runs[0])


def test_filter_logits_equals_hugging_faces_top_k_and_top_p_warpers():
    from transformers.generation.logits_process import TopKLogitsWarper, TopPLogitsWarper
    logits = torch.randn(64, 50, generator=torch.Generator().manual_seed(0)) * 3
    logits[0, :5] = logits[0, 5]                                                     # ties at the top
    for top_k in (None, 1, 5, 50, 80):
        for top_p in (None, 0.01, 0.3, 0.9, 1.0):
            expected = logits
            if top_k is not None:
                expected = TopKLogitsWarper(top_k)(None, expected)
            if top_p is not None:
                expected = TopPLogitsWarper(top_p)(None, expected)
            assert torch.equal(filter_logits(logits, top_k, top_p), expected), (top_k, top_p)
    kept = filter_logits(logits, top_p=1e-6).isfinite().sum(dim=-1)
    assert kept.min() >= 1 and kept[1:].max() == 1, "the most likely token always stays"


def test_a_tiny_gpt_overfits_one_batch():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=20, n_positions=16, n_embd=32, n_layer=2, n_head=2, dropout=0.0))
    ids = torch.randint(0, 20, (4, 16))
    losses = overfit(model, (ids, next_token_targets(ids)), torch.optim.AdamW(model.parameters(), lr=3e-3), steps=100)
    assert losses[0] > 2.5 and losses[-1] < 0.2 * losses[0], (losses[0], losses[-1])


def test_gelu_tanh_is_gpt2s_gelu_new_and_the_block_equals_pytorchs():
    from transformers.activations import NewGELUActivation
    x = torch.linspace(-6, 6, 101)
    assert torch.allclose(gelu_tanh(x), NewGELUActivation()(x), atol=1e-6)
    torch.manual_seed(0)
    theirs = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=gelu_tanh, batch_first=True,
                                        norm_first=True).double().eval()
    ours = TransformerEncoderBlock(8, 2, 16, dropout=0.0, activation="gelu_tanh", norm_first=True).double().eval()
    ours.load_state_dict(theirs.state_dict())
    src = torch.randn(2, 5, 8, dtype=torch.float64)
    future = nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    assert torch.allclose(ours(src, is_causal=True), theirs(src, src_mask=future, is_causal=True), atol=1e-10)


def test_a_mismatched_checkpoint_lists_every_problem(twins):
    _, theirs = twins
    with pytest.raises(ValueError, match=r"(?s)12 missing, 0 unexpected, 0 of another shape.*blocks\.2\.norm1\.weight"):
        load_hf_gpt2(theirs, GPTConfig(**(SIZES | dict(n_layer=3))))
    with pytest.raises(ValueError, match=r"(?s)0 missing, 0 unexpected, 28 of another shape.*token_embed\.weight: "
                                         r"\(97, 32\) in the GPT2LMHeadModel, \(97, 48\) in the model"):
        load_hf_gpt2(theirs, GPTConfig(**(SIZES | dict(n_embd=48))))
    with pytest.raises(ValueError, match="pass config=GPTConfig.from_hf"):
        load_hf_gpt2(theirs.state_dict())
    state = dict(theirs.state_dict())
    state["lm_head.weight"] = state["lm_head.weight"] + 1
    with pytest.raises(ValueError, match="GPT ties them"):
        load_hf_gpt2(state, GPTConfig(**SIZES))
    assert GPTConfig.from_hf(theirs.config) == GPTConfig(**SIZES, dropout=0.0)
    assert GPTConfig.from_hf(GPTConfig(**SIZES).to_hf()) == GPTConfig(**SIZES)


def test_bad_arguments_are_explained(twins):
    ours, _ = twins
    bad_configs = [(dict(n_head=5), r"n_head \(5\) must divide n_embd \(32\)"), (dict(n_layer=0), "n_layer must be"),
                   (dict(dropout=1.0), r"dropout must be in \[0, 1\)"), (dict(activation="tanh"), "gelu_tanh")]
    for change, message in bad_configs:
        with pytest.raises(ValueError, match=message):
            GPTConfig(**(SIZES | change))
    with pytest.raises(ValueError, match="scale_attn_by_inverse_layer_idx=True is not supported"):
        GPTConfig.from_hf(transformers.GPT2Config(scale_attn_by_inverse_layer_idx=True))
    with pytest.raises(ValueError, match=r"33 tokens exceed n_positions=32.*idx\[:, -32:\]"):
        ours(random_ids(steps=33))
    with pytest.raises(ValueError, match=r"token ids must lie in \[0, 97\)"):
        ours(torch.tensor([[0, 97]]))
    prompt = random_ids(steps=4)
    calls = [(dict(max_new_tokens=0), "max_new_tokens must be"), (dict(temperature=-1.0), "temperature must be"),
             (dict(top_k=0), "top_k must be"), (dict(top_p=0.0), r"top_p must be in \(0, 1\]"),
             (dict(top_p=1.5), "top_p must be"), (dict(eos_id=VOCAB), "eos_id must be"),
             (dict(max_new_tokens=29), "a prompt of 4 tokens plus max_new_tokens=29 exceeds n_positions=32")]
    for change, message in calls:
        with pytest.raises(ValueError, match=message):
            ours.generate(prompt, **(dict(max_new_tokens=3) | change))


def test_the_timing_helpers_return_their_figures(twins):
    from nlpcourse.benchmarks.generation import forward_backward_time, gpt_and_hf_losses, kv_cache_speed
    ours, _ = twins
    speed = kv_cache_speed(ours, random_ids(steps=4), new_tokens=8, repeats=1)
    assert speed["same_tokens"] and speed["with_cache_tokens_per_s"] > 0 and speed["speedup"] > 0
    timing = forward_backward_time(*gpt_and_hf_losses(GPTConfig(**SIZES), batch_size=2, steps=8), repeats=1)
    assert timing["ours_s"] > 0 and timing["theirs_s"] > 0 and timing["ratio"] > 0
