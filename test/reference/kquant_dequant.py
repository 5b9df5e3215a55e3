# Writes every block-quantized tensor of a GGUF dequantized by llama.cpp's gguf-py (its numpy port
# of ggml's dequantize_row_*) as raw little-endian float32 files, OUT/<tensor name>.f32, in GGUF
# order. Usage: kquant_dequant.py FILE.gguf OUT (needs numpy and gguf-py on PYTHONPATH).
import os
import sys
import types

# gguf-py's package init imports its vocab and metadata helpers (sentencepiece, yaml); the reader
# and the quants need neither, so the package is set up without running its __init__.
import numpy as np  # noqa: F401  (gguf-py's dependency, imported first for a clear error)

if 'gguf' not in sys.modules:
    import importlib.util
    spec = importlib.util.find_spec('gguf')
    if spec is None or not spec.submodule_search_locations:
        sys.exit('kquant_dequant.py: gguf-py not found (PYTHONPATH=path/to/llama.cpp/gguf-py)')
    pkg = types.ModuleType('gguf')
    pkg.__path__ = list(spec.submodule_search_locations)
    sys.modules['gguf'] = pkg

from gguf.gguf_reader import GGUFReader  # noqa: E402
from gguf.quants import dequantize  # noqa: E402

path, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
r = GGUFReader(path)
for t in r.tensors:
    if t.tensor_type.name in ('F32', 'F16', 'BF16'):
        continue
    v = dequantize(t.data, t.tensor_type).astype('<f4')
    v.tofile(os.path.join(out, t.name + '.f32'))
