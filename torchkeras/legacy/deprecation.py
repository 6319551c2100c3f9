"""One DeprecationWarning per Keras 1 spelling, pointed at the user's line."""
import os
import sys
import warnings

__all__ = ['warn_renamed', 'warn_once', 'reset_warnings']

_WARNED = set()
# torchkeras/ (this file is torchkeras/legacy/deprecation.py)
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _user_stacklevel():
    """The stacklevel of the first frame outside torchkeras (and importlib), for warnings."""
    frame, level = sys._getframe(2), 2  # 1 is warn_once's caller: never the user
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        internal = filename.startswith(_PACKAGE_DIR + os.sep) or 'importlib' in filename
        if not internal:
            return level
        frame, level = frame.f_back, level + 1
    return 2


def warn_once(key, message):
    """Emit ``message`` as a DeprecationWarning the first time ``key`` is seen."""
    if key in _WARNED:
        return
    _WARNED.add(key)
    warnings.warn(message, DeprecationWarning, stacklevel=_user_stacklevel())


def warn_renamed(owner, old, new):
    """One DeprecationWarning per (owner, old) naming the modern spelling."""
    warn_once((owner, old), 'Keras 1 argument `%s` of %s is deprecated; use `%s` instead.'
              % (old, owner, new))


def reset_warnings():
    """Forget which spellings were already warned about (tests use it)."""
    _WARNED.clear()
