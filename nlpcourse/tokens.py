"""The special tokens and the ignored target id that tokenizers, data, losses and metrics agree on (chapters 1-9).

The lowest floor of the package: it imports nothing, and every module that needs one of these takes it
from here, so no two can drift apart.
"""

IGNORE_INDEX = -100                     # PyTorch's convention for targets that do not count (padding)

# word vocabularies (chapters 1-8): <pad> and <unk> come first, indices 0 and 1
PAD, UNK = "<pad>", "<unk>"
# the start and the end of a sentence a decoder writes (chapter 8)
BOS, EOS = "<bos>", "<eos>"
TRANSLATION_SPECIALS = (PAD, UNK, BOS, EOS)     # indices 0, 1, 2, 3 in both vocabularies of a translation

# BERT's WordPiece vocabularies (chapter 9); the course's own gives them ids 0 to 4, in this order
BERT_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
