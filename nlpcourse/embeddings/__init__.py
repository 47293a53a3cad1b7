"""Word embeddings: word2vec from scratch, averaged vectors, bags of centroids (chapter 2).

Submodules import torch, gensim and scikit-learn lazily, so importing this package is cheap.
"""
from nlpcourse.embeddings.corpus import Corpus, build_vocab, keep_probabilities, noise_distribution

__all__ = ["Corpus", "build_vocab", "keep_probabilities", "noise_distribution"]
