"""BERT, ALBERT, DistilBERT and RoBERTa as Hugging Face builds them, published sizes and tiny copies (chapter 10).

Chapter 10 fine-tunes four pretrained encoders on IMDB. Each comes from the hub as three files:
a ``config.json`` (the sizes), a tokenizer, and the weights. This module holds the first two for
each architecture and makes the rest runnable anywhere:

- :data:`PUBLISHED_CONFIGS` are the ``config.json`` values of the four hub checkpoints;
  :func:`published_config` turns one into its transformers config, and :func:`architecture_table`
  compares the four, with parameter counts computed from those configs (the models are built on
  PyTorch's ``meta`` device: shapes, no memory);
- :func:`tiny_tokenizer` trains, on a few sentences, a tokenizer of the architecture's kind
  (WordPiece for BERT and DistilBERT, a SentencePiece-style unigram model for ALBERT, byte-level
  BPE for RoBERTa) with the real one's special tokens and ``[CLS] text [SEP]`` / ``<s> text </s>``
  template, as a transformers ``PreTrainedTokenizerFast``;
- :func:`tiny_config` and :func:`tiny_model` shrink the published config (hidden size 32, two
  layers) and build a randomly initialised ``AutoModelForSequenceClassification`` from it.

The tiny models go through the same transformers classes, padding, masks and heads as
``AutoModelForSequenceClassification.from_pretrained("bert-base-uncased", num_labels=2)`` would,
so the chapter's fine-tuning loop runs, and is tested, without the hub.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nlpcourse.tokens import BERT_SPECIALS
from nlpcourse.utils import check_int

ARCHITECTURES = ("bert", "albert", "distilbert", "roberta")

HUB_CHECKPOINTS = {"bert": "bert-base-uncased", "albert": "albert-base-v2",
                   "distilbert": "distilbert-base-uncased", "roberta": "roberta-base"}

# The config.json files of the hub checkpoints above: bert-base-uncased/config.json,
# albert-base-v2/config.json, distilbert-base-uncased/config.json and roberta-base/config.json
# (bookkeeping fields such as "architectures" and "transformers_version", and fields that
# transformers does not read, are left out).
PUBLISHED_CONFIGS: dict[str, dict[str, Any]] = {
    "bert": dict(
        model_type="bert", vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
        intermediate_size=3072, hidden_act="gelu", hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
        max_position_embeddings=512, type_vocab_size=2, initializer_range=0.02, layer_norm_eps=1e-12,
        pad_token_id=0),
    "albert": dict(
        model_type="albert", vocab_size=30000, embedding_size=128, hidden_size=768, num_hidden_layers=12,
        num_hidden_groups=1, inner_group_num=1, num_attention_heads=12, intermediate_size=3072,
        hidden_act="gelu_new", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
        classifier_dropout_prob=0.1, max_position_embeddings=512, type_vocab_size=2, initializer_range=0.02,
        layer_norm_eps=1e-12, pad_token_id=0, bos_token_id=2, eos_token_id=3),
    "distilbert": dict(
        model_type="distilbert", vocab_size=30522, dim=768, n_layers=6, n_heads=12, hidden_dim=3072,
        activation="gelu", dropout=0.1, attention_dropout=0.1, qa_dropout=0.1, seq_classif_dropout=0.2,
        max_position_embeddings=512, sinusoidal_pos_embds=False, initializer_range=0.02, pad_token_id=0),
    "roberta": dict(
        model_type="roberta", vocab_size=50265, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
        intermediate_size=3072, hidden_act="gelu", hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
        max_position_embeddings=514, type_vocab_size=1, initializer_range=0.02, layer_norm_eps=1e-05,
        pad_token_id=1, bos_token_id=0, eos_token_id=2),
}

# How each checkpoint was pretrained, and the kind of tokenizer it ships with
PRETRAINING = {"bert": "MLM + next-sentence prediction",
               "albert": "MLM + sentence-order prediction",
               "distilbert": "distillation from BERT (soft targets + MLM + cosine)",
               "roberta": "MLM only, dynamic masking, 10x the data"}
TOKENIZER_KINDS = {"bert": "WordPiece, uncased",
                   "albert": "SentencePiece unigram, uncased",
                   "distilbert": "WordPiece, uncased (BERT's)",
                   "roberta": "byte-level BPE, cased"}

# Special tokens in id order (the first ids of the vocabulary), then the roles they play
_SPECIALS = {"bert": list(BERT_SPECIALS),
             "albert": ["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"],
             "roberta": ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]}
_SPECIALS["distilbert"] = _SPECIALS["bert"]
_ROLES = {"bert": dict(pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]",
                       mask_token="[MASK]"),
          "albert": dict(pad_token="<pad>", unk_token="<unk>", cls_token="[CLS]", sep_token="[SEP]",
                         mask_token="[MASK]", bos_token="[CLS]", eos_token="[SEP]"),
          "roberta": dict(pad_token="<pad>", unk_token="<unk>", cls_token="<s>", sep_token="</s>",
                          mask_token="<mask>", bos_token="<s>", eos_token="</s>")}
_ROLES["distilbert"] = _ROLES["bert"]

# The tiny size of every architecture (Hugging Face's own tests use models of this order)
TINY_SIZES = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
                  max_position_embeddings=512)
_DISTILBERT_NAMES = dict(hidden_size="dim", num_hidden_layers="n_layers", num_attention_heads="n_heads",
                         intermediate_size="hidden_dim")


def _check_arch(arch: Any) -> str:
    if not isinstance(arch, str) or arch not in ARCHITECTURES:
        raise ValueError(f"arch must be one of {', '.join(map(repr, ARCHITECTURES))}, got {arch!r}")
    return arch


def _config(values: dict[str, Any]) -> Any:
    """The transformers config class named by ``values["model_type"]``, built from the other values."""
    from transformers import AutoConfig
    values = dict(values)
    return AutoConfig.for_model(values.pop("model_type"), **values)


def published_config(arch: str) -> Any:
    """The transformers config of the architecture's hub checkpoint (``BertConfig``, ``AlbertConfig``,
    ``DistilBertConfig`` or ``RobertaConfig``), from :data:`PUBLISHED_CONFIGS` (chapter 10)."""
    return _config(PUBLISHED_CONFIGS[_check_arch(arch)])


def _sizes(config: Any) -> dict[str, int]:
    """The sizes of a config under one set of names (DistilBERT calls them ``dim``, ``n_layers``, ...)."""
    layers = config.num_hidden_layers
    hidden = config.hidden_size
    distinct = (config.num_hidden_groups * config.inner_group_num if config.model_type == "albert" else layers)
    return {"layers": layers, "hidden size": hidden, "embedding size": getattr(config, "embedding_size", hidden),
            "heads": config.num_attention_heads,
            "feed-forward size": getattr(config, "intermediate_size", getattr(config, "hidden_dim", None)),
            "vocabulary": config.vocab_size, "max positions": config.max_position_embeddings,
            "distinct layer weights": distinct}


def count_parameters(config: Any) -> int:
    """Parameters of ``AutoModel.from_config(config)`` (embeddings, encoder, pooler if any), counted on
    PyTorch's ``meta`` device: the tensors have shapes but no storage, so a 125M-parameter model costs
    no memory (chapter 10)."""
    import torch
    from transformers import AutoModel
    with torch.device("meta"):
        model = AutoModel.from_config(config)
    return sum(p.numel() for p in model.parameters())


def architecture_table() -> Any:
    """The four checkpoints side by side, one row each, indexed by architecture (chapter 10): sizes,
    how many layers have their own weights (ALBERT shares one layer among all), parameters (computed,
    see :func:`count_parameters`), pretraining objective and tokenizer."""
    import pandas as pd
    rows = []
    for arch in ARCHITECTURES:
        config = published_config(arch)
        rows.append({"architecture": arch, "checkpoint": HUB_CHECKPOINTS[arch], **_sizes(config),
                     "parameters": count_parameters(config), "pretraining": PRETRAINING[arch],
                     "tokenizer": TOKENIZER_KINDS[arch]})
    return pd.DataFrame(rows).set_index("architecture")


def _check_texts(texts: Any) -> list[str]:
    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be a list of strings, got a single string: wrap it as [text]")
    if not isinstance(texts, Iterable):
        raise TypeError(f"texts must be a list of strings, got {type(texts).__name__}")
    texts = list(texts)
    if not texts:
        raise ValueError("texts is empty: a tokenizer needs some text to learn its vocabulary from")
    bad = next((t for t in texts if not isinstance(t, str)), None)
    if bad is not None:
        raise TypeError(f"texts must hold strings only, found {type(bad).__name__}: {bad!r}")
    return texts


def _pipeline(tok: Any, arch: str) -> Any:
    """Give ``tok`` the architecture's normalizer, pre-tokenizer and decoder."""
    from tokenizers import decoders, normalizers, pre_tokenizers
    if arch in ("bert", "distilbert"):
        tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                    strip_accents=True, lowercase=True)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece(prefix="##")
    elif arch == "albert":
        # albert-base-v2's SentencePiece model: NFKD, accents dropped, lowercased; "▁" marks a word start
        tok.normalizer = normalizers.Sequence([normalizers.NFKD(), normalizers.StripAccents(),
                                               normalizers.Lowercase()])
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
        tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    else:
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
    return tok


