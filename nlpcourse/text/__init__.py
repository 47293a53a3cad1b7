"""Text processing: cleaning, tokens, vocabularies, batching, bag of words and TF-IDF (chapter 1)."""
from nlpcourse.text.batching import bucket_batches, pad_sequences
from nlpcourse.text.clean import clean_text
from nlpcourse.text.search import Hit, SearchEngine
from nlpcourse.text.tfidf import CountVectorizer, TfidfVectorizer
from nlpcourse.text.tokenize import SKLEARN_TOKEN_PATTERN, ngrams, tokenize, tokenize_corpus
from nlpcourse.text.vocab import PAD, UNK, Vocab

__all__ = ["CountVectorizer", "Hit", "PAD", "SKLEARN_TOKEN_PATTERN", "SearchEngine",
           "TfidfVectorizer", "UNK", "Vocab", "bucket_batches", "clean_text", "ngrams",
           "pad_sequences", "tokenize", "tokenize_corpus"]
