"""The style rules of setup.cfg hold across the tree (flake8, line length 100)."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_flake8_is_clean():
    pytest.importorskip('flake8')
    result = subprocess.run([sys.executable, '-m', 'flake8', 'torchkeras', 'tests', 'examples',
                             'benchmarks'], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
