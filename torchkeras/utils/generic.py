"""Small helpers shared across the package: nested structures and names."""
from torchkeras.config import to_snake_case

__all__ = ['to_snake_case', 'flatten', 'map_structure', 'to_list', 'unpack_singleton']


def flatten(structure):
    """Leaves of nested lists, tuples and dicts (dicts in insertion order)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in flatten(item)]
    return [structure]


def nest_paths(structure, path=()):
    """(path, leaf) in tf.nest order: list/tuple items in turn, dict keys sorted; a path is
    the keys and indices leading to the leaf."""
    if isinstance(structure, dict):
        for key in sorted(structure):
            yield from nest_paths(structure[key], path + (key,))
    elif isinstance(structure, (list, tuple)):
        for index, item in enumerate(structure):
            yield from nest_paths(item, path + (index,))
    else:
        yield path, structure


def nest_flatten(structure):
    """Leaves in tf.nest order: like ``flatten``, but dict keys sorted, the order in which
    tf.keras lines up a dict of model inputs or outputs (``model.inputs``, ``outputs``)."""
    return [leaf for _, leaf in nest_paths(structure)]


def map_structure(fn, structure):
    """Apply fn to every leaf, keeping the list/tuple/dict nesting."""
    if isinstance(structure, list):
        return [map_structure(fn, item) for item in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(fn, item) for key, item in structure.items()}
    return fn(structure)


def to_list(x):
    """A single value becomes a one-element list; lists and tuples become lists."""
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def unpack_singleton(x):
    """A one-element list becomes its element, as Keras returns single outputs."""
    if isinstance(x, (list, tuple)) and len(x) == 1:
        return x[0]
    return x


def lookup_object(name, table, custom_objects, kind):
    """``custom_objects[name]``, else ``table[name]``, else a ValueError listing the names."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in table:
        return table[name]
    raise ValueError('Could not interpret %s identifier: %r. Expected one of %s.'
                     % (kind, name, sorted(table)))


def deserialize_object(config, table, custom_objects, kind):
    """A name, a ``{'class_name', 'config'}`` dict or Keras 1's flat ``{'name', ...}`` config
    -> an instance of the class (or factory) found by ``lookup_object``."""
    if isinstance(config, str):
        return lookup_object(config, table, custom_objects, kind)()
    if isinstance(config, dict) and 'class_name' not in config and 'name' in config:
        # Keras 1 wrote flat configs: {'name': 'MaxNorm', 'm': 2, 'axis': 0}
        options = {k: v for k, v in config.items() if k != 'name'}
        config = {'class_name': config['name'], 'config': options}
    if not isinstance(config, dict) or 'class_name' not in config:
        raise ValueError('Could not interpret %s identifier: %r' % (kind, config))
    factory = lookup_object(config['class_name'], table, custom_objects, kind)
    options = config.get('config') or {}
    if hasattr(factory, 'from_config'):
        return factory.from_config(options)
    return factory(**options)
