"""Writes test/fixtures/arrow/: pony query and document embeddings as Arrow IPC files written by pyarrow itself,
uncompressed, lz4 (feather.write_feather's default) and zstd, so the reader is checked against the reference writer.

Usage: python tools/make-arrow-fixtures.py test/fixtures/bright/data test/fixtures/arrow   (needs pyarrow, numpy)
"""
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq

data, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
dim = 8
rng = np.random.default_rng(14)
for role, config in (('queries', 'examples'), ('documents', 'documents')):
    ids = pq.read_table(os.path.join(data, config, 'pony-00000-of-00001.parquet'), columns=['id']).column('id').to_pylist()
    vectors = rng.standard_normal((len(ids), dim), dtype=np.float32)
    embedding = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1), pa.float32()), dim)
    table = pa.table({'id': pa.array(ids, pa.string()), 'embedding': embedding})
    for compression in ('uncompressed', 'lz4', 'zstd'):
        # small chunks: several record batches, each buffer compressed on its own
        feather.write_feather(table, os.path.join(out, f'pony-{role}.{compression}.arrow'), compression=compression, chunksize=16)
    np.save(os.path.join(out, f'pony-{role}.npy'), vectors)
print(pa.__version__)
