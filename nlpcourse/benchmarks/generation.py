"""GPT, timed (chapter 9).

1. :func:`kv_cache_speed`: tokens per second of greedy generation with the key-value cache (each step
   computes the new token only) and without it (each step runs the whole prefix again).
2. :func:`forward_backward_time`: seconds per training step (forward and backward) of two loss
   functions, e.g. our GPT and Hugging Face's ``GPT2LMHeadModel`` of the same size on the same batch
   (:func:`gpt_and_hf_losses` builds that pair, with the same weights).

Timed alternately and repeated, best kept, so a noisy machine hits every side.
"""
from __future__ import annotations

from typing import Any, Callable

from nlpcourse.benchmarks.timing import alternate


def _synchronize(device: Any) -> None:
    import torch
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def kv_cache_speed(model: Any, prompt_ids: Any, new_tokens: int = 256, repeats: int = 3) -> dict:
    """Greedy generation of ``new_tokens`` after ``prompt_ids`` ``(B, T)``, with and without the cache:
    new tokens per second for each, the speed-up, and whether both wrote the same tokens."""
    outputs = {}

    def run(use_cache: bool) -> None:
        outputs[use_cache] = model.generate(prompt_ids, new_tokens, temperature=0, use_cache=use_cache)
        _synchronize(prompt_ids.device)

    seconds = alternate({"with cache": lambda: run(True), "without cache": lambda: run(False)}, repeats)
    written = prompt_ids.shape[0] * new_tokens
    return {"batch": prompt_ids.shape[0], "prompt_tokens": prompt_ids.shape[1], "new_tokens": new_tokens,
            "with_cache_tokens_per_s": written / seconds["with cache"],
            "without_cache_tokens_per_s": written / seconds["without cache"],
            "speedup": seconds["without cache"] / seconds["with cache"],
            "same_tokens": bool((outputs[True] == outputs[False]).all())}


def forward_backward_time(ours: Callable[[], Any], theirs: Callable[[], Any], repeats: int = 3) -> dict:
    """Seconds per forward and backward pass of two zero-argument functions that each return a scalar loss
    (a training step without the optimiser), after one untimed call each; ``ratio`` is ours / theirs."""
    def step(loss_fn: Callable[[], Any]) -> Callable[[], None]:
        def go() -> None:
            loss = loss_fn()
            loss.backward()
            _synchronize(loss.device)
        return go

    steps = {"ours": step(ours), "theirs": step(theirs)}
    for go in steps.values():
        go()
    seconds = alternate(steps, repeats)
    return {"ours_s": seconds["ours"], "theirs_s": seconds["theirs"], "ratio": seconds["ours"] / seconds["theirs"]}


def gpt_and_hf_losses(config: Any, batch_size: int = 16, steps: int = 128, seed: int = 0,
                      device: str = "cpu") -> tuple[Callable[[], Any], Callable[[], Any]]:
    """Two loss functions for :func:`forward_backward_time`: our :class:`~nlpcourse.models.gpt_mini.GPT` of
    ``config`` and Hugging Face's ``GPT2LMHeadModel`` with the same weights, in training mode, on the same
    random batch ``(batch_size, steps)``; each clears its gradients first, as a training step does."""
    import torch
    from transformers import GPT2LMHeadModel

    from nlpcourse.models.gpt_mini import load_hf_gpt2, next_token_targets
    torch.manual_seed(seed)
    theirs = GPT2LMHeadModel(config.to_hf()).to(device).train()
    ours = load_hf_gpt2(theirs, config).to(device).train()
    ids = torch.randint(0, config.vocab_size, (batch_size, steps), device=device)
    targets = next_token_targets(ids)

    def our_loss() -> Any:
        ours.zero_grad(set_to_none=True)
        return ours(ids, targets)[1]

    def their_loss() -> Any:
        theirs.zero_grad(set_to_none=True)
        return theirs(ids, labels=ids).loss

    return our_loss, their_loss


