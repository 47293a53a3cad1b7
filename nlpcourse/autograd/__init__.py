"""Reverse-mode automatic differentiation from scratch: scalars and numpy tensors (chapter 3)."""
from nlpcourse.autograd.engine import Value
from nlpcourse.autograd.gradcheck import gradcheck, numerical_grad
from nlpcourse.autograd.nn import MLP, SGD, Linear
from nlpcourse.autograd.tensor import Tensor, cross_entropy, unbroadcast

__all__ = ["Linear", "MLP", "SGD", "Tensor", "Value", "cross_entropy", "gradcheck",
           "numerical_grad", "unbroadcast"]