def _wordpiece(texts: list[str], vocab_size: int, specials: list[str]) -> Any:
    """WordPiece trained on ``texts``, the same vocabulary every time.

    The library's trainer numbers each ``##x`` piece when it first meets it in a word, and words come
    out of a hash map in a different order in every run; as ties between equally frequent pairs go to
    the smaller ids, the merges themselves then change from run to run. Declaring every ``##x`` up
    front, in code-point order, fixes their ids, hence the merges; the final tokenizer is rebuilt from
    the learned vocabulary with only the real special tokens.
    """
    from tokenizers import Tokenizer, models, trainers
    scratch = _pipeline(Tokenizer(models.WordPiece(unk_token="[UNK]")), "bert")
    inner = set()
    for text in texts:
        for word, _ in scratch.pre_tokenizer.pre_tokenize_str(scratch.normalizer.normalize_str(text)):
            inner.update(word[1:])
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, show_progress=False, continuing_subword_prefix="##",
                                        special_tokens=specials + ["##" + c for c in sorted(inner)])
    scratch.train_from_iterator(texts, trainer=trainer)
    tok = _pipeline(Tokenizer(models.WordPiece(vocab=scratch.get_vocab(), unk_token="[UNK]",
                                               continuing_subword_prefix="##")), "bert")
    tok.add_special_tokens(specials)
    return tok


