"""Plots used across the course: matplotlib for static figures, plotly for interactive ones.

Each function returns its figure so a notebook can show or save it.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _plt():
    import matplotlib.pyplot as plt
    return plt


def plot_zipf(counts: Sequence[int] | np.ndarray, ax=None, label: str = "IMDB"):
    """Rank-frequency plot on log-log axes with the fitted Zipf exponent (chapter 1)."""
    plt = _plt()
    freqs = np.sort(np.asarray(counts, dtype=float))[::-1]
    if freqs.size == 0 or freqs[0] <= 0:
        raise ValueError("plot_zipf needs at least one positive count")
    ranks = np.arange(1, len(freqs) + 1)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4))
    ax.loglog(ranks, freqs, ".", ms=2, label=label)
    top = slice(0, min(len(freqs), 10_000))
    slope, intercept = np.polyfit(np.log(ranks[top]), np.log(freqs[top]), 1)
    ax.loglog(ranks, np.exp(intercept) * ranks ** slope, "--", color="k", lw=1,
              label=f"fit: frequency ∝ rank^{slope:.2f}")
    ax.set(xlabel="rank", ylabel="frequency", title="Zipf's law")
    ax.legend()
    return ax.figure


def plot_confusion_matrix(y_true, y_pred, labels: Sequence[str] = ("negative", "positive"), ax=None,
                          title: str = "Confusion matrix"):
    """Counts of (true, predicted) label pairs as an annotated heatmap (chapter 1)."""
    from sklearn.metrics import confusion_matrix
    plt = _plt()
    cm = confusion_matrix(y_true, y_pred)
    if ax is None:
        _, ax = plt.subplots(figsize=(3.8, 3.4))
    ax.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, f"{v}", ha="center", va="center", color="white" if v > cm.max() / 2 else "black")
    ax.set(xticks=range(len(labels)), yticks=range(len(labels)), xticklabels=labels,
           yticklabels=labels, xlabel="predicted", ylabel="true", title=title)
    return ax.figure


def plot_top_features(names: Sequence[str], weights: np.ndarray, k: int = 15, ax=None,
                      title: str = "Most positive and negative features"):
    """The k most negative and k most positive weights of a linear model, as bars (chapter 1)."""
    plt = _plt()
    names, weights = np.asarray(names, dtype=object), np.asarray(weights, dtype=float).ravel()
    if len(names) != len(weights):
        raise ValueError(f"{len(names)} names but {len(weights)} weights")
    order = np.argsort(weights)
    chosen = np.concatenate([order[:k], order[-k:]])
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.22 * len(chosen) + 1))
    colors = ["#c0392b" if w < 0 else "#2471a3" for w in weights[chosen]]
    ax.barh(range(len(chosen)), weights[chosen], color=colors)
    ax.set_yticks(range(len(chosen)), names[chosen], fontsize=8)
    ax.axvline(0, color="k", lw=0.5)
    ax.set(xlabel="weight", title=title)
    return ax.figure


def plot_length_histogram(lengths_by_group: dict[str, np.ndarray], ax=None, bins: int = 60,
                          clip: float = 0.99, xlabel: str = "tokens per review"):
    """Overlaid histograms of document lengths, one per group (chapter 1)."""
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    upper = np.quantile(np.concatenate(list(lengths_by_group.values())), clip)
    for name, lengths in lengths_by_group.items():
        ax.hist(np.minimum(lengths, upper), bins=bins, alpha=0.5, label=f"{name} (median {np.median(lengths):.0f})")
    ax.set(xlabel=xlabel, ylabel="reviews", title="Review lengths")
    ax.legend()
    return ax.figure


def scatter_terms(terms: Sequence[str], x: np.ndarray, y: np.ndarray, color: np.ndarray | None = None,
                  x_label: str = "x", y_label: str = "y", title: str = "", log_x: bool = False):
    """An interactive plotly scatter of terms with hover labels (chapters 1-2)."""
    import plotly.graph_objects as go
    fig = go.Figure(go.Scattergl(
        x=x, y=y, mode="markers", text=list(terms),
        hovertemplate="<b>%{text}</b><br>" + x_label + ": %{x}<br>" + y_label + ": %{y:.2f}<extra></extra>",
        marker=dict(size=5, color=color if color is not None else y, colorscale="RdBu", opacity=0.7,
                    showscale=color is None),
    ))
    fig.update_layout(title=title, xaxis_title=x_label, yaxis_title=y_label, height=450,
                      margin=dict(l=40, r=20, t=50, b=40), template="plotly_white")
    if log_x:
        fig.update_xaxes(type="log")
    return fig


def project_words(vectors: np.ndarray, method: str = "pca", dims: int = 2, seed: int = 0) -> np.ndarray:
    """Coordinates of word vectors in ``dims`` dimensions by PCA or t-SNE (chapter 2)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    if dims not in (2, 3):
        raise ValueError(f"dims must be 2 or 3, got {dims}")
    if len(vectors) <= dims:
        raise ValueError(f"need more than {dims} words to project, got {len(vectors)}")
    if method == "pca":
        from sklearn.decomposition import PCA
        return PCA(n_components=dims, random_state=seed).fit_transform(vectors)
    if method == "tsne":
        from sklearn.manifold import TSNE
        perplexity = min(30.0, (len(vectors) - 1) / 3)
        return TSNE(n_components=dims, perplexity=perplexity, init="pca", random_state=seed).fit_transform(vectors)
    raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")


