"""Loads dlc-saved models into PyTorch (TestTorchLoadsSavedModels).

usage: torch_load.py TORCHREF_DIR DIR NAME:CASE...

For each NAME, DIR/NAME.safetensors is what a generated model's Save wrote and
DIR/NAME.io.safetensors holds an input x and the model's Forward output out.
The file is read with a minimal safetensors reader (no safetensors package),
the optimizer.* tensors are dropped, and the rest must load into the CASE
model of TORCHREF_DIR/gen.py with load_state_dict(strict=True), with every
value carried over and every dtype PyTorch's (F64 only from -dtype f64
builds). The eval-mode forward on x must then match out. Prints one line per
NAME and exits 1 when any fails.
"""
import json
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, sys.argv[1])
import gen  # noqa: E402  (the fixture generator; importing it has no side effects)

DTYPES = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "I32": "<i4"}


def read_safetensors(path):
    with open(path, "rb") as f:
        b = f.read()
    (n,) = struct.unpack("<Q", b[:8])
    head = json.loads(b[8:8 + n])
    data = b[8 + n:]
    out = {}
    for name, e in head.items():
        if name == "__metadata__":
            continue
        lo, hi = e["data_offsets"]
        a = np.frombuffer(data[lo:hi], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
        out[name] = (e["dtype"], torch.from_numpy(a.copy()))
    return out


def check(name, case, d):
    model = {c["name"]: c for c in gen.CASES}[case]["build"]()
    saved = read_safetensors(f"{d}/{name}.safetensors")
    sd = {k: t for k, (_, t) in saved.items() if not k.startswith("optimizer.")}
    model.load_state_dict(sd, strict=True)
    for k, ref in model.state_dict().items():
        dtype, t = saved[k]
        if t.dtype != ref.dtype and not (dtype == "F64" and ref.dtype == torch.float32):
            return f"{k}: file dtype {dtype}, model {ref.dtype}"
        if not torch.equal(ref, t.to(ref.dtype)):
            return f"{k}: values not carried over"
    io = {k: t for k, (_, t) in read_safetensors(f"{d}/{name}.io.safetensors").items()}
    x = io["x"] if io["x"].dtype == torch.int64 else io["x"].float()
    model.eval()
    with torch.no_grad():
        out = model(x).double()
    want = io["out"]
    if out.shape != want.shape or not torch.allclose(out, want, rtol=1e-4, atol=1e-6):
        return f"eval forward differs: max |diff| {(out - want).abs().max().item():g}"
    return None


failed = 0
for arg in sys.argv[3:]:
    name, case = arg.split(":")
    try:
        err = check(name, case, sys.argv[2])
    except Exception as e:  # load_state_dict's missing/unexpected keys and size mismatches
        err = f"{type(e).__name__}: {e}"
    print(f"ok {name}" if err is None else f"FAIL {name}: {err}")
    failed += err is not None
sys.exit(1 if failed else 0)
