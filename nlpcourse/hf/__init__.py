"""Fine-tuning pretrained Transformers with Hugging Face transformers (chapter 10).

- :mod:`~nlpcourse.hf.checkpoints`: where the weights come from (the hub, a folder, or the MiniLM
  package offline), safetensors only, failing fast offline;
- :mod:`~nlpcourse.hf.tiny`: BERT, ALBERT, DistilBERT and RoBERTa: published sizes, and tiny random
  copies with tokenizers of each kind, for running every step without the hub;
- :mod:`~nlpcourse.hf.data`: reviews into a model's inputs: its own tokenizer, head/tail/head+tail
  truncation, dict batches, and the checks that refuse a wrong tokenizer, length or label;
- :mod:`~nlpcourse.hf.finetune`: the profile's recipe, fine-tuning with the course's ``fit`` or with
  ``transformers.Trainer``, and the frozen-encoder probe.
"""
