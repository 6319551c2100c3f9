"""The Keras 2 progress bar, character for character.

The text reproduces tf.keras 2 (``tf_keras/utils/generic_utils.py::Progbar``), e.g.::

    Epoch 1/2
    3/3 [==============================] - 1s 63ms/step - loss: 0.7446 - accuracy: 0.5375
    3/3 - 0s - loss: 0.7446 - accuracy: 0.5375 - 393ms/epoch - 131ms/step      (verbose=2)

Values may be Python numbers, numpy values or torch tensors.  Tensors are kept as they are
and read (``.item()``-like, one host-device sync) only when a line is actually printed, so a
throttled update costs no sync.
"""
import os
import sys
import time

import numpy as np

__all__ = ['Progbar']


def _as_number(value):
    """A displayable number from a Python/numpy value or a (possibly CUDA) torch tensor."""
    if hasattr(value, 'detach'):  # torch.Tensor, without importing torch here
        value = value.detach().cpu().numpy()
    return np.mean(value)


def _format_value(value, signed=True):
    """' %.4f' when the value is big enough, else ' %.4e' (Keras's display rule).

    tf.keras compares ``abs(v) > 1e-3`` for verbose=1 but ``v > 1e-3`` for verbose=2, so
    a negative value prints in exponent form there; ``signed`` selects the verbose=1 rule.
    """
    big_enough = abs(value) > 1e-3 if signed else value > 1e-3
    return f' {value:.4f}' if big_enough else f' {value:.4e}'


def _print_msg(message):
    # sys.stdout is looked up at every call so redirections (pytest's capsys) are honoured.
    sys.stdout.write(message)
    sys.stdout.flush()


class Progbar:
    """Displays a progress bar (``keras.utils.Progbar``).

    Args:
        target: total number of steps expected, None if unknown.
        width: progress bar width on screen.
        verbose: 0 (silent), 1 (bar, redrawn in place) or 2 (one line when finished).
        interval: minimum time in seconds between two redraws (verbose=1).
        stateful_metrics: names of values shown as given; the others are averaged over steps.
        unit_name: display name for a step ('step' or 'sample').
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name='step'):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        # Keras redraws in place on a TTY, in IPython, and on every POSIX system even when
        # the output is piped (the 'posix' module is always there on Linux and macOS).
        self._dynamic_display = (
            (hasattr(sys.stdout, 'isatty') and sys.stdout.isatty())
            or 'ipykernel' in sys.modules
            or 'posix' in sys.modules
            or 'PYCHARM_HOSTED' in os.environ
        )
        self._total_width = 0
        self._seen_so_far = 0
        self._values = {}  # name -> [weighted sum, weight]
        self._values_order = []
        self._start = time.time()
        self._last_update = 0
        self._time_at_epoch_start = self._start
        self._time_at_epoch_end = None
        self._time_after_first_step = None

    def update(self, current, values=None, finalize=None):
        """Records the values of step ``current`` and redraws.

        Args:
            current: index of the current step (1-based count of steps done).
            values: list of ``(name, value_for_last_step)`` pairs.
            finalize: whether this is the last update; None means ``current >= target``.
        """
        if finalize is None:
            finalize = False if self.target is None else current >= self.target
        self._accumulate(current, values or [])
        now = time.time()
        if current == self.target:
            self._time_at_epoch_end = now
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            _print_msg(self._dynamic_line(current, now, finalize))
        elif self.verbose == 2 and finalize:
            _print_msg(self._summary_line(current, now))
        self._last_update = now

    def add(self, n, values=None):
        self.update(self._seen_so_far + n, values)

    def _accumulate(self, current, values):
        for name, value in values:
            if name not in self._values_order:
                self._values_order.append(name)
            if name in self.stateful_metrics:
                self._values[name] = [value, 1]
                continue
            # Force a weight of at least 1: with an unknown target the last batch and the
            # epoch end report the same `current`, which would otherwise give weight 0.
            weight = max(current - self._seen_so_far, 1)
            if name not in self._values:
                self._values[name] = [value * weight, weight]
            else:
                self._values[name][0] += value * weight
                self._values[name][1] += weight
        self._seen_so_far = current

    def _average(self, name):
        total, weight = self._values[name]
        return _as_number(total) / max(1, weight)

    def _dynamic_line(self, current, now, finalize):
        """The verbose=1 text: erase the previous bar, then bar, time and values."""
        prev_total_width = self._total_width
        message = ('\b' * prev_total_width + '\r') if self._dynamic_display else '\n'
        bar = self._bar(current)
        self._total_width = len(bar)
        time_per_unit = self._estimate_step_duration(current, now)
        if self.target is None or finalize:
            info = f' - {now - self._start:.0f}s' + self._format_time(time_per_unit,
                                                                      self.unit_name)
        else:
            info = ' - ETA: ' + self._format_eta(time_per_unit * (self.target - current))
        for name in self._values_order:
            info += f' - {name}:' + _format_value(self._average(name))
        self._total_width += len(info)
        if prev_total_width > self._total_width:
            info += ' ' * (prev_total_width - self._total_width)
        if finalize:
            info += '\n'
        return message + bar + info

    def _bar(self, current):
        if self.target is None:
            return '%7d/Unknown' % current
        numdigits = int(np.log10(self.target)) + 1
        bar = ('%' + str(numdigits) + 'd/%d [') % (current, self.target)
        prog_width = int(self.width * float(current) / self.target)
        if prog_width > 0:
            bar += '=' * (prog_width - 1)
            bar += '>' if current < self.target else '='
        bar += '.' * (self.width - prog_width)
        return bar + ']'

    def _summary_line(self, current, now):
        """The verbose=2 text, printed once when the bar is finalized."""
        numdigits = int(np.log10(self.target)) + 1
        info = ('%' + str(numdigits) + 'd/%d') % (current, self.target)
        info += f' - {now - self._start:.0f}s'
        for name in self._values_order:
            info += f' - {name}:' + _format_value(self._average(name), signed=False)
        if self._time_at_epoch_end:
            time_per_epoch = self._time_at_epoch_end - self._time_at_epoch_start
            avg_time_per_step = time_per_epoch / self.target
            self._time_at_epoch_start = now
            self._time_at_epoch_end = None
            info += ' -' + self._format_time(time_per_epoch, 'epoch')
            info += ' -' + self._format_time(avg_time_per_step, self.unit_name)
            info += '\n'
        return info

    @staticmethod
    def _format_eta(eta):
        if eta > 3600:
            return '%d:%02d:%02d' % (eta // 3600, (eta % 3600) // 60, eta % 60)
        if eta > 60:
            return '%d:%02d' % (eta // 60, eta % 60)
        return '%ds' % eta

    @staticmethod
    def _format_time(time_per_unit, unit_name):
        """' 2s/epoch', ' 63ms/step' or ' 840us/step', as Keras rounds them."""
        if time_per_unit >= 1 or time_per_unit == 0:
            return f' {time_per_unit:.0f}s/{unit_name}'
        if time_per_unit >= 1e-3:
            return f' {time_per_unit * 1000.0:.0f}ms/{unit_name}'
        return f' {time_per_unit * 1000000.0:.0f}us/{unit_name}'

    def _estimate_step_duration(self, current, now):
        """Seconds per step, leaving out the (slow, non-representative) first step."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit

    def _update_stateful_metrics(self, stateful_metrics):
        self.stateful_metrics = self.stateful_metrics.union(stateful_metrics)
