"""Chapter 10's four architectures offline: the published configs and their parameter counts, tokenizers
of each kind trained on a few reviews (template, padding, decoding, determinism), and tiny random
models through transformers' sequence-classification classes (logits, loss, gradients, shared layers)."""
from __future__ import annotations

import math
import random

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from nlpcourse.hf.tiny import (ARCHITECTURES, HUB_CHECKPOINTS, PUBLISHED_CONFIGS, architecture_table,  # noqa: E402
                               published_config, tiny_config, tiny_model, tiny_tokenizer)

# the parameters of AutoModel for each hub checkpoint, in millions
PUBLISHED_MILLIONS = {"bert": 109.5, "albert": 11.7, "distilbert": 66.4, "roberta": 124.6}
# (cls or <s>, sep or </s>, pad) ids
FRAME = {"bert": (2, 3, 0), "distilbert": (2, 3, 0), "albert": (2, 3, 0), "roberta": (0, 2, 1)}
UNCASED = ("bert", "albert", "distilbert")


def reviews(n: int = 200, seed: int = 0) -> list[str]:
    """``n`` short movie-review sentences, the same ones every time."""
    openers = ["", "Honestly, ", "To be fair, ", "Sadly, ", "In the end, ", "Frankly, "]
    subjects = ["the film", "this movie", "the plot", "the acting", "the director", "her performance",
                "the soundtrack", "the ending", "the script", "every scene", "the cast", "the sequel"]
    verbs = ["was", "felt", "seemed", "is", "looked", "sounded"]
    qualities = ["wonderful", "boring", "brilliant", "terrible", "surprisingly good", "far too long", "moving",
                 "predictable", "hilarious", "a complete mess", "quite beautiful", "painfully slow",
                 "utterly forgettable", "a real joy", "overrated"]
    closers = [".", "!", ", I think.", " and I loved it.", " but I didn't care.", ", which surprised me.",
               " from start to finish.", " - watch it twice!", " - seven out of ten."]
    rng = random.Random(seed)
    sentences = []
    for _ in range(n):
        sentence = (rng.choice(openers) + rng.choice(subjects) + " " + rng.choice(verbs) + " "
                    + rng.choice(qualities) + rng.choice(closers))
        sentences.append(sentence[0].upper() + sentence[1:])
    return sentences


TEXTS = reviews()
BATCH = ["A great film.", "The plot was thin, but the acting saved it in the end.", "Meh",
         "I laughed, I cried; I would watch it again tomorrow!"]
LABELS = [1, 0, 0, 1]


@pytest.fixture(scope="module")
def toks() -> dict:
    return {arch: tiny_tokenizer(arch, TEXTS) for arch in ARCHITECTURES}


def n_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


# --- published configs -----------------------------------------------------------------------------------

def test_published_configs_build_the_right_classes():
    classes = {"bert": "BertConfig", "albert": "AlbertConfig", "distilbert": "DistilBertConfig",
               "roberta": "RobertaConfig"}
    for arch in ARCHITECTURES:
        config = published_config(arch)
        assert type(config).__name__ == classes[arch]
        for name, value in PUBLISHED_CONFIGS[arch].items():
            assert getattr(config, name) == value, (arch, name)
    assert published_config("distilbert").hidden_size == 768        # transformers maps dim to hidden_size
    roberta = published_config("roberta")
    assert (roberta.pad_token_id, roberta.max_position_embeddings, roberta.type_vocab_size) == (1, 514, 1)


def test_architecture_table_counts_parameters():
    table = architecture_table()
    assert list(table.index) == list(ARCHITECTURES)
    assert table["checkpoint"].to_dict() == HUB_CHECKPOINTS
    for arch, millions in PUBLISHED_MILLIONS.items():
        assert table.loc[arch, "parameters"] == pytest.approx(millions * 1e6, rel=0.01), arch
    assert table.loc["albert", "parameters"] < table.loc["bert", "parameters"] / 5
    assert table["embedding size"].to_dict() == {"bert": 768, "albert": 128, "distilbert": 768, "roberta": 768}
    assert table["distinct layer weights"].to_dict() == {"bert": 12, "albert": 1, "distilbert": 6, "roberta": 12}
    assert table["layers"].to_dict() == {"bert": 12, "albert": 12, "distilbert": 6, "roberta": 12}
    assert table["vocabulary"].to_dict() == {"bert": 30522, "albert": 30000, "distilbert": 30522, "roberta": 50265}
    assert table.loc["roberta", "max positions"] == 514
    assert set(table["feed-forward size"]) == {3072} and set(table["heads"]) == {12}
    assert table.loc["albert", "tokenizer"] == "SentencePiece unigram, uncased"
    assert table.loc["roberta", "pretraining"] == "MLM only, dynamic masking, 10x the data"


