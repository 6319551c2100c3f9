"""``python -m torchkeras script.py [args...]``: run an unmodified Keras script on torchkeras.

The script's ``import keras`` / ``from tensorflow import keras`` / ``tf.keras.*`` are served by
torchkeras for this run only (see ``torchkeras.importer``); the script runs as ``__main__``
with ``sys.argv = [script.py, args...]`` and its folder first on ``sys.path``, as
``python script.py`` would run it.  ``python -m torchkeras -m package.module [args...]`` runs a
module the same way.
"""
import os
import runpy
import sys

from torchkeras import importer
import torchkeras

__all__ = ['main']

USAGE = """usage: python -m torchkeras SCRIPT.py [ARGS...]
       python -m torchkeras -m MODULE [ARGS...]

Runs a Keras program on PyTorch without editing it: `keras`, `keras.*`, `tensorflow.keras.*`
and `tf.keras` are served by torchkeras for this run."""


def main(argv=None):
    """Run the script (or module) named in ``argv`` (default ``sys.argv[1:]``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ('-h', '--help'):
        print(USAGE)
        return 0 if argv else 2
    if argv[0] == '--version':
        print('torchkeras', torchkeras.__version__)
        return 0
    if argv[0] == '-m':
        if len(argv) < 2:
            print(USAGE, file=sys.stderr)
            return 2
        importer.install()
        sys.argv = argv[1:]
        sys.path.insert(0, os.getcwd())
        runpy.run_module(argv[1], run_name='__main__', alter_sys=True)
        return 0
    script = argv[0]
    if not os.path.exists(script):
        print("python -m torchkeras: can't open file %r: No such file or directory" % script,
              file=sys.stderr)
        return 2
    importer.install()
    sys.argv = argv
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name='__main__')
    return 0


if __name__ == '__main__':
    sys.exit(main())