def _unigram(texts: list[str], vocab_size: int, specials: list[str]) -> Any:
    """A unigram model trained on ``texts``, the same pieces, scores and ids every time.

    Two things vary from run to run in the library's trainer. Its EM sums in a varying order, so
    scores differ in their last bits, and ids (pieces sorted by score) with them: scores are rounded
    to 9 significant digits and pieces of equal score sorted alphabetically. And the characters that
    EM dropped are put back at the bottom, with scores ``min, min + 1e-4, min + 2e-4, ...`` handed
    out in hash-set order: those characters get the same scores in code-point order.
    """
    import json

    from tokenizers import Tokenizer, models, trainers
    scratch = _pipeline(Tokenizer(models.Unigram()), "albert")
    trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=specials, unk_token="<unk>",
                                      show_progress=False)
    scratch.train_from_iterator(texts, trainer=trainer)
    learned = {piece: score for piece, score in json.loads(scratch.to_str())["model"]["vocab"]
               if piece not in specials}
    if learned:
        bottom = min(learned.values())
        steps = {piece: (score - bottom) / 1e-4 for piece, score in learned.items() if len(piece) == 1}
        on_grid = {piece: round(k) for piece, k in steps.items() if abs(k - round(k)) < 1e-6}
        n = 0
        while n in on_grid.values():                    # the put-back characters: steps 0, 1, ..., n - 1
            n += 1
        put_back = sorted(piece for piece, k in on_grid.items() if k < n)
        if len(put_back) == n:
            learned |= {piece: bottom + k * 1e-4 for k, piece in enumerate(reversed(put_back))}
    rounded = sorted(((piece, float(f"{score:.9g}")) for piece, score in learned.items()),
                     key=lambda item: (-item[1], item[0]))
    vocab = [(piece, 0.0) for piece in specials] + rounded
    tok = _pipeline(Tokenizer(models.Unigram(vocab, unk_id=specials.index("<unk>"), byte_fallback=False)), "albert")
    tok.add_special_tokens(specials)
    return tok