def plot_word_projection(kv, groups: dict[str, Sequence[str]], method: str = "pca", dims: int = 2,
                         seed: int = 0, title: str | None = None):
    """Interactive plotly scatter of chosen words' vectors, projected to 2-D or 3-D, one colour
    per group, word labels on hover (chapter 2). Unknown words raise a KeyError."""
    import plotly.graph_objects as go
    words = [w for ws in groups.values() for w in ws]
    missing = [w for w in words if w not in kv.key_to_index]
    if missing:
        raise KeyError(f"no vector for {missing[:5]}: choose words in the vocabulary")
    coords = project_words(kv[words], method, dims, seed)
    fig, start = go.Figure(), 0
    for name, ws in groups.items():
        xyz = coords[start:start + len(ws)]
        start += len(ws)
        common = dict(mode="markers+text", name=name, text=list(ws), textposition="top center",
                      hovertemplate="<b>%{text}</b><extra>" + name + "</extra>")
        if dims == 2:
            fig.add_trace(go.Scatter(x=xyz[:, 0], y=xyz[:, 1], **common))
        else:
            fig.add_trace(go.Scatter3d(x=xyz[:, 0], y=xyz[:, 1], z=xyz[:, 2], marker=dict(size=4), **common))
    fig.update_layout(title=title or f"Word vectors, {method.upper()} to {dims}-D", height=520,
                      template="plotly_white", margin=dict(l=20, r=20, t=50, b=20))
    return fig


def plot_loss_history(losses: Sequence[float], ax=None, label: str = "training loss",
                      xlabel: str = "chunk of the corpus"):
    """A training-loss curve (chapter 2)."""
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.2))
    ax.plot(np.arange(1, len(losses) + 1), losses, label=label)
    ax.set(xlabel=xlabel, ylabel="loss per example", title="word2vec training")
    ax.legend()
    return ax.figure


