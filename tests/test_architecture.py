"""The house's structure: imports point one way (docs/ARCHITECTURE.md).

import-linter checks the floors and the two forbidden imports (pyproject.toml); the test
here runs it as CI does, and checks what a layers contract cannot: that no module of the
package takes part in an import circle, lazy imports and package ``__init__`` files included.
"""
import os
import shutil
import subprocess
import sys

import grimp
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _strongly_connected(graph):
    """Tarjan's algorithm over grimp's import graph: the groups of modules in a circle."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []
    counter = [0]

    def visit(module):
        index[module] = low[module] = counter[0]
        counter[0] += 1
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10000))
    try:
        for module in sorted(graph.modules):
            if module not in index:
                visit(module)
    finally:
        sys.setrecursionlimit(limit)
    return groups


def test_no_module_is_part_of_an_import_circle():
    graph = grimp.build_graph('torchkeras')
    assert _strongly_connected(graph) == []


def test_the_circle_finder_finds_a_circle():
    # The check above must be able to fail: a two-module loop is one group.
    class Loop:
        modules = {'a', 'b', 'c'}

        def find_modules_directly_imported_by(self, module):
            return {'a': {'b'}, 'b': {'a'}, 'c': {'a'}}[module]
    assert _strongly_connected(Loop()) == [['a', 'b']]


def test_import_linter_contracts_are_kept():
    executable = shutil.which('lint-imports')
    if executable is None:
        pytest.fail('lint-imports is not installed: pip install -e ".[test]"')
    result = subprocess.run([executable, '--no-cache'], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Contracts: 3 kept, 0 broken.' in result.stdout


def test_graph_saving_training_and_utils_import_neither_layers_nor_models():
    graph = grimp.build_graph('torchkeras')
    assert graph.find_shortest_chain('torchkeras.graph', 'torchkeras.layers') is None
    for low in ('torchkeras.saving', 'torchkeras.training', 'torchkeras.utils'):
        for high in ('torchkeras.layers', 'torchkeras.models'):
            chain = graph.find_shortest_chains(importer=low, imported=high)
            assert not chain, (low, high, chain)


def test_activations_do_not_import_losses():
    graph = grimp.build_graph('torchkeras')
    assert not graph.find_shortest_chains(importer='torchkeras.activations',
                                          imported='torchkeras.losses')
