"""Tests of maskpack_stream, run without PyTorch (npm test runs them; alone:
``MASKPACK="node dist/src/cli/main.js" python3 -m unittest python/test_maskpack_stream.py``).

The PyTorch code paths run against a minimal fake ``torch`` (only the API the module documents
that it uses), injected into ``sys.modules`` for a fresh import of the module.
"""
import functools
import importlib.util
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import types
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import maskpack_stream as ms  # noqa: E402

WORDS = 'the quick brown fox jumps over a lazy dog while people of the nation listen to congress about state and union'.split()
STORE = None
TMP = None
OPTIONS = {'format': 'segment-pair', 'seq_len': 32, 'batch': 5, 'seed': 7, 'workers': 0}
PAIR_ARRAYS = ['input_ids', 'attention_mask', 'labels', 'token_type_ids', 'next_sentence_label']


def setUpModule():
    global STORE, TMP
    TMP = tempfile.mkdtemp(prefix='maskpack-py-')
    rng = random.Random(3)
    lines = []
    for _ in range(30):
        lines += [' '.join(rng.choice(WORDS) for _ in range(rng.randint(3, 20))) + '.' for _ in range(rng.randint(2, 6))] + ['']
    with open(os.path.join(TMP, 'corpus.txt'), 'w') as f:
        f.write('\n'.join(lines))
    STORE = os.path.join(TMP, 's')
    subprocess.run(ms.stream_command() + ['ingest', os.path.join(TMP, 'corpus.txt'), '--out', STORE, '--input-format', 'lines', '--workers', '1'],
                   check=True, capture_output=True)


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


@functools.lru_cache(maxsize=None)
def _numpy_only(args):
    data = subprocess.run(ms.stream_command() + ['stream', *args], check=True, capture_output=True).stdout
    f = io.BytesIO(data)
    out = []
    while True:
        header = json.loads(np.lib.format.read_array(f).tobytes())
        if header.get('end'):
            return out
        out.append((header, [np.lib.format.read_array(f) for _ in header['arrays']]))


def numpy_only(args):
    """The batches of ``maskpack stream args`` read with numpy.lib.format.read_array alone: [(header, [arrays])]."""
    return [(h, [a.copy() for a in arrays]) for h, arrays in _numpy_only(tuple(args))]


def flags(**options):
    return ms._flags({**OPTIONS, **options})


def full():
    """The reference run: two epochs, every rank, read by NumPy alone."""
    return numpy_only([STORE, '--epochs', '2'] + flags())


def rank1():
    """Rank 1 of 2 of the reference run's first epoch."""
    return numpy_only([STORE, '--rank', '1', '--world-size', '2'] + flags())


def as_reference(batches):
    return [(b.header, list(b.values())) for b in batches]


def longs(reference):
    """A reference with the arrays the torch path makes int64."""
    return [(h, [a.astype(np.int64) if n in ms.LONG_ARRAYS else a for n, a in zip(h['arrays'], arrays)]) for h, arrays in reference]


def of_epoch(reference, epoch):
    return [(h, arrays) for h, arrays in reference if h['epoch'] == epoch]


