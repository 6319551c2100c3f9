"""Every example runs in a fresh process, trains (its training loss falls) and reports the
parameter counts Keras reports for the same models (the reference kit's meta.json params)."""
import json
import os
import re
import subprocess
import sys

import pytest

import torchkeras

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, 'examples')
KIT_INDEX = os.path.join(ROOT, '..', 'shared', 'keras_reference', 'fixtures', 'index.json')

# example -> (the layer names it imports from torchkeras.layers,
#             {printed model name or summary total: kit case with that parameter count},
#             the printed models whose training loss must fall)
EXPECTED = {
    'quickstart.py': ((), {}, ()),
    'keras3_transformer.py': (('MultiHeadAttention', 'LayerNormalization', 'Embedding'), {},
                              ('transformer classifier', 'custom train_step')),
    'seed_000_functional_api.py': (
        ('Activation', 'Dense', 'TimeDistributed', 'Embedding', 'LSTM', 'Conv1D', 'MaxPooling1D',
         'GlobalMaxPooling1D'),
        {'Sequential classifier': 'seq_classifier_input_dim_100',
         'functional MLP': 'functional_mlp_64_32_32_10',
         'two-input question answering': 'qa_two_input_lstm',
         'three outputs (age, income, gender)': 'three_output_age_income_gender',
         'Total params: 25120': 'seq_add_dense_relu_input_shape',
         'Total params: 3466': 'timedistributed_model'},
        ('Sequential classifier', 'functional MLP', 'two-input question answering',
         'three outputs (age, income, gender)')),
    'seed_001_sequential_guide.py': (
        ('GRU', 'LSTM', 'Activation', 'Convolution2D', 'Dense', 'Dropout', 'Embedding', 'Flatten',
         'MaxPooling2D', 'Merge', 'RepeatVector', 'TimeDistributed'),
        {'two-branch Merge model': 'merge_two_dense_branches',
         'MLP (SGD, init=uniform)': 'mlp_dropout_tanh_softmax',
         'stacked LSTM': 'stacked_lstm_x3', 'stateful stacked LSTM': 'stateful_stacked_lstm',
         'two merged LSTM encoders': 'two_lstm_encoders_concat',
         'Total params: 25450': 'seq_list_dense_relu_softmax'},
        ('binary classifier', 'two-branch Merge model', 'MLP (SGD, init=uniform)',
         'VGG-like convnet', 'image captioning (Merge of convnet and GRU)')),
    'seed_002_multitask.py': (
        ('LSTM', 'Dense', 'Input'),
        {'Sequential, one 2-unit output': 'seq_lstm_10x2_dense',
         'functional, two outputs': 'func_lstm_10x2_two_outputs'},
        ('Sequential, one 2-unit output', 'functional, two outputs')),
    'seed_003_functional_zoo.py': (
        ('LSTM', 'Bidirectional', 'Concatenate', 'Conv2D', 'Dense', 'Embedding', 'Flatten',
         'Input', 'MaxPooling2D', 'TimeDistributed'),
        {'multilayer perceptron': 'mlp_32_10_20_10_1', 'multiple inputs': 'two_image_input',
         'multiple outputs': 'multi_output_lstm_timedistributed',
         'Total params: 33802': 'shared_feature_extraction_lstm'},
        ('multilayer perceptron', 'multiple inputs', 'multiple outputs')),
    'seed_004_pima.py': (
        ('Activation', 'Dense'),
        {'pima MLP': 'pima_binary_mlp', 'Total params: 25450': 'seq_dense_tanh_softmax_784'},
        ('pima MLP',)),
}

# The kit's meta.json parameter counts (tf_keras 2.21), also checked against the kit's index
# when the kit is beside the project.
KERAS_PARAMS = {
    'seq_classifier_input_dim_100': 3562, 'functional_mlp_64_32_32_10': 3466,
    'qa_two_input_lstm': 88052, 'three_output_age_income_gender': 90220,
    'seq_add_dense_relu_input_shape': 25120, 'timedistributed_model': 3466,
    'merge_two_dense_branches': 50890, 'mlp_dropout_tanh_softmax': 6154,
    'stacked_lstm_x3': 23242, 'stateful_stacked_lstm': 23242, 'two_lstm_encoders_concat': 14954,
    'seq_list_dense_relu_softmax': 25450, 'seq_lstm_10x2_dense': 4762,
    'func_lstm_10x2_two_outputs': 4762, 'mlp_32_10_20_10_1': 771, 'two_image_input': 86793,
    'multi_output_lstm_timedistributed': 1452, 'shared_feature_extraction_lstm': 33802,
    'pima_binary_mlp': 221, 'seq_dense_tanh_softmax_784': 25450,
}

REPORT = re.compile(r'^(?P<name>.+): params (?P<params>\d+), loss (?P<first>[-\d.e+naninf]+) -> '
                    r'(?P<last>[-\d.e+naninf]+)$', re.M)


def test_every_example_is_listed():
    assert sorted(f for f in os.listdir(EXAMPLES) if f.endswith('.py')) == sorted(EXPECTED)


def test_parameter_counts_are_the_kits():
    if not os.path.exists(KIT_INDEX):
        pytest.skip('Keras reference kit not found')
    with open(KIT_INDEX) as f:
        index = json.load(f)
    for case, params in KERAS_PARAMS.items():
        assert index[case]['params'] == params, case


@pytest.mark.slow
@pytest.mark.parametrize('example', sorted(EXPECTED))
def test_example_runs_and_trains(example):
    needed, params, falling = EXPECTED[example]
    missing = [n for n in needed if not hasattr(torchkeras.layers, n)]
    if missing:
        pytest.skip('torchkeras.layers does not export %s yet' % ', '.join(missing))
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''),
               MPLBACKEND='Agg')
    # The seed articles' programs draw unseeded random data, so a short run's loss can rise
    # by chance; the test seeds the process first (the example file stays as written).
    path = os.path.join(EXAMPLES, example)
    seeded = ('import runpy, sys, torchkeras; torchkeras.utils.set_random_seed(0); '
              'sys.argv = [%r]; runpy.run_path(%r, run_name="__main__")' % (path, path))
    result = subprocess.run([sys.executable, '-c', seeded], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    reports = {m.group('name'): m.groupdict() for m in REPORT.finditer(result.stdout)}
    for key, case in params.items():
        if key.startswith('Total params: '):
            assert 'Total params: %d ' % KERAS_PARAMS[case] in result.stdout, key
        else:
            assert int(reports[key]['params']) == KERAS_PARAMS[case], (key, reports[key])
    for name in falling:
        first, last = float(reports[name]['first']), float(reports[name]['last'])
        assert last < first, '%s: training loss did not fall (%s -> %s)' % (name, first, last)
