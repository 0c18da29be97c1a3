#!/usr/bin/python3
"""PyTorch parity fixtures for dlc (testdata/torchref/).

Run by hand from anywhere, with Debian's interpreter (python3-torch 1.13):

    /usr/bin/python3 testdata/torchref/gen.py

It (re)writes, next to this file, for every case C:
    C.safetensors             the reference dump (see README.md for the tensor names)
    C_state_dict.safetensors  exactly model.state_dict() at init, laid out as safetensors.torch.save_file does
The output is deterministic: running it twice gives byte-identical files.
The .dl files are hand-written and are not touched by this script.

Self-contained: the model classes are copied from shared/peers/torch_models.py (MLP, LeNet5, LSTMNet)
and extended with the new cases; the safetensors writer is written here (no safetensors package).
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.dirname(os.path.abspath(__file__))
SEED = 0


# ----------------------------------------------------------------------------------------------
# Models. MLP, LeNet5 and LSTMNet are copied from shared/peers/torch_models.py.
# ----------------------------------------------------------------------------------------------

class Traced(nn.Module):
    """Set `self.trace = []` to record (name, tensor) for every intermediate in forward order."""
    trace = None

    def rec(self, name, t):
        if self.trace is not None:
            self.trace.append((name, t))
        return t


class MLP(Traced):
    """Linear(10,10)-ReLU-Linear(10,10)-ReLU-Linear(10,1)-Sigmoid; BCELoss."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 10)
        self.fc2 = nn.Linear(10, 10)
        self.fc3 = nn.Linear(10, 1)

    def forward(self, x):
        x = self.rec("fc1.relu", torch.relu(self.rec("fc1", self.fc1(x))))
        x = self.rec("fc2.relu", torch.relu(self.rec("fc2", self.fc2(x))))
        return self.rec("sigmoid", torch.sigmoid(self.rec("fc3", self.fc3(x))))


class LeNet5(Traced):
    """PyTorch tutorial LeNet: Conv(1,6,5)-ReLU-MaxPool2-Conv(6,16,5)-ReLU-MaxPool2-flatten-
    Linear(400,120)-ReLU-Linear(120,84)-ReLU-Linear(84,10); input [B,1,32,32]; CrossEntropyLoss."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        r = self.rec
        x = r("pool1", torch.max_pool2d(r("conv1.relu", torch.relu(r("conv1", self.conv1(x)))), 2))
        x = r("pool2", torch.max_pool2d(r("conv2.relu", torch.relu(r("conv2", self.conv2(x)))), 2))
        x = r("flatten", torch.flatten(x, 1))  # [B,16,5,5] -> [B,400], C-major (c*25 + h*5 + w)
        x = r("fc1.relu", torch.relu(r("fc1", self.fc1(x))))
        x = r("fc2.relu", torch.relu(r("fc2", self.fc2(x))))
        return r("fc3", self.fc3(x))


class LSTMNet(Traced):
    """LSTM(8->50, full sequence) -> LSTM(50->50), last time step -> Linear(50,1); MSELoss.
    Input [B,T,8] (batch_first), T=20."""

    def __init__(self, n_in=8, hidden=50):
        super().__init__()
        self.lstm1 = nn.LSTM(n_in, hidden, batch_first=True)
        self.lstm2 = nn.LSTM(hidden, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, 1)

    def forward(self, x):
        r = self.rec
        seq, (h1, c1) = self.lstm1(x)       # [B,T,50] (return_sequences=True)
        r("lstm1.output", seq); r("lstm1.h_n", h1); r("lstm1.c_n", c1)
        seq2, (h2, c2) = self.lstm2(seq)    # [B,T,50]
        r("lstm2.output", seq2); r("lstm2.h_n", h2); r("lstm2.c_n", c2)
        last = r("last_step", seq2[:, -1, :])
        return r("fc", self.fc(last))  # last step -> [B,1]


class CNNBN(Traced):
    """conv1(3->8,k3,s1,p1) - bn1 - relu - maxpool2 - conv2(8->16,k3,s2,p1) - relu - avgpool2 -
    conv3(16->16,k3,p2,d2,no bias) - relu - global avg pool - dropout(p=0.25, fixed mask) - fc(16->10)."""

    p_drop = 0.25

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=1, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1, dilation=1)
        self.conv3 = nn.Conv2d(16, 16, 3, padding=2, dilation=2, bias=False)
        self.fc = nn.Linear(16, 10)
        self.mask = None  # F32 0/1 [B,16]; dropout is applied only in train mode

    def forward(self, x):
        r = self.rec
        x = r("conv1", self.conv1(x))                       # [B,8,16,16]
        x = r("bn1", self.bn1(x))
        x = r("bn1.relu", torch.relu(x))
        x = r("pool1", F.max_pool2d(x, 2))                  # [B,8,8,8]
        x = r("conv2", self.conv2(x))                       # [B,16,4,4]
        x = r("conv2.relu", torch.relu(x))
        x = r("pool2", F.avg_pool2d(x, 2))                  # [B,16,2,2]
        x = r("conv3", self.conv3(x))                       # [B,16,2,2]
        x = r("conv3.relu", torch.relu(x))
        x = r("gap", x.mean(dim=(2, 3)))                    # [B,16]
        if self.training:
            x = x * self.mask / (1.0 - self.p_drop)         # inverted dropout with a fixed mask
        x = r("drop1", x)
        return r("fc", self.fc(x))                          # [B,10] logits


class GRUNet(Traced):
    """ids [B,6] in [0,20) -> Embedding(20,8) -> GRU(8,12, batch_first) last step -> Linear(12,1)."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 8)
        self.gru = nn.GRU(8, 12, batch_first=True)
        self.fc = nn.Linear(12, 1)

    def forward(self, ids):
        r = self.rec
        e = r("emb", self.emb(ids))                         # [B,6,8]
        seq, h = self.gru(e)
        r("gru.output", seq); r("gru.h_n", h)               # [B,6,12], [1,B,12]
        last = r("gru", seq[:, -1, :])                      # [B,12]
        return r("fc", self.fc(last))                       # [B,1]


