"""NIC (Neural Image Caption), from "Show and Tell: A Neural Image Caption Generator" (Vinyals,
Toshev, Bengio and Erhan, 2014).

Paper: https://arxiv.org/abs/1411.4555 — catalogue entry ``show-and-tell``.

Captioning as translation from an image to a sentence (Section 3): a model with parameters theta
maximises the log-probability of the correct description S = (S_0, ..., S_N) given the image I,

    log p(S | I) = sum_{t=0}^{N} log p(S_t | I, S_0, ..., S_{t-1})                     (Eq. 2)

where S_0 is a special start word and S_N a special stop word. The conditional is an LSTM whose
memory is fed the image once, before the words (Section 3.1, Eqs. 10-12):

    x_{-1} = CNN(I)                                       the image, in the word-embedding space
    x_t    = W_e S_t,            t in {0, ..., N-1}       S_t a one-hot word, W_e the embeddings
    p_{t+1} = LSTM(x_t),         t in {0, ..., N-1}

with the LSTM of Eqs. 4-9 (no peepholes; the equations carry no bias terms, and the memory output
m_t is the gated cell itself, without a squashing nonlinearity):

    i_t = sigmoid(W_ix x_t + W_im m_{t-1})    f_t = sigmoid(W_fx x_t + W_fm m_{t-1})
    o_t = sigmoid(W_ox x_t + W_om m_{t-1})
    c_t = f_t * c_{t-1} + i_t * tanh(W_cx x_t + W_cm m_{t-1})
    m_t = o_t * c_t
    p_{t+1} = Softmax(m_t)                                (a linear map to the vocabulary first)

The loss is the sum over the sentence of the negative log-likelihoods of the correct words
(Eq. 13), L(I, S) = -sum_{t=1}^{N} log p_t(S_t). At inference the sentence is found by beam search
(Section 3.1; a beam of 20 in the experiments of Section 4), a beam of 1 being greedy decoding.

The CNN is the batch-normalised GoogLeNet of Ioffe and Szegedy (:mod:`implementations.bn_inception`),
its last layer (the linear map after the 7x7 average pool) sized to the 512-d embedding space, so
that the image is "projected" into the space of the words. On a 224x224 image and a caption of
N + 1 words:

    image (B, 3, 224, 224) -> BN-Inception, linear 1024 -> 512      x_{-1}: (B, 512)
    caption (B, N + 1) -> W_e (12000 x 512)                         x_0..x_{N-1}: (B, N, 512)
    LSTM, 512 units, over x_{-1}, x_0, ..., x_{N-1}                 m: (B, N + 1, 512)
    drop m_{-1}; linear 512 -> 12000                                logits of p_1..p_N: (B, N, 12000)

Training (Section 4.3): the CNN starts from ImageNet weights, everything else from random weights
(initialising W_e from a large news corpus did not help); stochastic gradient descent with a fixed
learning rate and no momentum; 512 dimensions for the embeddings and the LSTM memory; dropout and
ensembling against over-fitting; the vocabulary keeps every word seen at least 5 times in the
training captions.

Details the paper leaves open are taken from the authors' later release of the model
(github.com/tensorflow/models, ``research/im2txt``, ``configuration.py``): a vocabulary of 12,000
words (the paper gives only the count-5 rule, the size depends on the data set) and dropout with
keep probability 0.7 on the LSTM's inputs and outputs.

Deviations from the paper are listed once, in the entry ``show-and-tell`` (catalog/sequence/show-and-tell.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.bn_inception import MODULES, BNInception, BNInceptionConfig, BNInceptionSpec
from implementations.kit.loss_case import loss_case
from implementations.kit.smoke import SmokeCase, random_images
from implementations.registry import register_model


@dataclass(frozen=True)
class NICConfig:
    vocab_size: int = 12000  # im2txt's vocabulary; the paper keeps words seen >= 5 times (Section 4.3)
    embed_dim: int = 512  # Section 4.3: 512 dimensions for the embeddings ...
    lstm_units: int = 512  # ... and the size of the LSTM memory
    dropout: float = 0.3  # im2txt: keep probability 0.7 on the LSTM's inputs and outputs
    encoder: BNInceptionConfig = field(default_factory=BNInceptionConfig)  # Section 4.3: BN-GoogLeNet
    start_token: int = 0  # S_0, the special start word (Section 3.1)
    end_token: int = 1  # S_N, the special stop word
    beam_size: int = 20  # Section 4: a beam of size 20 in the experiments
    max_caption_length: int = 20  # longest sentence beam search produces
    lr: float = 2.0  # SGD, fixed rate, no momentum (Section 4.3); the value is im2txt's initial rate


class NICLSTMCell(nn.Module):
    """The LSTM of Eqs. 4-9: input, forget and output gates, no biases, m_t = o_t * c_t."""

    def __init__(self, input_size: int, units: int):
        super().__init__()
        self.W_x = nn.Linear(input_size, 4 * units, bias=False)  # W_ix, W_fx, W_ox, W_cx stacked
        self.W_m = nn.Linear(units, 4 * units, bias=False)  # W_im, W_fm, W_om, W_cm stacked

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        m, c = state  # (B, units) each
        i, f, o, g = (self.W_x(x) + self.W_m(m)).chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)  # Eq. 7
        m = torch.sigmoid(o) * c  # Eq. 8
        return m, c


class NIC(nn.Module):
    def __init__(self, cfg: NICConfig):
        super().__init__()
        self.cfg = cfg
        # the CNN's last layer, sized to the embedding space, projects the image: I -> x_{-1}
        self.cnn = BNInception(replace(cfg.encoder, num_classes=cfg.embed_dim))
        self.W_e = nn.Embedding(cfg.vocab_size, cfg.embed_dim)  # word embeddings
        self.lstm = NICLSTMCell(cfg.embed_dim, cfg.lstm_units)
        self.drop = nn.Dropout(cfg.dropout)
        self.logits = nn.Linear(cfg.lstm_units, cfg.vocab_size)  # before Softmax(m_t)

    def start(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """Feed x_{-1} = CNN(I) once, from a zero state; returns the state (m_{-1}, c_{-1})."""
        x = self.cnn(images)  # (B, 512)
        zeros = x.new_zeros(x.shape[0], self.cfg.lstm_units)
        return self.lstm(self.drop(x), (zeros, zeros))

    def step(self, words: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """x_t = W_e S_t -> LSTM -> logits of p_{t+1}: (B,) -> (B, V)."""
        m, c = self.lstm(self.drop(self.W_e(words)), state)
        return self.logits(self.drop(m)), (m, c)

    def forward(self, images: Tensor, captions: Tensor) -> Tensor:
        """Teacher forcing: (B, 3, H, W), (B, N + 1) words S_0..S_N -> (B, N, V) logits of p_1..p_N."""
        state = self.start(images)
        logits = []
        for t in range(captions.shape[1] - 1):  # inputs S_0..S_{N-1}
            out, state = self.step(captions[:, t], state)
            logits.append(out)
        return torch.stack(logits, dim=1)

    def loss(self, images: Tensor, captions: Tensor) -> Tensor:
        """Eq. 13: -sum_t log p_t(S_t), summed over each sentence, averaged over the batch."""
        logits = self(images, captions)  # (B, N, V)
        nll = F.cross_entropy(logits.flatten(0, 1), captions[:, 1:].flatten(), reduction="none")
        return nll.view(captions.shape[0], -1).sum(dim=1).mean()

    @torch.no_grad()
    def beam_search(self, image: Tensor, beam_size: int | None = None, max_length: int | None = None) -> list[int]:
        """The most likely sentence S_1.. for one image (1, 3, H, W), kept to ``beam_size`` hypotheses."""
        k = beam_size or self.cfg.beam_size
        max_length = max_length or self.cfg.max_caption_length
        m, c = self.start(image)  # (1, units)
        words = torch.full((1,), self.cfg.start_token, dtype=torch.long, device=image.device)
        scores = image.new_zeros(1)  # log-probability of each live hypothesis
        sentences: list[list[int]] = [[]]
        finished: list[tuple[float, list[int]]] = []
        for _ in range(max_length):
            logits, (m, c) = self.step(words, (m, c))
            total = (scores[:, None] + F.log_softmax(logits, dim=-1)).flatten()  # (live * V,)
            best = total.topk(min(k, total.numel())).indices
            live, vocab = best // logits.shape[1], best % logits.shape[1]
            keep = []
            for j, (h, w) in enumerate(zip(live.tolist(), vocab.tolist())):
                if w == self.cfg.end_token:
                    finished.append((float(total[best[j]]), sentences[h]))
                else:
                    keep.append(j)
            if not keep or (finished and max(s for s, _ in finished) >= float(total[best[keep[0]]])):
                break
            idx = torch.tensor(keep, device=image.device)
            sentences = [sentences[live[j]] + [int(vocab[j])] for j in keep]
            scores, words = total[best[idx]], vocab[idx]
            m, c = m[live[idx]], c[live[idx]]
        else:
            finished += [(float(s), sent) for s, sent in zip(scores, sentences)]
        return max(finished, key=lambda f: f[0])[1] if finished else sentences[0]


COCO = NICConfig()


def nic_smoke(rng: torch.Generator) -> SmokeCase:
    def narrow(s: BNInceptionSpec) -> BNInceptionSpec:
        w = [max(2, v // 8) if v else 0 for v in (s.n1x1, s.n3x3_reduce, s.n3x3, s.d3x3_reduce, s.d3x3)]
        return BNInceptionSpec(*w, s.pool, max(2, s.pool_proj // 8) if s.pool_proj else 0, s.stride)

    encoder = BNInceptionConfig(
        stem_widths=(8, 8, 24), modules=tuple(narrow(MODULES[k]) for k in ("3a", "3c", "4e", "5b"))
    )
    cfg = NICConfig(
        vocab_size=24, embed_dim=16, lstm_units=16, encoder=encoder, lr=0.5, beam_size=3, max_caption_length=8
    )
    model = NIC(cfg)
    batch_size, words = 4, 6
    body = torch.randint(2, cfg.vocab_size, (batch_size, words), generator=rng)  # real words
    captions = torch.cat(
        [
            torch.full((batch_size, 1), cfg.start_token),
            body,
            torch.full((batch_size, 1), cfg.end_token),
        ],
        dim=1,
    )  # (B, N + 1) = S_0 (start), 6 words, S_N (stop)
    batch = {"image": random_images(rng, batch_size, (3, 32, 32)), "caption": captions}

    def outputs(b: dict[str, Tensor]) -> dict[str, Tensor]:
        sentence = model.beam_search(b["image"][:1])  # then padded with stop words
        padded = sentence + [cfg.end_token] * (cfg.max_caption_length - len(sentence))
        return {"logits": model(b["image"], b["caption"]), "beam_caption": torch.tensor(padded)}

    return loss_case(
        {"nic": model},
        batch,
        torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=0.0),  # fixed rate, no momentum
        losses=lambda b: model.loss(b["image"], b["caption"]),
        outputs=outputs,
        output_shapes={"logits": (batch_size, words + 1, cfg.vocab_size), "beam_caption": (cfg.max_caption_length,)},
    )


@register_model(
    entry="show-and-tell",
    smoke=nic_smoke,
    # an image and a caption S_0..S_N of the longest length beam search produces
    example_inputs=lambda: (torch.empty(1, 3, 224, 224), torch.zeros(1, COCO.max_caption_length + 1, dtype=torch.long)),
)
def nic() -> NIC:
    return NIC(COCO)