# --- tokenizers --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_tokenizer_template_and_padding(toks, arch):
    tok = toks[arch]
    first, last, pad = FRAME[arch]
    assert (tok.pad_token_id, tok.model_max_length, tok.padding_side) == (pad, 512, "right")
    assert 100 < len(tok) <= 1000
    enc = tok(BATCH, padding=True)
    assert ("token_type_ids" in enc) == (arch in ("bert", "albert"))
    width = len(enc["input_ids"][0])
    for ids, mask in zip(enc["input_ids"], enc["attention_mask"]):
        length = sum(mask)
        assert len(ids) == width and mask == [1] * length + [0] * (width - length)     # padded on the right
        assert ids[0] == first and ids[length - 1] == last and ids[length:] == [pad] * (width - length)
        assert first not in ids[1:length - 1] and last not in ids[1:length - 1]
    assert max(map(sum, enc["attention_mask"])) == width
    tokens = tok.convert_ids_to_tokens(tok("A great film.")["input_ids"])
    assert (tokens[0], tokens[-1]) == (("<s>", "</s>") if arch == "roberta" else ("[CLS]", "[SEP]"))


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_tokenizer_pairs(toks, arch):
    tok = toks[arch]
    first, last, _ = FRAME[arch]
    a = tok("the plot", add_special_tokens=False)["input_ids"]
    b = tok("the cast", add_special_tokens=False)["input_ids"]
    enc = tok("the plot", "the cast")
    if arch == "roberta":
        assert enc["input_ids"] == [first, *a, last, last, *b, last]
    else:
        assert enc["input_ids"] == [first, *a, last, *b, last]
    if arch in ("bert", "albert"):
        assert enc["token_type_ids"] == [0] * (len(a) + 2) + [1] * (len(b) + 1)


@pytest.mark.parametrize("arch", UNCASED)
def test_uncased_tokenizers_decode_to_lowercased_text(toks, arch):
    tok = toks[arch]
    for text in TEXTS[:30] + ["The SCRIPT was predictable, but I loved it!"]:
        ids = tok(text)["input_ids"]
        assert tok.unk_token_id not in ids
        assert tok.decode(ids, skip_special_tokens=True) == text.lower()
    assert tok.decode(tok("Très naïve")["input_ids"], skip_special_tokens=True) == "tres naive"    # no accents
    assert tok("GREAT film")["input_ids"] == tok("great film")["input_ids"]
    # WordPiece forgets where the spaces were: decoding puts one around each punctuation mark, then
    # glues back only the usual ones ("," "." "!" "?" "n't" ...); SentencePiece keeps the spaces
    decoded = tok.decode(tok("A slow-paced film")["input_ids"], skip_special_tokens=True)
    assert decoded == ("a slow - paced film" if arch in ("bert", "distilbert") else "a slow-paced film")


def test_wordpiece_and_unigram_pieces(toks):
    bert = toks["bert"].tokenize("unforgettable")
    assert len(bert) > 1 and all(piece.startswith("##") for piece in bert[1:])
    albert = toks["albert"].tokenize("the plot")
    assert albert[0].startswith("▁") and any(piece.startswith("▁") for piece in albert[1:])


def test_roberta_is_cased_byte_level_and_round_trips(toks):
    tok = toks["roberta"]
    for text in TEXTS[:30] + ["Ça m'a plu 😀 — très bien, naïve Zoë!", "  two  spaces\tand a tab\n", "日本語の映画"]:
        ids = tok(text)["input_ids"]
        assert tok.unk_token_id not in ids
        assert tok.decode(ids, skip_special_tokens=True) == text
    assert tok("Great film")["input_ids"] != tok("great film")["input_ids"]
    assert "Ġ" in "".join(tok.tokenize("the film"))          # a space is a byte of the next word


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_tokenizer_training_is_deterministic(toks, arch):
    for _ in range(2):
        again = tiny_tokenizer(arch, TEXTS)
        assert again.get_vocab() == toks[arch].get_vocab()
        assert again(BATCH, padding=True)["input_ids"] == toks[arch](BATCH, padding=True)["input_ids"]
    assert tiny_tokenizer(arch, TEXTS[:100]).get_vocab() != toks[arch].get_vocab()


def test_vocab_size_caps_the_vocabulary(toks):
    for arch, size in [("bert", 150), ("albert", 100), ("roberta", 300)]:
        assert len(tiny_tokenizer(arch, TEXTS, vocab_size=size)) <= size < len(toks[arch])