def bert_and_hf_losses(config: Any, batch_size: int = 16, steps: int = 128, seed: int = 0,
                       device: str = "cpu") -> tuple[Callable[[], Any], Callable[[], Any]]:
    """The pair of :func:`gpt_and_hf_losses` for our :class:`~nlpcourse.models.bert_mini.BertModel` and
    ``transformers.BertModel`` with the same weights: the loss is the mean square of the last hidden states
    of a padded batch (the encoder alone, whatever head sits on it)."""
    import torch
    import transformers

    from nlpcourse.checkpoint import load_state_exactly
    from nlpcourse.models.bert_mini import BertModel, from_hf_state
    torch.manual_seed(seed)
    hf_config = transformers.BertConfig(vocab_size=config.vocab_size, hidden_size=config.hidden_size,
                                        num_hidden_layers=config.num_hidden_layers,
                                        num_attention_heads=config.num_attention_heads,
                                        intermediate_size=config.intermediate_size,
                                        max_position_embeddings=config.max_position_embeddings)
    theirs = transformers.BertModel(hf_config, add_pooling_layer=True).to(device).train()
    ours = load_state_exactly(BertModel(config), from_hf_state(theirs.state_dict()), "transformers.BertModel")
    ours = ours.to(device).train()
    ids = torch.randint(5, config.vocab_size, (batch_size, steps), device=device)
    mask = (torch.arange(steps, device=device)[None] < torch.randint(steps // 2, steps + 1, (batch_size, 1),
                                                                       device=device)).long()

    def our_loss() -> Any:
        ours.zero_grad(set_to_none=True)
        return ours(ids, mask)[0].pow(2).mean()

    def their_loss() -> Any:
        theirs.zero_grad(set_to_none=True)
        return theirs(input_ids=ids, attention_mask=mask).last_hidden_state.pow(2).mean()

    return our_loss, their_loss


def add_arguments(parser) -> None:
    parser.add_argument("--new-tokens", type=int, default=256, help="tokens generated, with and without the cache")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16, help="rows of the forward+backward batch")
    parser.add_argument("--steps", type=int, default=128, help="tokens per row of the forward+backward batch")


def run(args) -> dict:
    """Chapter 9's sizes (full profile): the KV-cache speed-up, and our BERT's and GPT's training step against
    Hugging Face's of the same size, on this machine."""
    import torch

    from nlpcourse.config import get_config
    from nlpcourse.utils import describe_hardware
    from nlpcourse.models.bert_mini import BertConfig
    from nlpcourse.models.gpt_mini import GPTConfig
    cfg = get_config("full")
    vocab_size = 8192
    report: dict[str, Any] = {"benchmark": "generation", "hardware": describe_hardware(),
                              "threads": torch.get_num_threads()}
    torch.manual_seed(0)
    from nlpcourse.models.gpt_mini import GPT
    import dataclasses
    prompt = torch.randint(5, vocab_size, (1, 16))
    config = dataclasses.replace(GPTConfig.preset(cfg, vocab_size), n_positions=max(256, args.new_tokens + prompt.shape[1]))
    gpt = GPT(config).eval()                  # the chapter's GPT, with a position table long enough to write them
    with torch.no_grad():
        report["kv_cache"] = kv_cache_speed(gpt, prompt, args.new_tokens, args.repeats)
    print(f"GPT generation, {report['kv_cache']['new_tokens']} new tokens: "
          f"{report['kv_cache']['with_cache_tokens_per_s']:.0f} tokens/s with the cache, "
          f"{report['kv_cache']['without_cache_tokens_per_s']:.0f} without: "
          f"{report['kv_cache']['speedup']:.1f}x (same tokens: {report['kv_cache']['same_tokens']})", flush=True)
    shape = dict(batch_size=args.batch_size, steps=args.steps)
    for name, pair in (("bert", bert_and_hf_losses(BertConfig.preset(cfg, vocab_size), **shape)),
                       ("gpt", gpt_and_hf_losses(GPTConfig.preset(cfg, vocab_size), **shape))):
        report[f"{name}_forward_backward"] = forward_backward_time(*pair, repeats=args.repeats) | shape
        r = report[f"{name}_forward_backward"]
        print(f"{name.upper()} forward+backward, batch {args.batch_size} x {args.steps}: ours {r['ours_s']:.3f}s, "
              f"Hugging Face {r['theirs_s']:.3f}s: ratio {r['ratio']:.2f}", flush=True)
    return report