class PadBN(Traced):
    """x [B,2,9,9] -> conv Conv2d(2,4,3,padding="same") relu -> max_pool2d(3, stride 2, padding 1) [B,4,5,5]
    -> avg_pool2d(3, stride 2, padding 1, count_include_pad) [B,4,3,3] -> flatten -> fc1 Linear(36,12)
    -> bn BatchNorm1d(12) -> relu -> dropout(0.5, fixed mask mask/drop) -> fc2 Linear(12,3)."""
    p_drop = 0.5

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding="same")
        self.fc1 = nn.Linear(36, 12)
        self.bn = nn.BatchNorm1d(12)
        self.fc2 = nn.Linear(12, 3)
        self.mask = None

    def forward(self, x):
        r = self.rec
        c = r("conv", self.conv(x))
        p = r("pool", F.max_pool2d(F.relu(c), 3, stride=2, padding=1))
        a = r("avg", F.avg_pool2d(p, 3, stride=2, padding=1))
        h = r("fc1", self.fc1(a.flatten(1)))
        n = r("bn", self.bn(h))
        d = F.relu(n)
        if self.training:
            d = d * self.mask / (1.0 - self.p_drop)
        r("drop", d)
        return r("fc2", self.fc2(d))


class RNNState(Traced):
    """Recurrent layers from a given initial state computed from the input: x [B,5,4];
    h0 = tanh(init_h(flatten x)) and c0 = init_c(flatten x), each [B,12] viewed as [B,2,6] (batch-first),
    transposed to PyTorch's (num_layers, B, H) for a 2-layer LSTM(4,6); its sequence feeds GRU(6,5) from
    h0 = tanh(init_g(flatten x)); last step -> fc Linear(5,1)."""

    def __init__(self):
        super().__init__()
        self.init_h = nn.Linear(20, 12)
        self.init_c = nn.Linear(20, 12)
        self.lstm = nn.LSTM(4, 6, num_layers=2, batch_first=True)
        self.init_g = nn.Linear(20, 5)
        self.gru = nn.GRU(6, 5, batch_first=True)
        self.fc = nn.Linear(5, 1)

    def forward(self, x):
        r = self.rec
        flat = x.flatten(1)
        h0 = torch.tanh(self.init_h(flat)).reshape(-1, 2, 6).transpose(0, 1).contiguous()
        c0 = self.init_c(flat).reshape(-1, 2, 6).transpose(0, 1).contiguous()
        seq, _ = self.lstm(x, (h0, c0))
        r("lstm.output", seq)                               # [B,5,6]
        g0 = torch.tanh(self.init_g(flat)).unsqueeze(0)     # [1,B,5]
        seq2, _ = self.gru(seq, g0)
        last = r("gru", seq2[:, -1, :])                     # [B,5]
        return r("fc", self.fc(last))                       # [B,1]


