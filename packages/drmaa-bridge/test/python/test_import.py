"""`import drmaa` loads our libdrmaa.so: DRMAA_LIBRARY_PATH is the change."""
import os
import subprocess
import sys

import drmaa
import drmaa.wrappers


def test_import_drmaa_in_a_fresh_interpreter():
    out = subprocess.run(
        [sys.executable, '-c',
         'import drmaa; print(drmaa.Session().drmsInfo)'],
        capture_output=True, text=True, timeout=30, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith('GoDocker'), out.stdout


def test_the_package_loaded_the_library_named_by_drmaa_library_path():
    assert drmaa.wrappers.libpath == os.environ['DRMAA_LIBRARY_PATH']
    assert os.path.realpath(drmaa.wrappers._lib._name) == os.path.realpath(
        os.environ['DRMAA_LIBRARY_PATH'])


def test_the_package_is_debians_unmodified_one():
    assert drmaa.__file__.startswith('/usr/lib/python3/dist-packages/'), (
        drmaa.__file__)
