"""Finding the library, the package's metadata, the README example."""

import os
import re
import subprocess
import sys
import tempfile

import pytest

import scv
from conftest import PACKAGE_ROOT, REPO_ROOT


def run_python(code, **env):
    """Run code in a fresh interpreter, away from the source tree (sys.path[0] is the
    working directory), with the package on PYTHONPATH unless env says otherwise."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = PACKAGE_ROOT
    environment.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=environment, timeout=120, cwd=tempfile.gettempdir())


def test_version_matches_header():
    with open(os.path.join(REPO_ROOT, "include", "scv.h"), encoding="utf-8") as f:
        header = f.read()
    version = re.search(r'#define SCV_VERSION_STRING "([^"]+)"', header).group(1)
    assert scv.library_version() == version
    major, minor, patch = (int(p) for p in version.split("."))
    assert scv.library_version_number() == major * 10000 + minor * 100 + patch
    assert os.path.exists(scv.LIBRARY) or scv.LIBRARY


def test_clear_import_error_when_library_is_missing(tmp_path):
    result = run_python("import scv", SCV_LIBRARY=str(tmp_path / "libscv.so"))
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert "SCV_LIBRARY" in result.stderr and "cannot load the scv C library" in result.stderr


def test_library_found_through_scv_library():
    result = run_python("import scv; print(scv.LIBRARY)", SCV_LIBRARY=scv.LIBRARY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == scv.LIBRARY


def test_lib_module_imports_without_a_library():
    """_lib.py declares, it does not load: the drift test relies on it."""
    code = ("import importlib.util, sys\n"
            "spec = importlib.util.spec_from_file_location('x', %r)\n"
            "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
            "print(len(m.FUNCTIONS))\n" % os.path.join(PACKAGE_ROOT, "scv", "_lib.py"))
    result = run_python(code, SCV_LIBRARY="/nonexistent/libscv.so")
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 90


def test_pyproject_is_plain_setuptools():
    with open(os.path.join(PACKAGE_ROOT, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    assert "setuptools" in text
    assert re.search(r"^dependencies\s*=\s*\[\s*\]", text, re.M)
    assert 'version = "%s"' % scv.__version__ in text


def test_readme_examples_run(tmp_path):
    """Every ```python block of the package README runs as written."""
    with open(os.path.join(PACKAGE_ROOT, "README.md"), encoding="utf-8") as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    assert blocks
    for block in blocks:
        result = run_python(block, SCV_LIBRARY=scv.LIBRARY)
        assert result.returncode == 0, "%s\n---\n%s" % (block, result.stderr)


@pytest.mark.parametrize("name", scv.__all__)
def test_public_names_exist(name):
    assert hasattr(scv, name)


def test_pip_builds_and_installs_offline(tmp_path):
    """`pip install --no-build-isolation bindings/python` needs no network: the project has
    no dependencies and setuptools comes from the system (Debian: python3-setuptools)."""
    import shutil

    probe = subprocess.run([sys.executable, "-c", "import setuptools, pip"],
                           capture_output=True)
    if probe.returncode != 0:
        pytest.skip("pip or setuptools is not installed for %s" % sys.executable)
    source = tmp_path / "src"
    shutil.copytree(PACKAGE_ROOT, source,
                    ignore=shutil.ignore_patterns("tests", "build", "*.egg-info",
                                                  "__pycache__", ".pytest_cache"))
    environment = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    wheel = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps",
         "--no-index", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, env=environment, timeout=300)
    assert wheel.returncode == 0, wheel.stdout + wheel.stderr
    built = list((tmp_path / "dist").glob("scv-*.whl"))
    assert len(built) == 1
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-index", "--no-deps", "--target",
         str(tmp_path / "site"), str(built[0])],
        capture_output=True, text=True, env=environment, timeout=300)
    assert install.returncode == 0, install.stdout + install.stderr
    result = run_python("import scv, sys; print(scv.__file__); print(scv.library_version())",
                        PYTHONPATH=str(tmp_path / "site"), SCV_LIBRARY=scv.LIBRARY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith(str(tmp_path / "site"))