def plot_history(history, title: str = "Training curves"):
    """Loss and the first metric per epoch of a :class:`~nlpcourse.train.History`, train and validation (chapter 3)."""
    plt = _plt()
    metric = next((name for name in history.train if name != "loss"), None)
    panels = ["loss"] + ([metric] if metric else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.4), squeeze=False)
    epochs = np.arange(1, history.epochs + 1)
    for ax, name in zip(axes[0], panels):
        ax.plot(epochs, history.train[name], "o-", label="train")
        if history.val.get(name):
            ax.plot(epochs[:len(history.val[name])], history.val[name], "s-", label="validation")
            ax.axvline(history.best_epoch, color="k", ls=":", lw=1, label=f"best epoch ({history.best_epoch})")
        ax.set(xlabel="epoch", ylabel=name.replace("_", " "), title=name.replace("_", " "))
        ax.legend()
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _graph_layers(root) -> tuple[list, dict[int, int]]:
    from nlpcourse.autograd.engine import topological_order
    order = topological_order(root)
    depth: dict[int, int] = {}
    for node in order:  # inputs come first: a node sits one column right of its deepest input
        depth[id(node)] = 1 + max((depth[id(c)] for c in node._prev), default=-1)
    return order, depth


def draw_graph(root, ax=None, title: str = "Computational graph"):
    """Draw the graph of a scalar :class:`~nlpcourse.autograd.Value`: data and grad of each node (chapter 3).

    Inputs on the left, the output on the right; each box shows ``label | data | grad``,
    each circle the operation that produced the box to its right.
    """
    plt = _plt()
    order, depth = _graph_layers(root)
    columns: dict[int, list] = {}
    for node in order:
        columns.setdefault(depth[id(node)], []).append(node)
    pos = {id(n): (2.0 * d, -1.2 * i + 0.6 * (len(col) - 1)) for d, col in columns.items() for i, n in enumerate(col)}
    if ax is None:
        width = 2.3 * (max(columns) + 1) + 1
        _, ax = plt.subplots(figsize=(min(width, 16), 0.9 * max(len(c) for c in columns.values()) + 1.5))
    for node in order:
        x, y = pos[id(node)]
        for child in node._prev:  # edges: input -> op circle -> node
            cx, cy = pos[id(child)]
            ax.annotate("", xy=(x - 0.9, y), xytext=(cx + 0.5, cy),
                        arrowprops=dict(arrowstyle="-|>", color="0.45", lw=0.8, mutation_scale=10))
        if node._op:
            ax.text(x - 0.75, y, node._op, ha="center", va="center", fontsize=8,
                    bbox=dict(boxstyle="circle,pad=0.3", fc="#fdebd0", ec="#e67e22"))
            ax.annotate("", xy=(x - 0.5, y), xytext=(x - 0.62, y),
                        arrowprops=dict(arrowstyle="-|>", color="0.45", lw=0.8, mutation_scale=10))
        name = f"{node.label} | " if node.label else ""
        ax.text(x, y, f"{name}data {node.data:.3g}\ngrad {node.grad:.3g}", ha="center", va="center", fontsize=8,
                bbox=dict(boxstyle="round,pad=0.3", fc="#d6eaf8", ec="#2471a3"))
    xs, ys = zip(*pos.values())
    ax.set(xlim=(min(xs) - 1.2, max(xs) + 0.8), ylim=(min(ys) - 0.8, max(ys) + 0.8), title=title)
    ax.axis("off")
    return ax.figure


