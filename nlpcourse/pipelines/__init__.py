"""Chapter pipelines: one call trains and scores a chapter's models, for the chapter and its benchmark.

- :mod:`~nlpcourse.pipelines.baselines`: the TF-IDF, NB-SVM and word-vector sentiment baselines (chapters 1-2);
- :mod:`~nlpcourse.pipelines.translation`: the translation models, trained and scored with BLEU (chapter 8);
- :mod:`~nlpcourse.pipelines.pretraining`: the small BERT, ELMo and GPT, pretrained and fine-tuned (chapter 9).

They sit above the models and the training loop and below the benchmarks (``tests/test_layout.py``).
"""
