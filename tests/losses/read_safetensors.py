"""Checks that a safetensors file written by Tetra's C++ writer reads back in the reference
implementation (the `safetensors` package) with the expected contents. Used by safetensors_test.cpp."""
import sys

import numpy as np
from safetensors.numpy import load_file

tensors = load_file(sys.argv[1])
assert sorted(tensors) == ["a", "b"], sorted(tensors)
assert tensors["a"].dtype == np.float32 and tensors["a"].shape == (2, 3), tensors["a"]
assert np.array_equal(tensors["a"], np.arange(6, dtype=np.float32).reshape(2, 3)), tensors["a"]
assert tensors["b"].dtype == np.int64 and tensors["b"].tolist() == [1, 2, 3], tensors["b"]
print("safetensors package reads the C++ file")
