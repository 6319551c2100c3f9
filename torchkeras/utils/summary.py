"""model.summary(): tf.keras 2's table, character for character.

The layout follows tf_keras 2.21 ``layer_utils.print_summary``: a sequential-like model
(Sequential, subclassed, or a chain without shared layers) gets 65 columns at positions
[.45, .85, 1]; any other graph gets 98 columns at [.3, .6, .7, 1] and a 'Connected to'
column.  Long cells wrap onto continuation lines, breaking after '),', '},', '],' or "',"
when one of those occurs in the part that fits.  Totals are printed without thousands
separators, with the weight memory in 1024-based units ("13.54 KB", "0.00 Byte").
"""
import re

import numpy as np

__all__ = ['print_summary', 'readable_memory_size', 'count_params']


def count_params(weights):
    return int(sum(int(np.prod(w.shape)) for w in weights))


def _memory_size(weights):
    return sum(int(np.prod(w.shape)) * np.dtype(w.dtype).itemsize for w in weights)


def readable_memory_size(size):
    """Bytes -> '13.54 KB' as tf.keras prints it."""
    for unit in ('Byte', 'KB', 'MB', 'GB', 'TB', 'PB'):
        if size / 1024 < 1:
            return '{:.2f} {}'.format(size, unit)
        size /= 1024
    return '{:.2f} {}'.format(size, 'PB')


def _is_sequential_like(model):
    # tf.keras's test too: a Sequential, or any model that is not a graph network
    if getattr(model, '_is_sequential', False) or not getattr(model, '_is_graph_network', False):
        return True
    nodes = []
    for depth_nodes in model._nodes_by_depth.values():
        if len(depth_nodes) > 1 or (len(depth_nodes) == 1 and
                                    len(depth_nodes[0].keras_inputs) > 1):
            return False
        nodes += depth_nodes
    for layer in model.layers:  # a layer called twice in the model is shared
        if sum(node in nodes for node in layer._inbound_nodes) > 1:
            return False
    return True


def _row_printer(positions, print_fn):
    def print_row(fields, nested_level=0):
        left = [str(x) for x in fields]
        while any(left):
            line = ''
            for col in range(len(left)):
                start = positions[col - 1] if col > 0 else 0
                last = col == len(positions) - 1
                space = 0 if last else 2
                cutoff = positions[col] - start - space - (0 if last else 1)
                if col == 0:
                    cutoff -= nested_level
                fits = left[col][:cutoff]
                breaks = [fits.find(m) + len(m) for m in ('),', '},', '],', "',") if m in fits]
                if breaks:
                    cutoff = min(breaks)
                    fits = fits[:cutoff]
                if col == 0:
                    line += '|' * nested_level + ' '
                line += fits + ' ' * space
                left[col] = left[col][cutoff:]
                if nested_level and last:
                    line += ' ' * (positions[col] - len(line) - nested_level)
                else:
                    line += ' ' * (positions[col] - len(line))
            print_fn(line + '|' * nested_level)
    return print_row


def _output_shape(layer):
    try:
        return layer.output_shape
    except AttributeError:
        return 'multiple'


def _connections(layer, relevant_nodes):
    out = []
    for node in layer._inbound_nodes:
        if relevant_nodes and node not in relevant_nodes:
            continue
        for inbound, node_index, tensor_index, _ in node.iterate_inbound():
            out.append('%s[%d][%d]' % (inbound.name, node_index, tensor_index))
    return out


def _layer_range(model, layer_range):
    if layer_range is None:
        return 0, len(model.layers)
    if len(layer_range) != 2 or not all(isinstance(x, str) for x in layer_range):
        raise ValueError('layer_range must be a list or tuple of 2 strings. Received: '
                         'layer_range=%r' % (layer_range,))
    names = [layer.name for layer in model.layers]
    lower = [i for i, n in enumerate(names) if re.match(layer_range[0], n)]
    upper = [i for i, n in enumerate(names) if re.match(layer_range[1], n)]
    if not lower or not upper:
        raise ValueError('Passed layer_names do not match the layer names in the model. '
                         'Received: %r' % (layer_range,))
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """Print the summary table of ``model`` through ``print_fn`` (default: print)."""
    print_fn = print_fn or print
    sequential_like = _is_sequential_like(model)
    if sequential_like:
        line_length = line_length or 65
        positions = list(positions or [0.45, 0.85, 1.0])
        header = ['Layer (type)', 'Output Shape', 'Param #']
        relevant_nodes = []
    else:
        line_length = line_length or 98
        positions = list(positions or [0.3, 0.6, 0.70, 1.0])
        header = ['Layer (type)', 'Output Shape', 'Param #', 'Connected to']
        relevant_nodes = [n for nodes in model._nodes_by_depth.values() for n in nodes]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    if show_trainable:
        line_length += 11
        positions.append(line_length)
        header.append('Trainable')
    print_row = _row_printer(positions, print_fn)

    def print_layer(layer, nested_level=0, is_nested_last=False):
        params = layer.count_params() if layer.built else '0 (unused)'
        fields = ['%s (%s)' % (layer.name, type(layer).__name__), _output_shape(layer), params]
        if not sequential_like:
            fields.append(_connections(layer, relevant_nodes))
        if show_trainable:
            fields.append('Y' if layer.trainable else 'N')
        print_row(fields, nested_level)
        inner = getattr(layer, 'layers', None) if expand_nested else None
        if inner:
            print_fn('|' * (nested_level + 1) + '\u00af' * (line_length - 2 * nested_level - 2)
                     + '|' * (nested_level + 1))
            for i, sub in enumerate(inner):
                print_layer(sub, nested_level + 1, i == len(inner) - 1)
            print_fn('|' * nested_level + '\u00af' * (line_length - 2 * nested_level)
                     + '|' * nested_level)
            # tf.keras reuses is_nested_last for the inner loop, which ends True: no blank
            # row follows an expanded block.
            is_nested_last = True
        if not is_nested_last:
            print_fn('|' * nested_level + ' ' * (line_length - 2 * nested_level)
                     + '|' * nested_level)

    print_fn('Model: "%s"' % model.name)
    print_fn('_' * line_length)
    print_row(header)
    print_fn('=' * line_length)
    first, last = _layer_range(model, layer_range)
    for layer in model.layers[first:last]:
        print_layer(layer)
    print_fn('=' * line_length)
    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    t_count, n_count = count_params(trainable), count_params(non_trainable)
    t_mem, n_mem = _memory_size(trainable), _memory_size(non_trainable)
    print_fn('Total params: %d (%s)' % (t_count + n_count, readable_memory_size(t_mem + n_mem)))
    print_fn('Trainable params: %d (%s)' % (t_count, readable_memory_size(t_mem)))
    print_fn('Non-trainable params: %d (%s)' % (n_count, readable_memory_size(n_mem)))
    print_fn('_' * line_length)
