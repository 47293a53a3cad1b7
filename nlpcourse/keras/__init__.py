"""Keras 3 (functional API) versions of the course's IMDB models (chapter 4 onwards).

Modules here import Keras, with the TensorFlow backend unless ``KERAS_BACKEND`` says otherwise.
"""
