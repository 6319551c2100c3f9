"""``keras.utils.plot_model`` / ``model_to_dot``: draw a model's layer graph with pydot + graphviz.

The drawing is tf.keras 2's (tf_keras ``utils/vis_utils.py``): one ``record`` node per layer,
labelled ``name|ClassName`` (``{name|ClassName}|{input:|output:}|{{in}|{out}}`` with
``show_shapes``), an edge from each inbound layer of every node that belongs to the model,
``rankdir``/``dpi``/``concentrate`` on the graph, and nested models as dashed clusters with
``expand_nested``.  A Sequential model is drawn with its input layer, as Keras draws it.

pydot and graphviz are optional (``pip install torchkeras-port[plot]`` and the ``graphviz``
system package); without them these functions raise ImportError saying what to install.
"""
import os

__all__ = ['model_to_dot', 'plot_model', 'check_pydot', 'check_graphviz']

_PYDOT_MISSING = 'You must install pydot (`pip install pydot`) for model_to_dot to work.'
_GRAPHVIZ_MISSING = ('You must install pydot (`pip install pydot`) and install graphviz (see '
                     'instructions at https://graphviz.gitlab.io/download/; e.g. `apt-get install '
                     'graphviz`) for plot_model to work.')


def _pydot():
    try:
        import pydot
    except ImportError:
        return None
    return pydot


def check_pydot():
    """True when pydot can be imported."""
    return _pydot() is not None


def check_graphviz():
    """True when pydot is there and graphviz's ``dot`` program runs."""
    pydot = _pydot()
    if pydot is None:
        return False
    try:
        pydot.Dot.create(pydot.Dot())
        return True
    except Exception:  # pylint: disable=broad-except  (pydot raises plain Exception too)
        return False


def _check_built(model):
    if not model.built:
        raise ValueError('This model has not yet been built. Build the model first by calling '
                         '`build()` or by calling the model on a batch of data.')


def _graph_layers(model):
    """The layers drawn: a graph model's layers, the input layer included (Sequential too)."""
    return list(model._layers)  # a Sequential's `layers` leaves its InputLayer out


def _is_graph_model(layer):
    """A Functional (or built Sequential) model, drawn as its graph of layers."""
    return getattr(layer, '_is_graph_network', False) and bool(layer.inputs)


def _wrapped_model(layer):
    inner = getattr(layer, 'layer', None)
    return inner if inner is not None and _is_graph_model(inner) else None


def _format_shape(shape):
    return str(shape).replace('{', r'\{').replace('}', r'\}')


def _shape_or_unknown(layer, attr):
    try:
        shape = getattr(layer, attr)
    except (AttributeError, ValueError):
        return '?'
    return '?' if shape is None else _format_shape(shape)


def _is_input_layer(layer):
    return getattr(layer, '_is_input_layer', False)


def _activation_name(activation):
    for attr in ('name', '__name__'):
        if isinstance(getattr(activation, attr, None), str):
            return getattr(activation, attr)
    return str(activation)