def test_tokenizer_input_checks():
    with pytest.raises(TypeError, match="single string"):
        tiny_tokenizer("bert", "a single string")
    with pytest.raises(ValueError, match="empty"):
        tiny_tokenizer("bert", [])
    with pytest.raises(TypeError, match="strings"):
        tiny_tokenizer("bert", ["fine", 3])
    with pytest.raises(TypeError, match="list of strings"):
        tiny_tokenizer("bert", 42)
    assert tiny_tokenizer("bert", (text for text in TEXTS)).get_vocab() == tiny_tokenizer("bert", TEXTS).get_vocab()
    with pytest.raises(ValueError, match="vocab_size"):
        tiny_tokenizer("bert", TEXTS, vocab_size=0)


@pytest.mark.parametrize("bad", ["gpt2", "BERT", "", None])
def test_unknown_architecture(toks, bad):
    valid = "'bert', 'albert', 'distilbert', 'roberta'"
    for call in (lambda: tiny_tokenizer(bad, TEXTS), lambda: tiny_config(bad, toks["bert"]),
                 lambda: tiny_model(bad, toks["bert"]), lambda: published_config(bad)):
        with pytest.raises(ValueError, match="arch") as error:
            call()
        assert valid in str(error.value)


# --- tiny models -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_tiny_config(toks, arch):
    tok = toks[arch]
    config = tiny_config(arch, tok, num_labels=3)
    assert type(config) is type(published_config(arch))
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads) == (32, 2, 2)
    assert getattr(config, "intermediate_size", getattr(config, "hidden_dim", None)) == 37
    assert config.vocab_size == len(tok) and config.pad_token_id == tok.pad_token_id and config.num_labels == 3
    assert config.max_position_embeddings == (514 if arch == "roberta" else 512)
    if arch == "albert":
        assert config.embedding_size == 16
    if arch in ("albert", "roberta"):
        assert (config.bos_token_id, config.eos_token_id) == (tok.bos_token_id, tok.eos_token_id)
        assert (config.bos_token_id, config.eos_token_id) == (tok.cls_token_id, tok.sep_token_id)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_tiny_model_forward_loss_and_gradients(toks, arch):
    tok = toks[arch]
    model = tiny_model(arch, tok)
    assert type(model).__name__.endswith("ForSequenceClassification")
    batch = tok(BATCH, padding=True, return_tensors="pt")
    logits = model(**batch).logits
    assert logits.shape == (len(BATCH), 2) and torch.isfinite(logits).all()
    out = model(**batch, labels=torch.tensor(LABELS))
    assert out.loss.ndim == 0 and math.isfinite(out.loss.item())
    out.loss.backward()
    for name, param in model.named_parameters():
        if param.requires_grad:
            assert param.grad is not None and torch.isfinite(param.grad).all(), name
    assert model.get_input_embeddings().weight.grad.abs().sum() > 0


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_padding_does_not_change_logits(toks, arch):
    tok = toks[arch]
    model = tiny_model(arch, tok).eval()
    with torch.no_grad():
        batched = model(**tok(BATCH, padding=True, return_tensors="pt")).logits
        alone = torch.cat([model(**tok(text, return_tensors="pt")).logits for text in BATCH])
    torch.testing.assert_close(batched, alone, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_same_seed_same_weights(toks, arch):
    first, again, other = (tiny_model(arch, toks[arch], seed=seed).state_dict() for seed in (0, 0, 1))
    assert all(torch.equal(first[name], again[name]) for name in first)
    assert not all(torch.equal(first[name], other[name]) for name in first)


def test_albert_shares_its_layer(toks):
    from transformers import AutoModelForSequenceClassification

    def count(arch, layers):
        config = tiny_config(arch, toks[arch])
        config.num_hidden_layers = layers
        return n_params(AutoModelForSequenceClassification.from_config(config))

    assert count("albert", 2) == count("albert", 6)
    assert count("bert", 6) > count("bert", 2)
    assert n_params(tiny_model("albert", toks["albert"])) < n_params(tiny_model("bert", toks["bert"]))


def test_distilbert_takes_no_token_type_ids(toks):
    import inspect

    tok = toks["distilbert"]
    batch = tok(BATCH, padding=True, return_tensors="pt")
    assert set(batch) == {"input_ids", "attention_mask"}
    model = tiny_model("distilbert", tok)
    assert "token_type_ids" not in inspect.signature(model.forward).parameters
    assert not any("token_type" in name for name, _ in model.named_parameters())
    bert = tiny_model("bert", toks["bert"])
    assert "token_type_ids" in inspect.signature(bert.forward).parameters
    assert any("token_type" in name for name, _ in bert.named_parameters())
