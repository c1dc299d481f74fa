"""Run the sdrlink command line with file reading and writing slowed down.

For the interrupt tests: a real ``sdrlink`` process (the same ``main``) whose
recordings are read, and simulated recordings written, block by block with a
pause, so that a signal reliably arrives mid-run. Nothing else is changed.

    python tests/slow_cli.py DELAY_S decode rec.sigmf-meta -p lora ...
"""

from __future__ import annotations

import sys
import time


def main() -> int:
    from sdrlink.cli.main import main as sdrlink_main
    from sdrlink.sources.raw import RawSource
    from sdrlink.sources.writer import SigMFWriter

    delay = float(sys.argv[1])
    read, write = RawSource.blocks, SigMFWriter.write

    def slow_blocks(self, block_size=1 << 16):  # type: ignore[no-untyped-def]
        for block in read(self, block_size):
            time.sleep(delay)
            yield block

    def slow_write(self, samples):  # type: ignore[no-untyped-def]
        write(self, samples)
        time.sleep(delay)

    RawSource.blocks = slow_blocks  # type: ignore[method-assign]
    SigMFWriter.write = slow_write  # type: ignore[method-assign]
    return sdrlink_main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
