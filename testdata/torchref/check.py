#!/usr/bin/python3
"""Independent numpy-only check of the torchref fixtures (no torch import).

    /usr/bin/python3 testdata/torchref/check.py      # or any python3 with numpy

For every case it re-reads <case>.safetensors with its own parser (validating the layout), then in float64:
  * recomputes the forward pass from param/ and compares every act/, output/, loss (and loss_ce);
  * checks grad/ against central finite differences of that forward (all entries for small models,
    a fixed sample of 400 entries for lenet and lstm);
  * applies one optimizer step to param/ with the stored grad/ and compares step1/ and state/;
  * for batchnorm, recomputes the running statistics (step1/bn1.*) and eval_output/ from step1/;
  * for the MLP cases, runs all steps with an analytic numpy backward and compares stepN/, stateN/, loss_history;
  * checks <case>_state_dict.safetensors holds exactly param/ in safetensors.torch.save_file's layout.
Exit status 0 and "N passed, 0 failed" when everything matches.
"""
import glob
import json
import math
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RANK = {"BOOL": 0, "U8": 1, "I8": 2, "I16": 5, "U16": 6, "F16": 7, "BF16": 8, "I32": 9, "U32": 10,
        "F32": 11, "F64": 12, "I64": 13, "U64": 14}
NP = {"F32": "<f4", "I64": "<i8"}

passed, failed = 0, []


def ok(cond, what):
    global passed
    if cond:
        passed += 1
    else:
        failed.append(what)
        print("FAIL", what)


def close(name, got, want, rtol=1e-4, atol=1e-5):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        ok(False, f"{name}: shape {got.shape} != {want.shape}")
        return
    err = np.abs(got - want) - (atol + rtol * np.abs(want))
    ok(bool(np.all(err <= 0)), f"{name}: max abs diff {np.max(np.abs(got - want)) if got.size else 0:.3g}")


# ----------------------------------------------------------------------------------------------
# safetensors reader (strict)
# ----------------------------------------------------------------------------------------------

def read_st(path, torch_order):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    raw = b[8:8 + n]
    ok(n % 8 == 0, f"{path}: header length {n} not a multiple of 8")
    text = raw.decode("utf-8")
    ok(text == text.rstrip(" ") + " " * (len(text) - len(text.rstrip(" "))), f"{path}: padding")
    h = json.loads(text)
    # compact JSON, key order as specified
    keys = list(h)
    compact = json.dumps(h, separators=(",", ":"), ensure_ascii=False)
    ok(compact == text.rstrip(" "), f"{path}: header is not compact JSON in its own key order")
    meta = h.pop("__metadata__", None)
    names = [k for k in keys if k != "__metadata__"]
    if torch_order:
        ok(meta is None, f"{path}: state_dict file has __metadata__")
        want = sorted(names, key=lambda k: (-RANK[h[k]["dtype"]], k))
    else:
        ok(keys == sorted(keys), f"{path}: header keys not sorted")
        ok(isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values()), f"{path}: metadata strings")
        want = sorted(names)
    ok(names == want, f"{path}: tensor order")
    data = b[8 + n:]
    off, out = 0, {}
    for k in names:
        e = h[k]
        ok(list(e) == ["dtype", "shape", "data_offsets"], f"{path}: {k} field order")
        s, t = e["data_offsets"]
        ok(s == off, f"{path}: {k} offsets not contiguous")
        cnt = int(np.prod(e["shape"])) if e["shape"] else 1
        ok(t - s == cnt * int(NP[e["dtype"]][-1]), f"{path}: {k} byte length")
        out[k] = np.frombuffer(data[s:t], dtype=NP[e["dtype"]]).reshape(e["shape"])
        off = t
    ok(off == len(data), f"{path}: trailing bytes")
    return out, meta


# ----------------------------------------------------------------------------------------------
# numpy forward passes (float64). Each returns (acts: list of (name, array), out, loss[, extra]).
# ----------------------------------------------------------------------------------------------

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def linear(x, P, n):
    y = x @ P[n + ".weight"].T
    if n + ".bias" in P:
        y = y + P[n + ".bias"]
    return y


def bce(p, y):
    return -np.mean(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log(1 - p), -100))


def log_softmax(z):
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def nll(lp, y):
    return -np.mean(lp[np.arange(len(y)), y])