def _node_label(layer, show_shapes, show_dtype, show_layer_names, show_layer_activations,
                show_trainable):
    """The record label of one layer, built up as tf.keras builds it."""
    layer_name, class_name = layer.name, type(layer).__name__
    inner = getattr(layer, 'layer', None)
    if inner is not None and hasattr(inner, 'name') and not _is_graph_model(inner):
        layer_name = '%s(%s)' % (layer_name, inner.name)
        class_name = '%s(%s)' % (class_name, type(inner).__name__)
    label = class_name
    activation = getattr(layer, 'activation', None)
    if show_layer_activations and activation is not None:
        label = '{%s|%s}' % (label, _activation_name(activation))
    if show_layer_names:
        label = '%s|%s' % (layer_name, label)
    if show_dtype:
        label = '%s|%s' % (label, layer.dtype or '?')
    if show_shapes:
        outputs = _shape_or_unknown(layer, 'output_shape')
        # tf.keras reports an InputLayer's input shape as its output shape.
        inputs = outputs if _is_input_layer(layer) else _shape_or_unknown(layer, 'input_shape')
        label = '{%s}|{input:|output:}|{{%s}|{%s}}' % (label, inputs, outputs)
    if show_trainable:
        label = '%s|%s' % ('T' if layer.trainable else 'NT', label)
    return label


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir='TB',
                 expand_nested=False, dpi=96, subgraph=False, layer_range=None,
                 show_layer_activations=False, show_trainable=False):
    """A ``pydot.Dot`` (``pydot.Cluster`` with ``subgraph=True``) of the model's layer graph."""
    _check_built(model)
    pydot = _pydot()
    if pydot is None:
        raise ImportError(_PYDOT_MISSING)
    dot = _new_graph(pydot, model, subgraph, rankdir, dpi)
    if not _is_graph_model(model):  # a subclassed model: one node, as Keras draws it
        dot.add_node(pydot.Node(str(id(model)), label=model.name))
        return dot
    options = dict(show_shapes=show_shapes, show_dtype=show_dtype,
                   show_layer_names=show_layer_names,
                   show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    layers = _select_range(model, _graph_layers(model), layer_range)
    ends = {}  # id(nested model) -> (first node name, last node name) of its cluster
    for layer in layers:
        nested = layer if _is_graph_model(layer) else _wrapped_model(layer)
        if expand_nested and nested is not None:
            cluster = model_to_dot(nested, rankdir=rankdir, expand_nested=True, subgraph=True,
                                   **options)
            nodes = cluster.get_nodes()
            ends[id(nested)] = (nodes[0].get_name(), nodes[-1].get_name())
            dot.add_subgraph(cluster)
            if nested is layer:
                continue
            dot.add_node(pydot.Node(str(id(layer)), label=_node_label(layer, **options)))
            dot.add_edge(pydot.Edge(str(id(layer)), ends[id(nested)][0]))  # wrapper -> inside
            continue
        dot.add_node(pydot.Node(str(id(layer)), label=_node_label(layer, **options)))
    _add_edges(pydot, dot, model, layers, expand_nested, ends)
    return dot


def _new_graph(pydot, model, subgraph, rankdir, dpi):
    if subgraph:
        dot = pydot.Cluster(style='dashed', graph_name=model.name)
        dot.set('label', model.name)
        dot.set('labeljust', 'l')
        return dot
    dot = pydot.Dot()
    dot.set('rankdir', rankdir)
    dot.set('concentrate', True)
    dot.set('dpi', dpi)
    dot.set_node_defaults(shape='record')
    return dot


def _select_range(model, layers, layer_range):
    """Keras's ``layer_range=[first_name, last_name]`` (both inclusive)."""
    if layer_range is None:
        return layers
    if len(layer_range) != 2 or not all(isinstance(n, str) for n in layer_range):
        raise ValueError('layer_range must be a list of 2 layer names. Received: layer_range=%r'
                         % (layer_range,))
    names = [layer.name for layer in layers]
    missing = [n for n in layer_range if n not in names]
    if missing:
        raise ValueError('layer_range names %s are not layers of model "%s". Layers: %s'
                         % (missing, model.name, names))
    return layers[names.index(layer_range[0]):names.index(layer_range[1]) + 1]


def _add_edges(pydot, dot, model, layers, expand_nested, ends):
    """An edge from each inbound layer of each of the model's nodes to the layer."""
    drawn = {id(layer) for layer in layers}
    for layer in layers:
        for node in layer._inbound_nodes:
            if node not in model._network_nodes:
                continue
            for inbound in node.inbound_layers:
                if id(inbound) not in drawn:
                    continue
                src = _endpoint(inbound, expand_nested, ends, last=True)
                dst = _endpoint(layer, expand_nested, ends, last=False)
                if not dot.get_edge(src, dst):
                    dot.add_edge(pydot.Edge(src, dst))


def _endpoint(layer, expand_nested, ends, last):
    """Where an edge to/from ``layer`` attaches: into an expanded nested model's cluster."""
    if expand_nested and id(layer) in ends:
        return ends[id(layer)][1 if last else 0]
    inner = _wrapped_model(layer)
    if expand_nested and inner is not None and last:
        return ends[id(inner)][1]
    return str(id(layer))


def plot_model(model, to_file='model.png', show_shapes=False, show_dtype=False,
               show_layer_names=True, rankdir='TB', expand_nested=False, dpi=96,
               layer_range=None, show_layer_activations=False, show_trainable=False):
    """Draw the model with graphviz into ``to_file`` (format from its extension, default png).

    Returns an ``IPython.display.Image`` of a png/jpg/gif file when IPython is installed (so a
    notebook shows the plot), else None.
    """
    _check_built(model)
    if not check_graphviz():
        raise ImportError(_GRAPHVIZ_MISSING)
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                       show_layer_names=show_layer_names, rankdir=rankdir,
                       expand_nested=expand_nested, dpi=dpi, layer_range=layer_range,
                       show_layer_activations=show_layer_activations,
                       show_trainable=show_trainable)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or 'png'
    dot.write(to_file, format=extension)
    if extension.lower() in ('png', 'jpg', 'jpeg', 'gif'):  # what display.Image can embed
        try:
            from IPython import display
            return display.Image(filename=to_file)
        except ImportError:
            pass
    return None