def gone(pid):
    """Whether process ``pid`` has exited (a zombie waiting for its parent counts as exited)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] == 'Z'
    except FileNotFoundError:
        return True


def same_place(a, b, header):
    """Whether two states are the same place after the batch of ``header``: equal, or, for an epoch's
    last batch, one in the form a run that ends there reports (epoch, batchIndex + 1) and the other
    in the form of a run that goes on (epoch + 1, 0)."""
    if a == b:
        return True
    end = {**a, 'epoch': header['epoch'], 'batchIndex': header['batchIndex'] + 1}
    on = {**a, 'epoch': header['epoch'] + 1, 'batchIndex': 0}
    return {json.dumps(a, sort_keys=True), json.dumps(b, sort_keys=True)} == {json.dumps(end, sort_keys=True), json.dumps(on, sort_keys=True)}


def assert_same_batches(test, got, want):
    test.assertEqual(len(got), len(want))
    for batch, (header, arrays) in zip(got, want):
        test.assertTrue(same_place(batch.header['state'], header['state'], header), (batch.header['state'], header['state']))
        test.assertEqual({**batch.header, 'state': None}, {**header, 'state': None})
        test.assertEqual((batch.epoch, batch.batch_index, batch.state), (header['epoch'], header['batchIndex'], batch.header['state']))
        test.assertEqual(list(batch), header['arrays'])
        for name, array in zip(header['arrays'], arrays):
            value = batch[name] if isinstance(batch[name], np.ndarray) else batch[name].array
            test.assertEqual(value.dtype, array.dtype)
            np.testing.assert_array_equal(value, array)


class StreamTest(unittest.TestCase):
    def test_batches_are_the_wire_records_as_numpy_arrays(self):
        got = list(ms.MaskpackStream(STORE, epochs=2, tensors=False, **OPTIONS))
        assert_same_batches(self, got, full())
        self.assertEqual(list(got[0]), PAIR_ARRAYS)
        self.assertTrue(all(a.flags.writeable and a.flags.c_contiguous for b in got for a in b.values()))
        self.assertEqual({b.epoch for b in got}, {0, 1})

    def test_packed_and_sparse_batches_yield_their_arrays(self):
        forms = {'layout': 'packed', 'labels': 'sparse', 'max_predictions': 24}
        got = list(ms.MaskpackStream(STORE, batches=3, tensors=False, **OPTIONS, **forms))
        assert_same_batches(self, got, numpy_only([STORE, '--batches', '3'] + flags(**forms)))
        self.assertEqual(list(got[0]), ['input_ids', 'position_ids', 'cu_seqlens', 'max_seqlen', 'masked_positions', 'masked_ids',
                                        'masked_weights', 'masked_row_start', 'token_type_ids', 'next_sentence_label'])
        for b in got:
            cu = b['cu_seqlens']
            self.assertEqual((cu.dtype, cu[0], cu[-1]), (np.int32, 0, len(b['input_ids'])))
            self.assertEqual(int(b['max_seqlen']), int(np.diff(cu).max()))
            self.assertEqual(b['masked_weights'].dtype, np.float32)
            self.assertEqual(b['masked_ids'].shape, (len(cu) - 1, 24))
            counts = np.diff(b['masked_row_start'])
            np.testing.assert_array_equal(b['masked_weights'].sum(axis=1), counts)
            # Row-local positions: the packed row's offset added, they point at each row's masked inputs.
            rows, k = np.nonzero(b['masked_weights'])
            flat = b['masked_positions'][rows, k] + cu[rows]
            self.assertTrue(np.all(b['masked_positions'][rows, k] < np.diff(cu)[rows]))
            self.assertTrue(np.all(b['position_ids'][flat] == b['masked_positions'][rows, k]))

    def test_without_torch_the_default_is_numpy_and_tensors_true_is_refused(self):
        self.assertIsNone(importlib.util.find_spec('torch'), 'these tests run without torch')
        got = list(ms.MaskpackStream(STORE, batches=2, **OPTIONS))
        assert_same_batches(self, got, full()[:2])
        with self.assertRaisesRegex(ImportError, 'tensors=True needs PyTorch'):
            ms.MaskpackStream(STORE, tensors=True)

    def test_resume_from_a_batch_state_gives_the_rest_exactly(self):
        reference = full()
        k = len(reference) // 3
        stream = ms.MaskpackStream(STORE, epochs=2, resume=reference[k][0]['state'], **OPTIONS)
        assert_same_batches(self, list(stream), reference[k + 1:])
        self.assertEqual(stream.state, reference[-1][0]['state'])

    def test_breaking_out_ends_the_child_process(self):
        stream = ms.MaskpackStream(STORE, epochs='inf', **OPTIONS)
        for i, batch in enumerate(stream):
            if i == 0:
                child = stream._child.proc
            if i == 2:
                break
        self.assertTrue(gone(child.pid))
        self.assertEqual(child.returncode, 0, 'maskpack saw the closed pipe and exited quietly')
        self.assertEqual(stream.state, batch.state)
        with self.assertRaisesRegex(RuntimeError, 'iterated once'):
            iter(stream)

    def test_a_killed_consumer_leaves_no_process_behind(self):
        consumer = subprocess.Popen([sys.executable, '-c', (
            'import sys, time; sys.path.insert(0, sys.argv[1]); import maskpack_stream as ms\n'
            's = ms.MaskpackStream(sys.argv[2], epochs="inf", seq_len=32, batch=5, workers=0)\n'
            'it = iter(s); next(it); print(s._child.proc.pid, flush=True); time.sleep(60)'), HERE, STORE], stdout=subprocess.PIPE)
        pid = int(consumer.stdout.readline())
        consumer.kill()
        consumer.wait()
        consumer.stdout.close()
        for _ in range(500):
            if gone(pid):
                break
            time.sleep(0.02)
        self.assertTrue(gone(pid), 'maskpack exits once its reader is gone')

    def test_close_and_with_end_the_child_process(self):
        with ms.MaskpackStream(STORE, epochs='inf', **OPTIONS) as stream:
            it = iter(stream)
            next(it)
            child = stream._child.proc
        self.assertTrue(gone(child.pid))
        stream.close()  # again: nothing to do

    def test_a_failing_maskpack_raises_with_its_message(self):
        with self.assertRaisesRegex(ms.MaskpackStreamError, r'exited with status 1: .*no-such-store.*ERR_STORE_IO'):
            list(ms.MaskpackStream(os.path.join(TMP, 'no-such-store')))
        with self.assertRaisesRegex(ms.MaskpackStreamError, r'exited with status 2: .*--mask-prob must be in \[0, 1\], got 3'):
            list(ms.MaskpackStream(STORE, mask_prob=3))
        with self.assertRaisesRegex(ValueError, 'either prefix or mix'):
            ms.MaskpackStream()

    def test_read_batches_refuses_cut_and_foreign_streams(self):
        data = subprocess.run(ms.stream_command() + ['stream', STORE, '--batches', '2'] + flags(), check=True, capture_output=True).stdout
        self.assertEqual(len(list(ms.read_batches(io.BytesIO(data)))), 2)
        end = data.rindex(b'\x93NUMPY')
        with self.assertRaisesRegex(ms.MaskpackStreamError, 'after 2 batches without its end record'):
            list(ms.read_batches(io.BytesIO(data[:end])))
        with self.assertRaisesRegex(ms.MaskpackStreamError, 'the stream ended inside next_sentence_label of batch 1'):
            list(ms.read_batches(io.BytesIO(data[:end - 100])))
        with self.assertRaisesRegex(ms.MaskpackStreamError, 'not a NumPy 1.0 .npy record'):
            list(ms.read_batches(io.BytesIO(b'x' * 64)))
        # Records NumPy itself wrote, in types maskpack does not send, go through NumPy's header parser.
        made = io.BytesIO()
        arrays = {'big_endian': np.arange(6, dtype='>i4').reshape(2, 3), 'flags': np.array([True, False]), 'scalar': np.array(7, np.int16)}
        for record in [np.frombuffer(json.dumps({'maskpack': 'stream-v1', 'epoch': 0, 'batchIndex': 0, 'arrays': list(arrays), 'state': {}}).encode(), np.uint8),
                       *arrays.values(), np.frombuffer(b'{"maskpack": "stream-v1", "end": true, "arrays": []}', np.uint8)]:
            np.lib.format.write_array(made, record)
        [batch] = ms.read_batches(io.BytesIO(made.getvalue()))
        for name, array in arrays.items():
            self.assertEqual(batch[name].dtype, array.dtype)
            np.testing.assert_array_equal(batch[name], array)
        fortran = io.BytesIO(made.getvalue()[:made.getvalue().index(b'\x93NUMPY', 1)])
        fortran.seek(0, io.SEEK_END)
        np.lib.format.write_array(fortran, np.asfortranarray(np.ones((2, 2))))
        with self.assertRaisesRegex(ms.MaskpackStreamError, 'big_endian of batch 0: expected a C-order numeric array'):
            list(ms.read_batches(io.BytesIO(fortran.getvalue())))
        foreign = io.BytesIO()
        np.lib.format.write_array(foreign, np.frombuffer(b'{"epoch": 0}', np.uint8))
        with self.assertRaisesRegex(ms.MaskpackStreamError, 'not a stream-v1 header'):
            list(ms.read_batches(io.BytesIO(foreign.getvalue())))

    def test_a_unix_socket_gives_the_same_batches(self):
        path = os.path.join(TMP, 'py.sock')
        got = list(ms.MaskpackStream(STORE, socket_path=path, batches=4, **OPTIONS))
        assert_same_batches(self, got, full()[:4])
        self.assertFalse(os.path.exists(path))


class DatasetWithoutTorchTest(unittest.TestCase):
    def setUp(self):
        self.env = {k: os.environ.get(k) for k in ('RANK', 'WORLD_SIZE')}

    def tearDown(self):
        for k, v in self.env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    def test_rank_and_world_size_come_from_the_environment(self):
        self.assertIs(ms.MaskpackDataset.__mro__[1], object)
        os.environ.update(RANK='1', WORLD_SIZE='2')
        second = list(ms.MaskpackDataset(STORE, **OPTIONS))
        assert_same_batches(self, second, rank1())
        first = list(ms.MaskpackDataset(STORE, rank=0, world_size=2, **OPTIONS))
        together = [(h, [np.concatenate([a0, a1]) for a0, a1 in zip(b0.values(), arrays)]) for b0, (h, arrays) in zip(first, rank1())]
        assert_same_batches(self, [ms.StreamBatch(dict(zip(h['arrays'], arrays)), h) for h, arrays in together], of_epoch(full(), 0))

    def test_each_iteration_is_the_next_epoch_and_state_dict_resumes_exactly(self):
        os.environ.pop('RANK', None)
        os.environ.pop('WORLD_SIZE', None)
        data = ms.MaskpackDataset(STORE, **OPTIONS)
        first, second = list(data), list(data)
        assert_same_batches(self, first, of_epoch(full(), 0))
        assert_same_batches(self, second, of_epoch(full(), 1))
        self.assertEqual(data.state_dict(), {'epoch': 2, 'state': None})
        data = ms.MaskpackDataset(STORE, **OPTIONS)
        for i, batch in enumerate(data):
            if i == 3:
                break
        saved = data.state_dict()
        self.assertEqual(saved, {'epoch': 0, 'state': batch.state})
        again = ms.MaskpackDataset(STORE, **OPTIONS)
        again.load_state_dict(json.loads(json.dumps(saved)))
        assert_same_batches(self, list(again), as_reference(first[4:]))
        again.set_epoch(5)
        self.assertEqual({b.epoch for b in again}, {5})

    def test_with_batches_each_iteration_continues_where_the_last_stopped(self):
        data = ms.MaskpackDataset(STORE, epochs='inf', batches=3, **OPTIONS)
        got = list(data) + list(data)
        assert_same_batches(self, got, full()[:6])


class FakeTensor:
    """What the fake torch.from_numpy returns: the array itself (shared memory), with long()."""

    def __init__(self, array):
        self.array = array

    def long(self):
        return FakeTensor(self.array.astype(np.int64))


def fake_torch(rank=None, world_size=None, worker=None):
    """A minimal torch: from_numpy, utils.data.IterableDataset / get_worker_info, distributed."""
    torch = types.ModuleType('torch')
    torch.from_numpy = lambda a: FakeTensor(a)
    torch.utils = types.ModuleType('torch.utils')
    torch.utils.data = types.ModuleType('torch.utils.data')
    torch.utils.data.IterableDataset = type('IterableDataset', (), {})
    torch.utils.data.get_worker_info = lambda: worker
    torch.distributed = types.ModuleType('torch.distributed')
    torch.distributed.is_available = lambda: True
    torch.distributed.is_initialized = lambda: rank is not None
    torch.distributed.get_rank = lambda: rank
    torch.distributed.get_world_size = lambda: world_size
    return {'torch': torch, 'torch.utils': torch.utils, 'torch.utils.data': torch.utils.data, 'torch.distributed': torch.distributed}


class FakeTorchTest(unittest.TestCase):
    """The torch code paths, against the fake torch."""

    def load(self, **fake):
        modules = fake_torch(**fake)
        saved = {k: sys.modules.get(k) for k in modules}
        sys.modules.update(modules)

        def restore():
            for k, v in saved.items():
                if v is None:
                    sys.modules.pop(k, None)
                else:
                    sys.modules[k] = v
        self.addCleanup(restore)
        spec = importlib.util.spec_from_file_location('maskpack_stream_with_torch', os.path.join(HERE, 'maskpack_stream.py'))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module, modules['torch']

    def test_batches_become_tensors_with_int64_labels(self):
        module, _ = self.load()
        got = list(module.MaskpackStream(STORE, batches=3, **OPTIONS))
        self.assertTrue(all(isinstance(t, FakeTensor) for b in got for t in b.values()))
        self.assertEqual([[b[n].array.dtype for n in PAIR_ARRAYS] for b in got], [[np.int32, np.int32, np.int64, np.int32, np.int64]] * 3)
        assert_same_batches(self, got, longs(full()[:3]))
        self.assertIsNone(module.MaskpackStream(STORE, tensors=False)._torch, 'tensors=False: NumPy even with torch')
        sparse = next(iter(module.MaskpackStream(STORE, batches=1, layout='packed', labels='sparse', **OPTIONS)))
        self.assertEqual({n: t.array.dtype for n, t in sparse.items()}, {
            'input_ids': np.int32, 'position_ids': np.int32, 'cu_seqlens': np.int32, 'max_seqlen': np.int32, 'masked_positions': np.int64,
            'masked_ids': np.int64, 'masked_row_start': np.int32, 'token_type_ids': np.int32, 'next_sentence_label': np.int64})

    def test_the_dataset_is_an_iterable_dataset_ranked_by_torch_distributed(self):
        module, torch = self.load(rank=1, world_size=2)
        self.assertTrue(issubclass(module.MaskpackDataset, torch.utils.data.IterableDataset))
        os.environ.update(RANK='0', WORLD_SIZE='1')
        self.addCleanup(lambda: [os.environ.pop(k, None) for k in ('RANK', 'WORLD_SIZE')])
        got = list(module.MaskpackDataset(STORE, **OPTIONS))
        assert_same_batches(self, got, longs(rank1()))

    def test_the_dataset_refuses_dataloader_worker_processes(self):
        module, _ = self.load(worker=types.SimpleNamespace(id=0, num_workers=2))
        with self.assertRaisesRegex(RuntimeError, r'num_workers=0\) \(got 2 workers\)'):
            next(iter(module.MaskpackDataset(STORE, **OPTIONS)))


if __name__ == '__main__':
    unittest.main()