def conv2d(x, w, b=None, stride=1, pad=0, dil=1):
    B, C, H, W = x.shape
    O, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho = (H + 2 * pad - dil * (kh - 1) - 1) // stride + 1
    Wo = (W + 2 * pad - dil * (kw - 1) - 1) // stride + 1
    out = np.zeros((B, O, Ho, Wo))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i * dil:i * dil + stride * (Ho - 1) + 1:stride, j * dil:j * dil + stride * (Wo - 1) + 1:stride]
            out += np.einsum("bchw,oc->bohw", patch, w[:, :, i, j])
    if b is not None:
        out += b[None, :, None, None]
    return out


def pool2(x, fn):
    B, C, H, W = x.shape
    return fn(x.reshape(B, C, H // 2, 2, W // 2, 2), axis=(3, 5))


def pool(x, k, s, p, fn, pad_value):
    """k x k windows with stride s over x padded by p with pad_value (max: -inf; avg: 0, count_include_pad)."""
    B, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=pad_value)
    Ho, Wo = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    win = np.stack([xp[:, :, i:i + s * (Ho - 1) + 1:s, j:j + s * (Wo - 1) + 1:s] for i in range(k) for j in range(k)])
    return fn(win, axis=0)


def relu(x):
    return np.maximum(x, 0)


def f_mlp(P, x, y, train=True):
    z1 = linear(x, P, "fc1"); h1 = relu(z1)
    z2 = linear(h1, P, "fc2"); h2 = relu(z2)
    z3 = linear(h2, P, "fc3"); p = sigmoid(z3)
    acts = [("fc1", z1), ("fc1.relu", h1), ("fc2", z2), ("fc2.relu", h2), ("fc3", z3), ("sigmoid", p)]
    return acts, p, bce(p, y)


def f_lenet(P, x, y, train=True):
    c1 = conv2d(x, P["conv1.weight"], P["conv1.bias"]); r1 = relu(c1); p1 = pool2(r1, np.max)
    c2 = conv2d(p1, P["conv2.weight"], P["conv2.bias"]); r2 = relu(c2); p2 = pool2(r2, np.max)
    fl = p2.reshape(len(x), -1)
    f1 = linear(fl, P, "fc1"); g1 = relu(f1)
    f2 = linear(g1, P, "fc2"); g2 = relu(f2)
    f3 = linear(g2, P, "fc3")
    acts = [("conv1", c1), ("conv1.relu", r1), ("pool1", p1), ("conv2", c2), ("conv2.relu", r2), ("pool2", p2),
            ("flatten", fl), ("fc1", f1), ("fc1.relu", g1), ("fc2", f2), ("fc2.relu", g2), ("fc3", f3)]
    return acts, f3, nll(log_softmax(f3), y)


def lstm(x, P, n, k=0, h0=None, c0=None):
    B, T, _ = x.shape
    Wi, Wh = P[n + f".weight_ih_l{k}"], P[n + f".weight_hh_l{k}"]
    b = P[n + f".bias_ih_l{k}"] + P[n + f".bias_hh_l{k}"]
    H = Wh.shape[1]
    h = np.zeros((B, H)) if h0 is None else h0
    c = np.zeros((B, H)) if c0 is None else c0
    seq = []
    for t in range(T):
        gt = x[:, t] @ Wi.T + h @ Wh.T + b
        i, f, g, o = sigmoid(gt[:, :H]), sigmoid(gt[:, H:2 * H]), np.tanh(gt[:, 2 * H:3 * H]), sigmoid(gt[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        seq.append(h)
    return np.stack(seq, 1), h[None], c[None]


def f_lstm(P, x, y, train=True):
    s1, h1, c1 = lstm(x, P, "lstm1")
    s2, h2, c2 = lstm(s1, P, "lstm2")
    last = s2[:, -1]
    out = linear(last, P, "fc")
    acts = [("lstm1.output", s1), ("lstm1.h_n", h1), ("lstm1.c_n", c1), ("lstm2.output", s2), ("lstm2.h_n", h2),
            ("lstm2.c_n", c2), ("last_step", last), ("fc", out)]
    return acts, out, np.mean((out - y) ** 2)


def f_cnn(P, x, y, train=True, mask=None, stats=None):
    c1 = conv2d(x, P["conv1.weight"], P["conv1.bias"], 1, 1)
    if train:
        mean = c1.mean(axis=(0, 2, 3)); var = c1.var(axis=(0, 2, 3))
        if stats is not None:
            n = c1.size // c1.shape[1]
            stats["bn1.running_mean"] = 0.9 * P["bn1.running_mean"] + 0.1 * mean
            stats["bn1.running_var"] = 0.9 * P["bn1.running_var"] + 0.1 * var * n / (n - 1)
    else:
        mean, var = P["bn1.running_mean"], P["bn1.running_var"]
    bn = (c1 - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
    bn = bn * P["bn1.weight"][None, :, None, None] + P["bn1.bias"][None, :, None, None]
    r1 = relu(bn); p1 = pool2(r1, np.max)
    c2 = conv2d(p1, P["conv2.weight"], P["conv2.bias"], 2, 1); r2 = relu(c2); p2 = pool2(r2, np.mean)
    c3 = conv2d(p2, P["conv3.weight"], None, 1, 2, 2); r3 = relu(c3)
    gap = r3.mean(axis=(2, 3))
    d = gap * mask / 0.75 if train else gap
    out = linear(d, P, "fc")
    acts = [("conv1", c1), ("bn1", bn), ("bn1.relu", r1), ("pool1", p1), ("conv2", c2), ("conv2.relu", r2),
            ("pool2", p2), ("conv3", c3), ("conv3.relu", r3), ("gap", gap), ("drop1", d), ("fc", out)]
    return acts, out, nll(log_softmax(out), y)


def f_pad_bn(P, x, y, train=True, mask=None, stats=None):
    c = conv2d(x, P["conv.weight"], P["conv.bias"], 1, 1)
    p = pool(relu(c), 3, 2, 1, np.max, -np.inf)
    a = pool(p, 3, 2, 1, np.mean, 0.0)
    h = linear(a.reshape(a.shape[0], -1), P, "fc1")
    if train:
        mean, var = h.mean(axis=0), h.var(axis=0)
        if stats is not None:
            n = h.shape[0]
            stats["bn.running_mean"] = 0.9 * P["bn.running_mean"] + 0.1 * mean
            stats["bn.running_var"] = 0.9 * P["bn.running_var"] + 0.1 * var * n / (n - 1)
    else:
        mean, var = P["bn.running_mean"], P["bn.running_var"]
    n_ = (h - mean) / np.sqrt(var + 1e-5) * P["bn.weight"] + P["bn.bias"]
    d = relu(n_) * mask / 0.5 if train else relu(n_)
    out = linear(d, P, "fc2")
    acts = [("conv", c), ("pool", p), ("avg", a), ("fc1", h), ("bn", n_), ("drop", d), ("fc2", out)]
    return acts, out, nll(log_softmax(out), y)


def f_gru(P, ids, y, train=True):
    e = P["emb.weight"][ids]
    B, T, _ = e.shape
    Wi, Wh, bi, bh = (P["gru.weight_ih_l0"], P["gru.weight_hh_l0"], P["gru.bias_ih_l0"], P["gru.bias_hh_l0"])
    H = Wh.shape[1]
    h = np.zeros((B, H)); seq = []
    for t in range(T):
        gi = e[:, t] @ Wi.T + bi
        gh = h @ Wh.T + bh
        r = sigmoid(gi[:, :H] + gh[:, :H])
        z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        h = (1 - z) * n + z * h
        seq.append(h)
    seq = np.stack(seq, 1)
    out = linear(h, P, "fc")
    acts = [("emb", e), ("gru.output", seq), ("gru.h_n", h[None]), ("gru", h), ("fc", out)]
    return acts, out, np.mean((out - y) ** 2)


def gru(x, P, n, h0):
    B, T, _ = x.shape
    Wi, Wh, bi, bh = (P[n + ".weight_ih_l0"], P[n + ".weight_hh_l0"], P[n + ".bias_ih_l0"], P[n + ".bias_hh_l0"])
    H = Wh.shape[1]
    h = h0; seq = []
    for t in range(T):
        gi = x[:, t] @ Wi.T + bi
        gh = h @ Wh.T + bh
        r = sigmoid(gi[:, :H] + gh[:, :H])
        z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        nn_ = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        h = (1 - z) * nn_ + z * h
        seq.append(h)
    return np.stack(seq, 1), h


def f_rnn_state(P, x, y, train=True):
    flat = x.reshape(x.shape[0], -1)
    h0 = np.tanh(linear(flat, P, "init_h")).reshape(-1, 2, 6)
    c0 = linear(flat, P, "init_c").reshape(-1, 2, 6)
    s1, _, _ = lstm(x, P, "lstm", 0, h0[:, 0], c0[:, 0])
    s2, _, _ = lstm(s1, P, "lstm", 1, h0[:, 1], c0[:, 1])
    g0 = np.tanh(linear(flat, P, "init_g"))
    _, last = gru(s2, P, "gru", g0)
    out = linear(last, P, "fc")
    return [("lstm.output", s2), ("gru", last), ("fc", out)], out, np.mean((out - y) ** 2)


def f_ln(P, x, y, train=True):
    z1 = linear(x, P, "fc1")
    mu = z1.mean(axis=1, keepdims=True); var = z1.var(axis=1, keepdims=True)
    ln = (z1 - mu) / np.sqrt(var + 1e-5) * P["ln.weight"] + P["ln.bias"]
    erf = np.vectorize(math.erf)
    g = 0.5 * ln * (1 + erf(ln / math.sqrt(2)))
    z2 = linear(g, P, "fc2")
    lp = log_softmax(z2)
    acts = [("fc1", z1), ("ln", ln), ("gelu", g), ("fc2", z2), ("logp", lp)]
    return acts, lp, nll(lp, y)


# ----------------------------------------------------------------------------------------------
# optimizers (PyTorch 1.13 single-tensor semantics), float64
# ----------------------------------------------------------------------------------------------

def opt_step(kind, hp, P, G, S, t):
    """One step on every parameter in G. S: {name: {key: array}}; t: step number after this step."""
    for n, g in G.items():
        p = P[n]
        st = S.setdefault(n, {})
        if kind in ("adam", "adamw"):
            b1, b2 = hp["betas"]
            if kind == "adamw":
                p = p * (1 - hp["lr"] * hp["weight_decay"])
            elif hp["weight_decay"]:
                g = g + hp["weight_decay"] * p
            m = b1 * st.get("exp_avg", 0.0) + (1 - b1) * g
            v = b2 * st.get("exp_avg_sq", 0.0) + (1 - b2) * g * g
            st["exp_avg"], st["exp_avg_sq"] = m, v
            denom = np.sqrt(v) / math.sqrt(1 - b2 ** t) + hp["eps"]
            p = p - hp["lr"] / (1 - b1 ** t) * m / denom
        elif kind == "sgd":
            if hp["weight_decay"]:
                g = g + hp["weight_decay"] * p
            if hp["momentum"]:
                buf = g if "momentum_buffer" not in st else hp["momentum"] * st["momentum_buffer"] + (1 - hp["dampening"]) * g
                st["momentum_buffer"] = buf
                g = g + hp["momentum"] * buf if hp["nesterov"] else buf
            p = p - hp["lr"] * g
        elif kind == "rmsprop":
            if hp["weight_decay"]:
                g = g + hp["weight_decay"] * p
            a = hp["alpha"]
            sq = a * st.get("square_avg", 0.0) + (1 - a) * g * g
            st["square_avg"] = sq
            if hp["centered"]:
                ga = a * st.get("grad_avg", 0.0) + (1 - a) * g
                st["grad_avg"] = ga
                avg = np.sqrt(sq - ga * ga) + hp["eps"]
            else:
                avg = np.sqrt(sq) + hp["eps"]
            if hp["momentum"]:
                buf = hp["momentum"] * st.get("momentum_buffer", 0.0) + g / avg
                st["momentum_buffer"] = buf
                p = p - hp["lr"] * buf
            else:
                p = p - hp["lr"] * g / avg
        P[n] = p


def mlp_backward(P, x, y):
    acts, p, _ = f_mlp(P, x, y)
    A = dict(acts)
    dz3 = (p - y) / y.size
    G = {"fc3.weight": dz3.T @ A["fc2.relu"], "fc3.bias": dz3.sum(0)}
    dz2 = (dz3 @ P["fc3.weight"]) * (A["fc2"] > 0)
    G.update({"fc2.weight": dz2.T @ A["fc1.relu"], "fc2.bias": dz2.sum(0)})
    dz1 = (dz2 @ P["fc2.weight"]) * (A["fc1"] > 0)
    G.update({"fc1.weight": dz1.T @ x, "fc1.bias": dz1.sum(0)})
    return G


# ----------------------------------------------------------------------------------------------

FWD = {"mlp": f_mlp, "lenet": f_lenet, "lstm": f_lstm, "cnn_bn": f_cnn, "gru": f_gru, "layernorm": f_ln, "pad_bn": f_pad_bn,
       "rnn_state": f_rnn_state}
OPT = {
    "mlp": ("adam", dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)),
    "mlp_sgd": ("sgd", dict(lr=0.01, momentum=0.9, dampening=0, nesterov=True, weight_decay=1e-4)),
    "mlp_adamw": ("adamw", dict(lr=1e-3, betas=(0.9, 0.99), eps=1e-7, weight_decay=0.05)),
    "mlp_rmsprop": ("rmsprop", dict(lr=1e-3, alpha=0.9, eps=1e-8, weight_decay=1e-3, momentum=0.5, centered=True)),
    "lenet": ("sgd", dict(lr=1e-3, momentum=0.9, dampening=0, nesterov=False, weight_decay=0)),
    "lstm": ("adam", dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)),
    "cnn_bn": ("adam", dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)),
    "gru": ("adam", dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)),
    "layernorm": ("sgd", dict(lr=0.1, momentum=0, dampening=0, nesterov=False, weight_decay=0)),
    "pad_bn": ("sgd", dict(lr=0.05, momentum=0.9, dampening=0, nesterov=False, weight_decay=0)),
    "rnn_state": ("adam", dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)),
}
BUFFERS = ("running_mean", "running_var", "num_batches_tracked")


