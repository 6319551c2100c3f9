#!/usr/bin/env bash
# What issue #4 still needs a CUDA machine for, in one command (run from the repository root):
# the GPU-marked tests, then fit against a raw PyTorch loop and the LSTM paths on the GPU.
set -uo pipefail
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'" || exit 1
status=0
python -m pytest -q -m gpu tests || status=1
python benchmarks/bench_fit.py --device cuda || status=1
python benchmarks/bench_fit.py --device cuda --jit || status=1
python benchmarks/bench_lstm.py --device cuda || status=1
exit $status