def plot_activations(x: np.ndarray, curves: dict[str, tuple[np.ndarray, np.ndarray]]):
    """Each activation function and its derivative, side by side (chapter 3)."""
    plt = _plt()
    fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(10, 3.8), sharex=True)
    for name, (y, dy) in curves.items():
        ax_f.plot(x, y, label=name)
        ax_d.plot(x, dy, label=name)
    ax_f.set(xlabel="x", ylabel="f(x)", title="activation", ylim=(-1.6, 3.2))
    ax_d.set(xlabel="x", ylabel="f'(x)", title="derivative", ylim=(-0.2, 1.3))
    for ax in (ax_f, ax_d):
        ax.axhline(0, color="k", lw=0.4)
        ax.axvline(0, color="k", lw=0.4)
        ax.grid(alpha=0.3)
    ax_d.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def plot_filter_ngrams(top_ngrams: dict[str, list[tuple[str, float]]], ncols: int = 3,
                       title: str = "Which n-grams make each filter fire"):
    """For a few convolution filters, the n-grams with the largest activations, as bars (chapter 4)."""
    plt = _plt()
    if not top_ngrams:
        raise ValueError("plot_filter_ngrams needs at least one filter")
    nrows = -(-len(top_ngrams) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 2.6 * nrows), squeeze=False)
    for ax, (name, pairs) in zip(axes.ravel(), top_ngrams.items()):
        grams, scores = zip(*pairs[::-1])
        ax.barh(range(len(grams)), scores, color="#2471a3")
        ax.set_yticks(range(len(grams)), grams, fontsize=8)
        ax.set_title(name, fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    for ax in axes.ravel()[len(top_ngrams):]:
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_review_trace(tokens: Sequence[str], probability: np.ndarray, cells: np.ndarray, units: Sequence[int],
                      title: str = "Reading a review word by word"):
    """Interactive: P(positive) after each token, above a heatmap of some LSTM cell units (chapter 5).

    ``probability`` is ``(T,)``, ``cells`` ``(T, H)``; hover shows the token at each step.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots
    tokens, steps = list(tokens), np.arange(len(tokens))
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06, row_heights=[0.55, 0.45],
                        subplot_titles=("P(positive) after each word", "cell state of some units"))
    fig.add_trace(go.Scatter(x=steps, y=probability, mode="lines+markers", text=tokens, marker=dict(size=4),
                             hovertemplate="%{x}: <b>%{text}</b><br>P(positive) %{y:.2f}<extra></extra>",
                             name="P(positive)"), row=1, col=1)
    fig.add_hline(y=0.5, line_dash="dot", line_color="grey", row=1, col=1)
    chosen = cells[:, list(units)].T                                  # (units, T)
    limit = float(np.abs(chosen).max()) or 1.0
    fig.add_trace(go.Heatmap(z=chosen, x=steps, y=[f"unit {u}" for u in units], zmin=-limit, zmax=limit,
                             colorscale="RdBu", text=[tokens] * len(units), showscale=False,
                             hovertemplate="%{y}, %{x}: <b>%{text}</b><br>cell %{z:.2f}<extra></extra>"),
                  row=2, col=1)
    fig.update_yaxes(range=[0, 1], title_text="P(positive)", row=1, col=1)
    fig.update_xaxes(title_text="position in the review (hover for the word)", row=2, col=1)
    fig.update_layout(title=title, height=520, showlegend=False, template="plotly_white",
                      margin=dict(l=60, r=20, t=70, b=40))
    return fig


def plot_word_scores(tokens: Sequence[str], scores: dict[str, np.ndarray], title: str = "", y_label: str = "score"):
    """Interactive: one line per score along a text, the word under the cursor on hover (chapter 6)."""
    import plotly.graph_objects as go
    tokens, steps = list(tokens), np.arange(len(tokens))
    fig = go.Figure([go.Scatter(x=steps, y=values, mode="lines+markers", name=name, text=tokens, marker=dict(size=4),
                                hovertemplate="%{x}: <b>%{text}</b><br>" + name + " %{y:.3f}<extra></extra>")
                     for name, values in scores.items()])
    fig.update_layout(title=title, xaxis_title="position in the review (hover for the word)", yaxis_title=y_label,
                      height=420, template="plotly_white", margin=dict(l=60, r=20, t=60, b=40),
                      legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"))
    return fig


def plot_attention(tokens: Sequence[str], weights: np.ndarray, title: str = ""):
    """Interactive heatmaps of attention weights ``(heads, T, T)`` over a text: one button per head and one for
    their average; rows are the attending words (queries), columns the words attended to (chapter 7)."""
    import plotly.graph_objects as go
    weights = np.asarray(weights)
    if weights.ndim != 3 or weights.shape[1:] != (len(tokens), len(tokens)):
        raise ValueError(f"weights must have shape (heads, {len(tokens)}, {len(tokens)}) for {len(tokens)} tokens, "
                         f"got {weights.shape}")
    tokens = list(tokens)
    hover = [[f"{tokens[i]} → {tokens[j]}" for j in range(len(tokens))] for i in range(len(tokens))]
    maps = {"average": weights.mean(axis=0)} | {f"head {h + 1}": w for h, w in enumerate(weights)}
    fig = go.Figure([go.Heatmap(z=w, text=hover, colorscale="Blues", visible=n == 0, zmin=0,
                                hovertemplate="%{text}<br>weight %{z:.3f}<extra>" + name + "</extra>")
                     for n, (name, w) in enumerate(maps.items())])
    buttons = [dict(label=name, method="update", args=[{"visible": [m == n for m in range(len(maps))]}])
               for n, name in enumerate(maps)]
    ticks = dict(tickmode="array", tickvals=list(range(len(tokens))), ticktext=tokens, tickfont=dict(size=9))
    fig.update_layout(title=dict(text=title, y=0.98, yanchor="top"), height=640, template="plotly_white",
                      margin=dict(l=90, r=20, t=120, b=90),
                      xaxis=dict(title="attended word (key)", tickangle=-60, **ticks),
                      yaxis=dict(title="attending word (query)", autorange="reversed", **ticks),
                      updatemenus=[dict(type="buttons", direction="right", buttons=buttons, x=0, y=1.02,
                                        xanchor="left", yanchor="bottom", showactive=True)])
    return fig


def plot_alignment(examples: Sequence[tuple[Sequence[str], Sequence[str], np.ndarray]], labels: Sequence[str],
                   title: str = ""):
    """Interactive alignment heatmaps of translations (chapter 8): one per example, chosen with the buttons.

    Each example is ``(source tokens, target tokens, weights (len(target), len(source)))``: row ``i`` says
    how much the decoder looked at each source word while writing target word ``i``.
    """
    import plotly.graph_objects as go
    if len(examples) != len(labels) or not examples:
        raise ValueError(f"give one label per example and at least one example, got {len(examples)} examples "
                         f"and {len(labels)} labels")
    traces, axes = [], []
    for n, (source, target, weights) in enumerate(examples):
        weights = np.asarray(weights)
        if weights.shape != (len(target), len(source)):
            raise ValueError(f"example {n}: weights must have shape (target words, source words) = "
                             f"{(len(target), len(source))}, got {weights.shape}")
        hover = [[f"{t} ← {s}" for s in source] for t in target]
        traces.append(go.Heatmap(z=weights, text=hover, colorscale="Blues", zmin=0, zmax=1, visible=n == 0,
                                 hovertemplate="%{text}<br>weight %{z:.2f}<extra></extra>"))
        axes.append({"xaxis.tickvals": list(range(len(source))), "xaxis.ticktext": list(source),
                     "yaxis.tickvals": list(range(len(target))), "yaxis.ticktext": list(target)})
    fig = go.Figure(traces)
    buttons = [dict(label=label, method="update",
                    args=[{"visible": [m == n for m in range(len(examples))]}, axes[n]])
               for n, label in enumerate(labels)]
    fig.update_layout(title=dict(text=title, y=0.98, yanchor="top"), height=560, template="plotly_white",
                      margin=dict(l=100, r=20, t=130, b=100),
                      xaxis=dict(title="source word (English)", tickmode="array", tickangle=-45,
                                 tickvals=axes[0]["xaxis.tickvals"], ticktext=axes[0]["xaxis.ticktext"]),
                      yaxis=dict(title="word written (French)", tickmode="array", autorange="reversed",
                                 tickvals=axes[0]["yaxis.tickvals"], ticktext=axes[0]["yaxis.ticktext"]),
                      updatemenus=[dict(type="buttons", direction="right", buttons=buttons, x=0, y=1.02,
                                        xanchor="left", yanchor="bottom", showactive=True)])
    return fig