def group(T, prefix):
    return {k[len(prefix) + 1:]: v for k, v in T.items() if k.startswith(prefix + "/")}


def check_case(case):
    T, meta = read_st(os.path.join(HERE, case + ".safetensors"), False)
    SD, _ = read_st(os.path.join(HERE, case + "_state_dict.safetensors"), True)
    ok(meta["case"] == case, f"{case}: metadata case")
    param = group(T, "param")
    ok(sorted(SD) == sorted(param), f"{case}: state_dict names")
    for k in SD:
        ok(SD[k].dtype == param[k].dtype and SD[k].shape == param[k].shape and
           SD[k].tobytes() == param[k].tobytes(), f"{case}: state_dict {k} differs from param/{k}")

    fwd = FWD["mlp" if case.startswith("mlp") else case]
    P = {k: v.astype(np.float64) for k, v in param.items() if not k.endswith("num_batches_tracked")}
    x = T["input/x"]
    x = x if x.dtype == np.int64 else x.astype(np.float64)
    y = T["target/y"]
    y = y if y.dtype == np.int64 else y.astype(np.float64)
    kw = {}
    masks = group(T, "mask")
    if masks:
        (mask,) = masks.values()
        kw = {"mask": mask.astype(np.float64)}
    stats = {}
    batchnorm = any(k.endswith("running_mean") for k in param)
    acts, out, loss = fwd(P, x, y, True, **(dict(kw, stats=stats) if batchnorm else kw))
    want_acts = group(T, "act")
    ok(sorted(n for n, _ in acts) == sorted(want_acts), f"{case}: act names")
    tol = dict(rtol=1e-4, atol=2e-5) if case in ("lstm", "lenet", "cnn_bn", "pad_bn") else {}
    for n, a in acts:
        if n in want_acts:
            close(f"{case}: act/{n}", a, want_acts[n], **tol)
    (oname, oval), = group(T, "output").items()
    close(f"{case}: output/{oname}", out, oval, **tol)
    close(f"{case}: loss", loss, T["loss"], **tol)
    if "loss_ce" in T:
        close(f"{case}: loss_ce", nll(log_softmax(dict(acts)["fc2"]), y), T["loss_ce"])

    # gradients by central finite differences of the float64 forward
    grads = group(T, "grad")
    ok(sorted(grads) == sorted(k for k in P if not k.endswith(BUFFERS)), f"{case}: grad names")
    rng = np.random.default_rng(0)
    idx = [(n, i) for n in sorted(grads) for i in range(grads[n].size)]
    if len(idx) > 1500:
        idx = [idx[j] for j in sorted(rng.choice(len(idx), 400, replace=False))]
    h = 1e-7  # small: lenet has a pool2 near-tie (gap 4e-6) that a larger step crosses
    fd, st = [], []
    for n, i in idx:
        Q = dict(P)
        w = P[n].copy().ravel()
        w0 = w[i]
        w[i] = w0 + h; Q[n] = w.reshape(P[n].shape); lp = fwd(Q, x, y, True, **kw)[2]
        w[i] = w0 - h; Q[n] = w.reshape(P[n].shape); lm = fwd(Q, x, y, True, **kw)[2]
        fd.append((lp - lm) / (2 * h)); st.append(grads[n].ravel()[i])
    close(f"{case}: grad/* vs finite differences ({len(idx)} entries)", st, fd, rtol=2e-3, atol=2e-6)

    # one optimizer step from the stored grads
    kind, hp = OPT[case]
    P1, S = dict(P), {}
    opt_step(kind, hp, P1, {n: g.astype(np.float64) for n, g in grads.items()}, S, 1)
    step1 = group(T, "step1")
    ok(sorted(step1) == sorted(param), f"{case}: step1 names")
    for n in grads:
        close(f"{case}: step1/{n}", P1[n], step1[n], rtol=1e-5, atol=1e-6)
    state = group(T, "state")
    want_state = {f"{n}.{k}": v for n, d in S.items() for k, v in d.items()}
    ok(sorted(state) == sorted(list(want_state) + (["step"] if kind != "sgd" else [])), f"{case}: state names")
    for k, v in want_state.items():
        close(f"{case}: state/{k}", v, state[k], rtol=1e-4, atol=1e-7)
    if kind != "sgd":
        ok(state["step"].dtype == np.int64 and int(state["step"]) == 1, f"{case}: state/step")

    # batchnorm statistics and eval forward with step-1 parameters and buffers
    if batchnorm:
        for k, v in stats.items():
            close(f"{case}: step1/{k}", v, step1[k], rtol=1e-5, atol=1e-6)
        nbt = [k for k in param if k.endswith("num_batches_tracked")]
        ok(all(int(step1[k]) == 1 and int(param[k]) == 0 for k in nbt), f"{case}: num_batches_tracked")
    Pe = {k: v.astype(np.float64) for k, v in step1.items() if not k.endswith("num_batches_tracked")}
    _, eo, _ = fwd(Pe, x, y, False, **kw)
    (ename, eval_out), = group(T, "eval_output").items()
    ok(ename == oname, f"{case}: eval_output name")
    close(f"{case}: eval_output/{ename}", eo, eval_out, **tol)

    # multi-step MLP runs with an analytic backward
    steps = int(meta["steps"])
    if case.startswith("mlp"):
        G = mlp_backward(P, x, y)
        for n in G:
            close(f"{case}: analytic grad {n}", G[n], grads[n])
        Pn, Sn, losses = dict(P), {}, []
        for t in range(1, steps + 1):
            losses.append(f_mlp(Pn, x, y)[2])
            opt_step(kind, hp, Pn, mlp_backward(Pn, x, y), Sn, t)
        if steps > 1:
            close(f"{case}: loss_history", losses, T["loss_history"])
            stepn, staten = group(T, f"step{steps}"), group(T, f"state{steps}")
            for n in grads:
                close(f"{case}: step{steps}/{n}", Pn[n], stepn[n], rtol=1e-5, atol=2e-6)
            for n, d in Sn.items():
                for k, v in d.items():
                    close(f"{case}: state{steps}/{n}.{k}", v, staten[f"{n}.{k}"], rtol=1e-4, atol=1e-7)
            if kind != "sgd":
                ok(int(staten["step"]) == steps, f"{case}: state{steps}/step")
    elif steps > 1:
        ok(sorted(group(T, f"step{steps}")) == sorted(param), f"{case}: step{steps} names")
        ok(abs(float(T["loss_history"][0]) - float(T["loss"])) == 0, f"{case}: loss_history[0] == loss")
        ok(bool(np.all(np.diff(T["loss_history"]) < 0)), f"{case}: loss decreases over the steps")


def main():
    cases = sorted(os.path.basename(p)[:-len(".safetensors")] for p in glob.glob(os.path.join(HERE, "*.safetensors"))
                   if not p.endswith("_state_dict.safetensors"))
    for c in sys.argv[1:] or cases:
        before = passed, len(failed)
        check_case(c)
        ok(os.path.exists(os.path.join(HERE, c + ".dl")), f"{c}: {c}.dl exists")
        print(f"{c:12s} {passed - before[0]:5d} checks ok, {len(failed) - before[1]} failed")
    print(f"{passed} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
