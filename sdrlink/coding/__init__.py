"""Codes shared by the framings: CRCs, Reed-Solomon, Golay, scramblers.

Pure functions over bytes and 0/1 arrays; the per-bit kernels are in
``ext/coding_dsp.pyx`` (``sdrlink._ext.coding_dsp``).
"""
