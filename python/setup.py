"""Build the remdb Python package from a remdb checkout, offline:

    pip install --no-build-isolation --no-index ./python

The extension links build/libremdb.a (made by `make` in the checkout when
missing or stale) and the Debian libraries it needs, asked of the Makefile
(`make print-libs`), so no installed libremdb.so is needed.  REMDB_ROOT
names the checkout when this directory is not inside one.
"""

import os
import shlex
import subprocess
import sys

from setuptools import Extension, setup

here = os.path.dirname(os.path.abspath(__file__))
root = os.environ.get("REMDB_ROOT") or os.path.dirname(here)
if not os.path.exists(os.path.join(root, "include", "remdb.h")):
    sys.exit(f"remdb: no checkout at {root} (include/remdb.h missing): set REMDB_ROOT")


def make(*args):
    return subprocess.run(["make", "-s", "-C", root, *args], check=True,
                          stdout=subprocess.PIPE, text=True).stdout


make("build/libremdb.a")
libs = shlex.split(make("print-libs"))

setup(
    ext_modules=[
        Extension(
            "remdb._remdb",
            sources=["src/_remdb.c"],
            include_dirs=[os.path.join(root, "include")],
            extra_compile_args=["-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra"],
            extra_objects=[os.path.join(root, "build", "libremdb.a")],
            extra_link_args=libs + ["-Wl,--exclude-libs,ALL"],
        )
    ],
)
