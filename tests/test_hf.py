"""Chapter 10's fine-tuning layer: truncation, encoding with a model's own tokenizer, dict batches, the
checks that refuse a wrong tokenizer, length or label, where checkpoints come from (offline, fast), the
probe, and fine-tuning through ``fit`` and through ``transformers.Trainer`` on tiny models."""
from __future__ import annotations

import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from nlpcourse.config import get_config  # noqa: E402
from nlpcourse.data.imdb import Reviews  # noqa: E402
from nlpcourse.hf import checkpoints  # noqa: E402
from nlpcourse.hf.data import (ReviewBatches, check_labels, check_max_length, check_tokenizer,  # noqa: E402
                               encode_reviews, max_positions, special_tokens_around, truncate)
from nlpcourse.hf.finetune import (finetune, finetune_recipe, finetune_with_trainer, freeze_encoder,  # noqa: E402
                                   scores, tokenize_imdb, trainer_arguments)
from nlpcourse.hf.tiny import tiny_model, tiny_tokenizer  # noqa: E402

CFG = get_config("quick", seed=0)
GOOD = ["wonderful", "brilliant", "moving", "a joy", "superb", "delightful"]
BAD = ["awful", "boring", "a mess", "dreadful", "tedious", "painful"]
FILLER = "the film had actors and a plot and a score and some scenes in a city at night".split()


