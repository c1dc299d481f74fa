"""Build the Cython extensions in ext/ as modules of sdrlink._ext.

Every ext/NAME.pyx becomes sdrlink._ext.NAME. A missing C compiler or a failed
compile stops the install with a clear message instead of a later ImportError.
"""

import glob
import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext

try:
    import numpy
    from Cython.Build import cythonize
except ImportError as exc:  # pragma: no cover - only without build deps
    sys.exit(f"sdrlink: building needs Cython and NumPy ({exc}); use 'pip install .'")


class CheckedBuildExt(build_ext):
    """build_ext that turns a compiler failure into a one-line explanation."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:
            sys.exit(
                "sdrlink: compiling the Cython extensions failed "
                f"({exc}). Install a C compiler and the Python headers "
                "(Debian/Ubuntu: sudo apt install build-essential python3-dev)."
            )


here = os.path.dirname(os.path.abspath(__file__))
sources = sorted(glob.glob(os.path.join("ext", "*.pyx")))
extensions = []
for src in sources:
    name = os.path.splitext(os.path.basename(src))[0]
    from setuptools import Extension

    extensions.append(
        Extension(
            f"sdrlink._ext.{name}",
            [src],
            include_dirs=[numpy.get_include()],
            extra_compile_args=["-O3"],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        )
    )

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={
            "language_level": "3",
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    ),
    cmdclass={"build_ext": CheckedBuildExt},
)