def _backend(arch: str, texts: list[str], vocab_size: int) -> Any:
    """A ``tokenizers.Tokenizer`` of the architecture's kind, trained on ``texts``, with its template."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    specials = _SPECIALS[arch]
    if arch in ("bert", "distilbert"):
        tok = _wordpiece(texts, vocab_size, specials)
    elif arch == "albert":
        tok = _unigram(texts, vocab_size, specials)
    else:
        # byte-level: the 256 bytes are the alphabet, so any text encodes, emoji included, and nothing is unknown
        tok = _pipeline(Tokenizer(models.BPE()), arch)
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, show_progress=False,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        tok.train_from_iterator(texts, trainer=trainer)
    ids = {token: tok.token_to_id(token) for token in specials}
    if [ids[t] for t in specials] != list(range(len(specials))):
        raise RuntimeError(f"special tokens got ids {ids}, expected 0 to {len(specials) - 1}")
    if arch == "roberta":
        tok.post_processor = processors.RobertaProcessing(("</s>", ids["</s>"]), ("<s>", ids["<s>"]),
                                                          trim_offsets=True, add_prefix_space=False)
    else:
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
            special_tokens=[("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])])
    return tok


def tiny_tokenizer(arch: str, texts: Iterable[str], vocab_size: int = 1000) -> Any:
    """A tokenizer of the architecture's kind trained on ``texts`` (a list of strings), as a transformers
    ``PreTrainedTokenizerFast`` that behaves like the hub checkpoint's (chapter 10).

    - ``"bert"``, ``"distilbert"``: WordPiece (``##`` continues a word), lowercased, accents stripped;
      specials ``[PAD] [UNK] [CLS] [SEP] [MASK]`` (ids 0 to 4); ``[CLS] text [SEP]``;
    - ``"albert"``: unigram, SentencePiece style (``▁`` starts a word), lowercased, accents stripped;
      specials ``<pad> <unk> [CLS] [SEP] [MASK]`` (ids 0 to 4, as in ``albert-base-v2``); ``[CLS] text [SEP]``;
    - ``"roberta"``: byte-level BPE, cased, no unknown text (any character is a few bytes); specials
      ``<s> <pad> </s> <unk> <mask>`` (ids 0 to 4); ``<s> text </s>``.

    The vocabulary holds at most ``vocab_size`` tokens (fewer when ``texts`` has too few words to fill
    it); training is deterministic. Sentence pairs get the real format too (``[CLS] a [SEP] b [SEP]``
    with segment ids 0 then 1; RoBERTa's ``<s> a </s></s> b </s>``). DistilBERT and RoBERTa return no
    ``token_type_ids``, as their hub tokenizers do. Padding goes on the right; ``model_max_length`` is 512.
    """
    arch = _check_arch(arch)
    texts = _check_texts(texts)
    vocab_size = check_int("vocab_size", vocab_size, minimum=len(_SPECIALS[arch]) + 1)
    from transformers import PreTrainedTokenizerFast
    inputs = ["input_ids", "attention_mask"] if arch in ("distilbert", "roberta") else \
        ["input_ids", "token_type_ids", "attention_mask"]
    return PreTrainedTokenizerFast(
        tokenizer_object=_backend(arch, texts, vocab_size), **_ROLES[arch], model_max_length=512,
        padding_side="right", model_input_names=inputs,
        # BERT's pieces lose the spaces around punctuation: decoding glues "didn ' t" back to "didn't"
        clean_up_tokenization_spaces=arch in ("bert", "distilbert"))


def tiny_config(arch: str, tokenizer: Any, num_labels: int = 2) -> Any:
    """The architecture's published config, shrunk (chapter 10): hidden size 32, 2 layers, 2 heads,
    feed-forward size 37 (ALBERT: embeddings of size 16), with the tokenizer's vocabulary size and
    special-token ids, and ``num_labels`` classes for the sequence-classification head.

    Everything else (activation, dropout, layer-norm epsilon, segment vocabulary) is the checkpoint's.
    RoBERTa keeps 514 positions: it numbers positions from ``pad_token_id + 1``, so 512 tokens need 514.
    """
    arch = _check_arch(arch)
    num_labels = check_int("num_labels", num_labels, minimum=1)
    sizes = dict(TINY_SIZES)
    if arch == "roberta":
        sizes["max_position_embeddings"] = PUBLISHED_CONFIGS["roberta"]["max_position_embeddings"]
    if arch == "albert":
        sizes["embedding_size"] = 16
    if arch == "distilbert":
        sizes = {_DISTILBERT_NAMES.get(name, name): value for name, value in sizes.items()}
    ids = {"pad_token_id": tokenizer.pad_token_id}
    if "bos_token_id" in PUBLISHED_CONFIGS[arch]:
        ids |= {"bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id}
    if any(value is None for value in ids.values()):
        raise ValueError(f"the tokenizer lacks special tokens that {arch} needs: {ids}")
    return _config(PUBLISHED_CONFIGS[arch] | sizes | ids | {"vocab_size": len(tokenizer), "num_labels": num_labels})


def tiny_model(arch: str, tokenizer: Any, num_labels: int = 2, seed: int = 0) -> Any:
    """``AutoModelForSequenceClassification`` of :func:`tiny_config`, randomly initialised after
    ``torch.manual_seed(seed)``: the same seed gives the same weights (chapter 10)."""
    import torch
    from transformers import AutoModelForSequenceClassification
    config = tiny_config(arch, tokenizer, num_labels)
    torch.manual_seed(check_int("seed", seed))
    return AutoModelForSequenceClassification.from_config(config)