def synthetic_reviews(n: int, seed: int = 0) -> Reviews:
    """Reviews whose label is said by one sentiment word somewhere in filler text."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        label = int(rng.integers(2))
        words = list(rng.choice(FILLER, size=int(rng.integers(5, 40))))
        words.insert(int(rng.integers(len(words) + 1)), str(rng.choice(GOOD if label else BAD)))
        texts.append(" ".join(words))
        labels.append(label)
    labels = np.array(labels)
    return Reviews("train", texts, labels, np.where(labels == 1, 8, 2), np.arange(n))


@pytest.fixture(scope="module")
def minilm():
    return checkpoints.load_classifier("minilm", seed=0)


@pytest.fixture(scope="module")
def bert_tok():
    return tiny_tokenizer("bert", synthetic_reviews(300).texts, vocab_size=300)


@pytest.fixture(scope="module")
def roberta_tok():
    return tiny_tokenizer("roberta", synthetic_reviews(300).texts, vocab_size=400)


# --- truncation ------------------------------------------------------------------------------------------------
def test_truncate_each_way():
    ids = list(range(10))
    assert truncate(ids, 4, "head") == [0, 1, 2, 3]
    assert truncate(ids, 4, "tail") == [6, 7, 8, 9]
    assert truncate(ids, 4, "head+tail", head_share=0.25) == [0, 7, 8, 9]
    assert truncate(ids, 510 - 2, "head+tail") == ids                         # fits: whole
    long = list(range(1000))
    cut = truncate(long, 510)
    assert cut[:128] == long[:128] and cut[128:] == long[-382:]              # Sun et al.'s 128 + 382
    assert truncate(ids, 4, "head+tail", head_share=1.0) == [0, 1, 2, 3]      # head only: not ids[-0:]


def test_truncate_rejects_unknown_scheme():
    with pytest.raises(ValueError, match="truncation must be one of head, tail, head\\+tail"):
        truncate([1, 2, 3], 2, "middle")


@pytest.mark.parametrize("head_share", [1.5, -0.5, float("nan"), "half", True])
def test_truncate_refuses_a_head_share_outside_zero_to_one(head_share):
    with pytest.raises(ValueError, match="head_share must be a share between 0 and 1"):
        truncate(list(range(10)), 4, "head+tail", head_share=head_share)


@pytest.mark.parametrize("budget", [-1, 2.5, None])
def test_truncate_refuses_a_budget_that_is_not_a_count(budget):
    with pytest.raises(ValueError, match="budget must be a whole number >= 0"):
        truncate(list(range(10)), budget, "head")


def test_encode_reviews_never_returns_more_than_max_length(bert_tok):
    texts = ["a long review " * 40]
    with pytest.raises(ValueError, match="head_share"):
        encode_reviews(bert_tok, texts, 16, "head+tail", head_share=1.5)
    assert all(len(ids) <= 16 for ids in encode_reviews(bert_tok, texts, 16, "head+tail", head_share=0.0))


# --- encoding with the model's tokenizer ------------------------------------------------------------------------
def test_special_tokens_of_each_kind(minilm, roberta_tok):
    assert special_tokens_around(minilm[1]) == ([101], [102])                 # [CLS] ... [SEP]
    assert special_tokens_around(roberta_tok) == ([0], [2])                   # <s> ... </s>


def test_encode_reviews_cuts_inside_the_special_tokens(minilm):
    tokenizer = minilm[1]
    text = " ".join(f"word{i}" for i in range(300))
    body = tokenizer(text, add_special_tokens=False)["input_ids"]
    for how in ("head", "tail", "head+tail"):
        (ids,) = encode_reviews(tokenizer, [text], 64, how)
        assert len(ids) == 64 and ids[0] == 101 and ids[-1] == 102
        assert ids[1:-1] == truncate(body, 62, how)
    (short,) = encode_reviews(tokenizer, ["a fine film"], 64)
    assert short == tokenizer("a fine film")["input_ids"]                     # what the tokenizer itself gives


def test_encode_reviews_errors(minilm):
    with pytest.raises(TypeError, match="list of reviews"):
        encode_reviews(minilm[1], "one review", 64)
    with pytest.raises(ValueError, match="max_length"):
        encode_reviews(minilm[1], ["a review"], 2)
    with pytest.raises(ValueError, match="truncation"):
        encode_reviews(minilm[1], ["a review"], 64, "middle")


def test_max_length_is_the_position_table(minilm, roberta_tok):
    model = minilm[0]
    assert max_positions(model) == 512 and check_max_length(model, 512) == 512
    with pytest.raises(ValueError, match="max_length=513 is longer than BertForSequenceClassification can read"):
        check_max_length(model, 513)
    roberta = tiny_model("roberta", roberta_tok)
    assert roberta.config.max_position_embeddings == 514 and max_positions(roberta) == 512
    ids = torch.tensor([encode_reviews(roberta_tok, [" ".join(["night"] * 900)], 512)[0]])
    roberta(input_ids=ids)                                                    # the longest allowed input runs


def test_a_tokenizer_from_another_model_is_refused(minilm, roberta_tok, bert_tok):
    with pytest.raises(ValueError, match="pads with id 1 but the model .* expects 0"):
        check_tokenizer(minilm[0], roberta_tok)
    with pytest.raises(ValueError, match="uses only .* of the model's 30,522 embeddings"):
        check_tokenizer(minilm[0], bert_tok)                                  # same pad id, another vocabulary
    with pytest.raises(ValueError, match="more ids than the model's embedding table"):
        check_tokenizer(tiny_model("bert", bert_tok), minilm[1])
    check_tokenizer(minilm[0], minilm[1])


def test_labels_out_of_range():
    with pytest.raises(ValueError, match=r"labels \[2, 5\] are outside 0..1: the model has num_labels=2"):
        check_labels([0, 1, 2, 5, 1], 2)
    with pytest.raises(ValueError, match="1-D array of class indices"):
        check_labels([0.5, 1.0], 2)
    assert check_labels(np.array([1, 0, 1]), 2).dtype == np.int64


def test_review_batches_are_dicts_padded_per_batch(roberta_tok):
    texts = synthetic_reviews(50).texts
    ids = encode_reviews(roberta_tok, texts, 32)
    labels = np.arange(50) % 2
    loader = ReviewBatches(ids, labels, pad_id=roberta_tok.pad_token_id, batch_size=8)
    seen = 0
    for batch in loader:
        assert set(batch) == {"input_ids", "attention_mask", "labels"}
        width = batch["input_ids"].shape[1]
        lengths = batch["attention_mask"].sum(1)
        assert width == int(lengths.max())                                    # cut to the longest in the batch
        for row, n in enumerate(lengths.tolist()):
            assert (batch["input_ids"][row, n:] == 1).all()                   # RoBERTa pads with 1
            assert batch["input_ids"][row, 0] == 0                            # <s>
        seen += len(batch["labels"])
    assert seen == 50 and loader.tokens() == sum(len(r) for r in ids)
    shuffled = lambda: [b["labels"].tolist() for b in ReviewBatches(ids, labels, 1, 8, shuffle=True, seed=3)]  # noqa
    assert shuffled() == shuffled()
    with pytest.raises(ValueError, match="outside 0..1"):
        ReviewBatches(ids, np.full(50, 3), 1)


# --- checkpoints ------------------------------------------------------------------------------------------------
def test_minilm_loads_as_the_pretrained_encoder(minilm):
    model, tokenizer = minilm
    from nlpcourse.text.wordpiece import minilm_dir
    with checkpoints.quiet_transformers():
        encoder = transformers.AutoModel.from_pretrained(minilm_dir(), use_safetensors=True).eval()
    batch = tokenizer(["A wonderful film.", "Dull."], padding=True, return_tensors="pt")
    model.eval()
    with torch.no_grad():
        ours = model.bert(**batch).last_hidden_state
        reference = encoder(**batch).last_hidden_state
    torch.testing.assert_close(ours, reference)
    assert model.classifier.out_features == 2


def test_an_offline_hub_name_fails_fast_and_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    start = time.perf_counter()
    with pytest.raises(checkpoints.CheckpointUnavailable, match="roberta-base.*not in the Hugging Face cache.*'minilm'"):
        checkpoints.load_classifier("roberta-base")
    assert time.perf_counter() - start < 10


def test_checkpoint_folders(tmp_path):
    with pytest.raises(checkpoints.CheckpointUnavailable, match="has no config.json"):
        checkpoints.resolve_checkpoint(tmp_path)
    with pytest.raises(checkpoints.CheckpointUnavailable, match="does not exist"):
        checkpoints.resolve_checkpoint("./no-such-model")
    with pytest.raises(TypeError, match="checkpoint must be"):
        checkpoints.resolve_checkpoint("")
    assert checkpoints.resolve_checkpoint("minilm").endswith("model")


def test_load_classifier_checks_num_labels():
    with pytest.raises(ValueError, match="num_labels"):
        checkpoints.load_classifier("minilm", num_labels=1)


# --- fine-tuning ------------------------------------------------------------------------------------------------
def test_freeze_encoder_leaves_the_head(minilm, bert_tok):
    model, _ = checkpoints.load_classifier("minilm", seed=0)
    freeze_encoder(model)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"classifier.weight", "classifier.bias"}
    distil = freeze_encoder(tiny_model("distilbert", bert_tok))
    assert {n.split(".")[0] for n, p in distil.named_parameters() if p.requires_grad} == {"pre_classifier",
                                                                                         "classifier"}


def test_recipes():
    quick = finetune_recipe(CFG)
    assert (quick.checkpoint, quick.max_length, quick.truncation, quick.train_reviews) == \
        ("minilm", 128, "head+tail", 1000)
    full = finetune_recipe(get_config("full"), "roberta-base")
    assert (full.checkpoint, full.max_length, full.epochs, full.train_reviews) == ("roberta-base", 512, 2, None)
    for bad in (1, 2.5, "all"):
        with pytest.raises(ValueError, match="train_reviews"):
            quick.replace(train_reviews=bad)
    with pytest.raises(ValueError, match="truncation"):
        quick.replace(truncation="middle")
    with pytest.raises(ValueError, match="batch_size"):
        quick.replace(batch_size=0)


def _tiny_setup(arch_tok, n=480):
    model = tiny_model("bert", arch_tok, seed=0)
    recipe = finetune_recipe(CFG).replace(max_length=48, batch_size=16, epochs=3, lr=3e-3)
    data = tokenize_imdb(model, arch_tok, synthetic_reviews(n, seed=1), synthetic_reviews(200, seed=2), recipe)
    return model, recipe, data


def test_the_recipe_caps_the_training_reviews_before_validation_is_held_out(bert_tok):
    model = tiny_model("bert", bert_tok, seed=0)
    recipe = finetune_recipe(CFG).replace(max_length=16, train_reviews=100)
    train = synthetic_reviews(300, seed=1)
    data = tokenize_imdb(model, bert_tok, train, synthetic_reviews(20, seed=2), recipe)
    assert data.sizes == {"n_train": 90, "n_val": 10, "n_test": 20}
    assert sorted(data.val.y.tolist() + data.train.y.tolist()) == sorted(train.labels[:100].tolist())


def test_finetune_with_fit_learns(bert_tok):
    model, recipe, data = _tiny_setup(bert_tok)
    assert data.sizes == {"n_train": 432, "n_val": 48, "n_test": 200}
    history = finetune(model, data, recipe, CFG, progress=False)
    assert history.learning_rates[0] == 0 and max(history.learning_rates) == pytest.approx(3e-3, rel=0.05)
    assert scores(model, data.test)["accuracy"] > 0.9                        # held-out synthetic reviews


def test_trainer_gets_the_same_settings_and_learns(bert_tok):
    model, recipe, data = _tiny_setup(bert_tok)
    args = trainer_arguments(recipe, CFG, "unused", steps_per_epoch=len(data.train))
    assert (args.learning_rate, args.weight_decay, args.max_grad_norm, args.seed) == (3e-3, 0.01, 1.0, 0)
    assert getattr(args.lr_scheduler_type, "value", args.lr_scheduler_type) == "linear"
    assert args.warmup_steps == round(0.1 * 27 * 3)
    metrics = finetune_with_trainer(model, bert_tok, data, recipe, CFG, use_cpu=True)
    assert metrics["train_runtime"] > 0
    assert scores(model, data.test)["accuracy"] > 0.9


def test_the_benchmark_writes_rows_that_repeat(tmp_path, imdb_data_dir, monkeypatch):
    monkeypatch.setenv("NLPCOURSE_DATA", str(imdb_data_dir))
    from nlpcourse.bench import main
    from nlpcourse.leaderboard import read_results_file
    runs = []
    for _ in range(2):
        assert main(["finetune", "--profile", "quick", "--train-size", "60", "--test-size", "30", "--max-length", "32",
                     "--probe", "--results-dir", str(tmp_path), "--out", str(tmp_path / "report.json")]) == 0
        (path,) = tmp_path.glob("quick-*.json")
        runs.append({row["model"]: row for row in read_results_file(path)})
    assert set(runs[1]) == {"minilm-finetuned", "minilm-probe"}, "a rerun replaces its rows"
    for name, row in runs[1].items():
        assert (row["framework"], row["chapter"], row["n_train"], row["n_val"], row["n_test"]) == (
            "transformers", 10, 54, 6, 30)
        assert row["accuracy"] == runs[0][name]["accuracy"], "seeded: the same figures on every run"
    assert runs[1]["minilm-probe"]["settings"]["trainable_parameters"] == 770
    assert runs[1]["minilm-finetuned"]["settings"]["trainable_parameters"] == runs[1]["minilm-finetuned"]["parameters"]


def test_fit_and_trainer_take_the_same_steps(bert_tok):
    """Same weights, no dropout, the same batches in the same order: the same model after an epoch (one:
    with more, fit keeps the best epoch on the validation reviews and Trainer, as set up here, the last)."""
    recipe = finetune_recipe(CFG).replace(max_length=8, batch_size=4, epochs=1, lr=1e-3)
    trained = {}
    for how in ("fit", "Trainer"):
        torch.manual_seed(0)
        model = tiny_model("bert", bert_tok, seed=0)
        for module in model.modules():
            if isinstance(module, torch.nn.Dropout):
                module.p = 0.0
        data = tokenize_imdb(model, bert_tok, synthetic_reviews(90, seed=4), synthetic_reviews(20, seed=5), recipe,
                           shuffle=False)
        assert len(set(data.train.lengths)) == 1, "one length: the fixed order is the reviews' order"
        if how == "fit":
            finetune(model, data, recipe, CFG, progress=False)
        else:
            finetune_with_trainer(model, bert_tok, data, recipe, CFG, use_cpu=True)
        trained[how] = {k: v.detach().clone() for k, v in model.named_parameters()}
    for name, weights in trained["fit"].items():
        torch.testing.assert_close(weights, trained["Trainer"][name], atol=1e-5, rtol=1e-4)