class LNNet(Traced):
    """x [B,10] -> fc1 Linear(10,16) -> ln LayerNorm(16) -> gelu (erf) -> fc2 Linear(16,3) -> log_softmax."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 16)
        self.ln = nn.LayerNorm(16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        r = self.rec
        x = r("fc1", self.fc1(x))
        x = r("ln", self.ln(x))
        x = r("gelu", F.gelu(x))                            # exact: 0.5*x*(1+erf(x/sqrt(2)))
        x = r("fc2", self.fc2(x))                           # logits
        return r("logp", F.log_softmax(x, dim=1))


# ----------------------------------------------------------------------------------------------
# Conventions text (ASCII only), stored in every file's __metadata__["conventions"].
# ----------------------------------------------------------------------------------------------

COMMON = (
    "PyTorch layouts; row-major (C order) little-endian data. "
    "Linear: weight [out,in], bias [out], y = x W^T + b. "
    "Conv2d: weight [cout,cin,kh,kw], bias [cout], NCHW, cross-correlation (no kernel flip). "
    "flatten of [B,C,H,W] gives index c*H*W + h*W + w. "
    "Losses use reduction=mean. "
    "param/ = state_dict at init under torch.manual_seed(0) (PyTorch default init); "
    "inputs/targets drawn from torch.Generator().manual_seed(0) in the order input, target(, mask). "
    "Forward/backward in train mode; grad/ = .grad after the first loss.backward(); "
    "step1/ = state_dict after exactly one optimizer.step(); state/<param>.<key> = optimizer state after that step, "
    "state/step = the step count (PyTorch keeps one per parameter, all equal). "
    "When present, stepN/ and stateN/ = after N steps, each step = zero_grad, forward, loss, backward, step on the same batch; "
    "loss_history[k] = loss computed before step k+1. "
    "eval_output/ = forward in eval mode with the step1 parameters and buffers. "
)

LINEAR_ACTS = "act/fc* are pre-activation (Linear output), act/<layer>.relu after ReLU. "

LSTM_CONV = (
    "LSTM: weight_ih_l0 [4H,in], weight_hh_l0 [4H,H], bias_ih_l0 [4H], bias_hh_l0 [4H]; the 4H rows are gates "
    "in order i,f,g,o; gates = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh; i,f,o = sigmoid, g = tanh; "
    "c_t = f*c_{t-1} + i*g; h_t = o*tanh(c_t); h_0 = c_0 = 0; batch_first [B,T,F]; h_n, c_n are [1,B,H]. "
    "Both biases are trained (identical grads, separate optimizer state). "
    "lstm1 returns the whole sequence, lstm2's last step feeds fc (act/last_step). "
)

GRU_CONV = (
    "Embedding: weight [num,dim], row ids; input/x is I64 ids [B,T]. "
    "GRU: weight_ih_l0 [3H,in], weight_hh_l0 [3H,H], bias_ih_l0 [3H], bias_hh_l0 [3H]; rows are gates in order r,z,n; "
    "r = sigmoid(W_ir x + b_ir + W_hr h + b_hr); z = sigmoid(W_iz x + b_iz + W_hz h + b_hz); "
    "n = tanh(W_in x + b_in + r*(W_hn h + b_hn)); h_t = (1-z)*n + z*h_{t-1}; h_0 = 0; batch_first; "
    "act/gru = last time step [B,H] (= act/gru.h_n[0]). "
)

BN_CONV = (
    "BatchNorm2d(eps=1e-5, momentum=0.1): train mode normalises with the biased batch variance over (N,H,W); "
    "running_mean = 0.9*running_mean + 0.1*mean; running_var = 0.9*running_var + 0.1*unbiased_var (n/(n-1)); "
    "num_batches_tracked (I64) += 1; step1/bn1.running_* hold the statistics after the single train forward. "
    "eval_output uses running stats and no dropout. "
    "Dropout(p=0.25) uses the fixed mask mask/drop1 (F32 0/1, [B,16], Bernoulli(0.75) from the input generator "
    "after x and y): act/drop1 = (gap * mask) / 0.75 in float32. "
    "MaxPool2d(2)/AvgPool2d(2): kernel 2, stride 2, no padding. conv2: stride 2, padding 1; conv3: padding 2, dilation 2, "
    "no bias. global average pool = mean over H,W giving [B,C]. "
)

LN_CONV = (
    "LayerNorm(16, eps=1e-5): biased variance over the last axis, weight [16], bias [16]. "
    "gelu is the exact erf form 0.5*x*(1+erf(x/sqrt(2))). log_softmax over the last axis (dim=1). "
    "loss = nll(logp, y) (mean); loss_ce = cross_entropy(fc2 logits, y), equal up to rounding. "
)

CE_CONV = "cross_entropy takes logits and I64 class labels (target/y); the .dl declares them i32. "
BCE_CONV = "BCELoss on sigmoid probabilities, log clamped at -100. "

ADAM_CONV = ("Adam/AdamW: bias-corrected, eps added after sqrt(v_hat); AdamW decays decoupled: "
             "p *= 1 - lr*weight_decay before the Adam update. ")
SGD_CONV = ("SGD: g += weight_decay*p; buf = g on the first step, then buf = momentum*buf + (1-dampening)*g; "
            "nesterov: d = g + momentum*buf, else d = buf; p -= lr*d. ")
RMS_CONV = ("RMSprop: g += weight_decay*p; square_avg = alpha*square_avg + (1-alpha)*g^2; centered: "
            "grad_avg = alpha*grad_avg + (1-alpha)*g, avg = sqrt(square_avg - grad_avg^2) + eps, else sqrt(square_avg) + eps; "
            "momentum>0: momentum_buffer = momentum*buf + g/avg, p -= lr*buf; else p -= lr*g/avg. "
            "All state starts at zero. ")


# ----------------------------------------------------------------------------------------------
# Cases
# ----------------------------------------------------------------------------------------------

def mlp_data(g):
    return torch.randn(8, 10, generator=g), torch.randint(0, 2, (8, 1), generator=g).float()


def mlp_case(name, opt_f, opt_desc, opt_conv, steps):
    return dict(name=name, build=MLP, data=mlp_data, loss=nn.BCELoss(), opt=opt_f, opt_desc=opt_desc,
                steps=steps, out_name="out", batch=8,
                model_desc="MLP: fc1=Linear(10,10)+relu, fc2=Linear(10,10)+relu, fc3=Linear(10,1), sigmoid",
                input_desc="x F32 [8,10] randn; y F32 [8,1] randint(0,2)",
                loss_desc="binary_cross_entropy(out, y), BCELoss mean",
                conventions=COMMON + LINEAR_ACTS + BCE_CONV + opt_conv)


def lenet_data(g):
    return torch.randn(4, 1, 32, 32, generator=g), torch.randint(0, 10, (4,), generator=g)


def lstm_data(g):
    return torch.randn(4, 20, 8, generator=g), torch.randn(4, 1, generator=g)


def cnn_data(g):
    x = torch.randn(4, 3, 16, 16, generator=g)
    y = torch.randint(0, 10, (4,), generator=g)
    mask = torch.bernoulli(torch.full((4, 16), 1.0 - CNNBN.p_drop), generator=g)
    return x, y, {"drop1": mask}


def gru_data(g):
    return torch.randint(0, 20, (4, 6), generator=g), torch.randn(4, 1, generator=g)


def pad_bn_data(g):
    x = torch.randn(4, 2, 9, 9, generator=g)
    y = torch.randint(0, 3, (4,), generator=g)
    mask = torch.bernoulli(torch.full((4, 12), 1.0 - PadBN.p_drop), generator=g)
    return x, y, {"drop": mask}


def rnn_state_data(g):
    return torch.randn(4, 5, 4, generator=g), torch.randn(4, 1, generator=g)


def ln_data(g):
    return torch.randn(4, 10, generator=g), torch.randint(0, 3, (4,), generator=g)


CASES = [
    mlp_case("mlp", lambda p: torch.optim.Adam(p, lr=1e-3),
             "adam(lr=0.001, betas=[0.9, 0.999], eps=1e-8, weight_decay=0)", ADAM_CONV, 1),
    mlp_case("mlp_sgd", lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4,
                                                  dampening=0),
             "sgd(lr=0.01, momentum=0.9, dampening=0, nesterov=true, weight_decay=0.0001)", SGD_CONV, 3),
    mlp_case("mlp_adamw", lambda p: torch.optim.AdamW(p, lr=1e-3, betas=(0.9, 0.99), eps=1e-7, weight_decay=0.05),
             "adamw(lr=0.001, betas=[0.9, 0.99], eps=1e-7, weight_decay=0.05)", ADAM_CONV, 3),
    mlp_case("mlp_rmsprop", lambda p: torch.optim.RMSprop(p, lr=1e-3, alpha=0.9, eps=1e-8, momentum=0.5,
                                                          centered=True, weight_decay=1e-3),
             "rmsprop(lr=0.001, alpha=0.9, eps=1e-8, weight_decay=0.001, momentum=0.5, centered=true)", RMS_CONV, 3),
    dict(name="lenet", build=LeNet5, data=lenet_data, loss=nn.CrossEntropyLoss(),
         opt=lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9),
         opt_desc="sgd(lr=0.001, momentum=0.9, dampening=0, nesterov=false, weight_decay=0)", steps=3,
         out_name="fc3", batch=4,
         model_desc="LeNet5: conv1=Conv2d(1,6,5) relu maxpool2 conv2=Conv2d(6,16,5) relu maxpool2 flatten "
                    "fc1=Linear(400,120) relu fc2=Linear(120,84) relu fc3=Linear(84,10)",
         input_desc="x F32 [4,1,32,32] randn; y I64 [4] randint(0,10)",
         loss_desc="cross_entropy(fc3, y), CrossEntropyLoss mean",
         conventions=COMMON + LINEAR_ACTS + CE_CONV + SGD_CONV),
    dict(name="lstm", build=LSTMNet, data=lstm_data, loss=nn.MSELoss(),
         opt=lambda p: torch.optim.Adam(p, lr=1e-3),
         opt_desc="adam(lr=0.001, betas=[0.9, 0.999], eps=1e-8, weight_decay=0)", steps=1,
         out_name="fc", batch=4,
         model_desc="LSTMNet: lstm1=LSTM(8,50) full sequence, lstm2=LSTM(50,50) last step, fc=Linear(50,1)",
         input_desc="x F32 [4,20,8] randn (batch_first); y F32 [4,1] randn",
         loss_desc="mse(fc, y), MSELoss mean",
         conventions=COMMON + LSTM_CONV + ADAM_CONV),
    dict(name="cnn_bn", build=CNNBN, data=cnn_data, loss=nn.CrossEntropyLoss(),
         opt=lambda p: torch.optim.Adam(p, lr=1e-3),
         opt_desc="adam(lr=0.001, betas=[0.9, 0.999], eps=1e-8, weight_decay=0)", steps=1,
         out_name="fc", batch=4,
         model_desc="conv1=Conv2d(3,8,3,s1,p1) bn1=BatchNorm2d(8) relu maxpool2 conv2=Conv2d(8,16,3,s2,p1) relu "
                    "avgpool2 conv3=Conv2d(16,16,3,p2,d2,bias=False) relu global_avgpool dropout(0.25, fixed mask) "
                    "fc=Linear(16,10)",
         input_desc="x F32 [4,3,16,16] randn; y I64 [4] randint(0,10); mask/drop1 F32 [4,16] bernoulli(0.75)",
         loss_desc="cross_entropy(fc, y), CrossEntropyLoss mean",
         conventions=COMMON + BN_CONV + CE_CONV + ADAM_CONV),
    dict(name="gru", build=GRUNet, data=gru_data, loss=nn.MSELoss(),
         opt=lambda p: torch.optim.Adam(p, lr=1e-3),
         opt_desc="adam(lr=0.001, betas=[0.9, 0.999], eps=1e-8, weight_decay=0)", steps=1,
         out_name="fc", batch=4,
         model_desc="emb=Embedding(20,8) gru=GRU(8,12,batch_first) last step fc=Linear(12,1)",
         input_desc="x I64 [4,6] randint(0,20) token ids; y F32 [4,1] randn",
         loss_desc="mse(fc, y), MSELoss mean",
         conventions=COMMON + GRU_CONV + ADAM_CONV),
    dict(name="pad_bn", build=PadBN, data=pad_bn_data, loss=nn.CrossEntropyLoss(),
         opt=lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
         opt_desc="sgd(lr=0.05, momentum=0.9, dampening=0, nesterov=false, weight_decay=0)", steps=1,
         out_name="fc2", batch=4,
         model_desc="conv=Conv2d(2,4,3,padding=same) relu max_pool2d(3,s2,p1) avg_pool2d(3,s2,p1) flatten "
                    "fc1=Linear(36,12) bn=BatchNorm1d(12) relu dropout(0.5, fixed mask) fc2=Linear(12,3)",
         input_desc="x F32 [4,2,9,9] randn; y I64 [4] randint(0,3); mask/drop F32 [4,12] bernoulli(0.5)",
         loss_desc="cross_entropy(fc2, y), CrossEntropyLoss mean",
         conventions=COMMON + BN_CONV + CE_CONV + SGD_CONV),
    dict(name="rnn_state", build=RNNState, data=rnn_state_data, loss=nn.MSELoss(),
         opt=lambda p: torch.optim.Adam(p, lr=1e-2),
         opt_desc="adam(lr=0.01, betas=[0.9, 0.999], eps=1e-8, weight_decay=0)", steps=1,
         out_name="fc", batch=4,
         model_desc="init_h=Linear(20,12) tanh, init_c=Linear(20,12) -> (h0, c0) of lstm=LSTM(4,6,num_layers=2); "
                    "init_g=Linear(20,5) tanh -> h0 of gru=GRU(6,5); last step fc=Linear(5,1)",
         input_desc="x F32 [4,5,4] randn (batch_first); y F32 [4,1] randn",
         loss_desc="mse(fc, y), MSELoss mean",
         conventions=COMMON + LSTM_CONV + GRU_CONV + ADAM_CONV),
    dict(name="layernorm", build=LNNet, data=ln_data, loss=nn.NLLLoss(),
         opt=lambda p: torch.optim.SGD(p, lr=0.1),
         opt_desc="sgd(lr=0.1, momentum=0, dampening=0, nesterov=false, weight_decay=0)", steps=1,
         out_name="logp", batch=4,
         model_desc="fc1=Linear(10,16) ln=LayerNorm(16) gelu(erf) fc2=Linear(16,3) log_softmax",
         input_desc="x F32 [4,10] randn; y I64 [4] randint(0,3)",
         loss_desc="nll(logp, y), NLLLoss mean (loss_ce = CrossEntropyLoss on act/fc2)",
         conventions=COMMON + LN_CONV + SGD_CONV),
]


# ----------------------------------------------------------------------------------------------
# safetensors writer
# ----------------------------------------------------------------------------------------------

DTYPES = {np.dtype("float32"): ("F32", "<f4"), np.dtype("int64"): ("I64", "<i8")}
# safetensors' Dtype enum order (save_file lays data out by descending dtype, then by name)
DTYPE_RANK = {"BOOL": 0, "U8": 1, "I8": 2, "I16": 5, "U16": 6, "F16": 7, "BF16": 8, "I32": 9, "U32": 10,
              "F32": 11, "F64": 12, "I64": 13, "U64": 14}


def to_np(t):
    # .copy(): .numpy() shares memory with the tensor, which later optimizer steps update in place
    a = t.detach().cpu().contiguous().numpy().copy()
    if a.dtype not in DTYPES:
        raise TypeError(f"unsupported dtype {a.dtype}")
    return a


def safetensors_bytes(tensors, metadata=None, torch_order=False):
    """tensors: {name: np.ndarray F32/I64}. Default: header keys sorted, data in sorted-name order.
    torch_order=True: the layout of safetensors.torch.save_file (data and header keys by descending dtype
    then name; no __metadata__ unless given)."""
    if torch_order:
        names = sorted(tensors, key=lambda n: (-DTYPE_RANK[DTYPES[tensors[n].dtype][0]], n))
    else:
        names = sorted(tensors)
    entries, blobs, off = {}, [], 0
    for n in names:
        a = tensors[n]
        code, le = DTYPES[a.dtype]
        b = np.ascontiguousarray(a, dtype=le).tobytes()
        entries[n] = {"dtype": code, "shape": [int(s) for s in a.shape], "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    head = {}
    if metadata is not None:
        for k, v in metadata.items():
            if not isinstance(v, str) or not v.isascii():
                raise ValueError(f"metadata {k} must be an ASCII string")
        head["__metadata__"] = {k: metadata[k] for k in sorted(metadata)}
    if torch_order:
        for n in names:
            head[n] = entries[n]
    else:
        head.update(entries)
        head = {k: head[k] for k in sorted(head)}
    js = json.dumps(head, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    js += b" " * ((8 - len(js) % 8) % 8)
    return struct.pack("<Q", len(js)) + js + b"".join(blobs)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


# ----------------------------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------------------------

def state_dict_np(model):
    return {k: to_np(v) for k, v in model.state_dict().items()}


def opt_state(opt, pname, prefix):
    out, step = {}, None
    for p, st in opt.state.items():
        n = pname[p]
        for k in sorted(st):
            v = st[k]
            if v is None:  # e.g. SGD without momentum keeps momentum_buffer=None
                continue
            if k == "step":
                s = int(v.item()) if torch.is_tensor(v) else int(v)
                assert step is None or step == s, "per-parameter step counts differ"
                step = s
            else:
                out[f"{prefix}/{n}.{k}"] = to_np(v)
    if step is not None:
        out[f"{prefix}/step"] = np.array(step, dtype=np.int64)
    return out


def fwd_loss(case, model, x, y):
    out = model(x)
    return out, case["loss"](out, y)


def run_case(case):
    torch.manual_seed(SEED)
    model = case["build"]()
    g = torch.Generator().manual_seed(SEED)
    d = case["data"](g)
    x, y = d[0], d[1]
    masks = d[2] if len(d) > 2 else {}
    if masks:
        (model.mask,) = masks.values()  # the one dropout layer's fixed mask
    opt = case["opt"](model.parameters())
    pname = {p: n for n, p in model.named_parameters()}
    on = case["out_name"]

    T = {}
    init_sd = state_dict_np(model)
    sd_bytes = safetensors_bytes(init_sd, None, torch_order=True)
    for k, v in init_sd.items():
        T[f"param/{k}"] = v
    T["input/x"] = to_np(x)
    T["target/y"] = to_np(y)
    for k, m in masks.items():
        T[f"mask/{k}"] = to_np(m)

    # step 1, traced
    model.train()
    model.trace = []
    opt.zero_grad()
    out, loss = fwd_loss(case, model, x, y)
    trace, model.trace = model.trace, None
    for k, t in trace:
        T[f"act/{k}"] = to_np(t)
    T[f"output/{on}"] = to_np(out)
    T["loss"] = to_np(loss.reshape(()))
    if case["name"] == "layernorm":
        logits = dict(trace)["fc2"]
        T["loss_ce"] = to_np(F.cross_entropy(logits, y).reshape(()))
    loss.backward()
    for n, p in model.named_parameters():
        T[f"grad/{n}"] = to_np(p.grad)
    opt.step()
    for k, v in state_dict_np(model).items():
        T[f"step1/{k}"] = v
    T.update(opt_state(opt, pname, "state"))

    # eval-mode forward with the step-1 parameters and buffers (does not change the model)
    model.eval()
    with torch.no_grad():
        T[f"eval_output/{on}"] = to_np(model(x))
    model.train()

    # optional further steps on the same batch
    steps = case["steps"]
    if steps > 1:
        losses = [T["loss"].item()]
        for _ in range(steps - 1):
            opt.zero_grad()
            _, l2 = fwd_loss(case, model, x, y)
            losses.append(l2.item())
            l2.backward()
            opt.step()
        for k, v in state_dict_np(model).items():
            T[f"step{steps}/{k}"] = v
        T.update(opt_state(opt, pname, f"state{steps}"))
        T["loss_history"] = np.array(losses, dtype=np.float32)

    meta = {
        "case": case["name"],
        "model": case["model_desc"],
        "input": case["input_desc"],
        "loss": case["loss_desc"],
        "optimizer": case["opt_desc"],
        "optimizer_torch": json.dumps({k: v for k, v in sorted(opt.defaults.items())}, sort_keys=True),
        "batch": str(case["batch"]),
        "steps": str(steps),
        "seed": str(SEED),
        "torch_version": torch.__version__,
        "generator": "gen.py (testdata/torchref), /usr/bin/python3 testdata/torchref/gen.py",
        "conventions": case["conventions"],
    }
    main = safetensors_bytes(T, meta)
    n1 = write(os.path.join(OUT, case["name"] + ".safetensors"), main)
    n2 = write(os.path.join(OUT, case["name"] + "_state_dict.safetensors"), sd_bytes)
    return n1, n2, len(T)


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    only = sys.argv[1:]
    total = 0
    for case in CASES:
        if only and case["name"] not in only:
            continue
        n1, n2, nt = run_case(case)
        total += n1 + n2
        print(f"{case['name']:12s} {nt:4d} tensors {n1:9d} B  state_dict {n2:8d} B")
    print(f"total {total} B (torch {torch.__version__})")


if __name__ == "__main__":
    main()
