"""Importing the index package stays cheap: no torch, no Java."""

from __future__ import annotations

import subprocess
import sys


def test_import_loads_neither_torch_nor_java():
    code = "import sys, splade_search.indexes; print(sorted({'torch', 'jnius', 'pyserini'} & set(sys.modules)))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"
