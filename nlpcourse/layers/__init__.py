"""Neural network layers built from scratch, each checked against PyTorch's (chapters 4-7)."""
from nlpcourse.layers.conv import Conv1d, avg_pool1d, conv1d, conv_output_length, max_pool1d

__all__ = ["Conv1d", "avg_pool1d", "conv1d", "conv_output_length", "max_pool1d"]
