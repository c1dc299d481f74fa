"""Reading a large recording must take constant memory, not the file's size."""

from __future__ import annotations

import resource
import shutil
import tracemalloc

import numpy as np
import pytest

from sdrlink.sources.files import open_file

SIZE = 512 << 20  # bytes; created sparse, so it costs no disk blocks


@pytest.mark.parametrize(("ext", "bytes_per_sample"), [(".cf32", 8), (".cs16", 4)])
def test_large_sparse_file_streams_in_constant_memory(tmp_path, ext, bytes_per_sample):
    if shutil.disk_usage(tmp_path).free < 2 * SIZE:
        pytest.skip("not enough free disk space for the sparse test file")
    path = tmp_path / f"big{ext}"
    with open(path, "wb") as f:
        f.truncate(SIZE)
        f.seek(SIZE - bytes_per_sample)
        f.write(b"\x01" * bytes_per_sample)  # a known last sample
    src = open_file(path, sample_rate=1e6)
    assert src.info.num_samples == SIZE // bytes_per_sample

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    tracemalloc.start()
    try:
        count = 0
        last = None
        for block in src.blocks(1 << 16):
            count += len(block.samples)
            last = block
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before

    assert count == SIZE // bytes_per_sample
    assert last is not None and last.samples[-1] != 0  # really read to the end
    assert np.count_nonzero(last.samples) == 1
    assert peak < 8 << 20, f"peak traced allocation {peak / 2**20:.1f} MiB"
    assert rss_growth < 64 << 10, f"RSS grew by {rss_growth / 1024:.0f} MiB"
