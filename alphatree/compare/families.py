"""The documented mappings, one per family: which torchvision or timm models each covers, and how their
keys become ours (the rules' language is explained in :mod:`alphatree.compare.mapping`).

The canonical name is the reference's own spelling wherever that is enough, so most rules rewrite
our keys into torchvision's or timm's. A reference listed in ``differs`` is not the paper's
architecture: ``compare`` reports it as ``different`` with that reason and maps nothing.
"""

from __future__ import annotations

from alphatree.compare.mapping import Family, MappingError

_BN = r"(weight|bias|running_mean|running_var|num_batches_tracked)$"

RESNET = Family(
    name="ResNet",
    references=(
        "torchvision:resnet18",
        "torchvision:resnet34",
        "torchvision:resnet50",
        "torchvision:resnet101",
        "torchvision:resnet152",
        "torchvision:resnext50_32x4d",
        "torchvision:resnext101_64x4d",
        "torchvision:wide_resnet50_2",
        "timm:resnext101_32x4d",
    ),
    ours=(
        (r"^stem\.0\.0\.", "conv1."),
        (r"^stem\.0\.1\.", "bn1."),
        (r"^stages\.(\d+)\.", r"layer\1."),
        # basic block: conv1 = (conv, bn), conv2 = (conv, bn)
        (r"\.conv([12])\.0\.", r".conv\1."),
        (r"\.conv([12])\.1\.", r".bn\1."),
        # bottleneck: reduce (1x1), conv (3x3, grouped in ResNeXt), expand (1x1)
        (r"\.reduce\.0\.", ".conv1."),
        (r"\.reduce\.1\.", ".bn1."),
        (r"\.conv\.0\.", ".conv2."),
        (r"\.conv\.1\.", ".bn2."),
        (r"\.expand\.0\.", ".conv3."),
        (r"\.expand\.1\.", ".bn3."),
        (r"\.shortcut\.", ".downsample."),
    ),
    renumber=(r"layer",),  # torchvision counts layer1..layer4, we count stages 0..3
    known=dict.fromkeys(
        ("torchvision:resnet50", "torchvision:resnet101", "torchvision:resnet152"),
        "torchvision's ResNet-50/101/152 are 'ResNet v1.5': a down-sampling bottleneck strides in its 3x3"
        " convolution; the paper's (the authors' Caffe models) and ours stride in the first 1x1 (built with"
        " bottleneck_stride='conv', our resnet50 equals torchvision's: measured 0.0)",
    ),
    note="Same layers; torchvision names them conv1/bn1/layerN.i.convK/bnK/downsample, we name them"
    " stem/stages/reduce-conv-expand/shortcut. ResNeXt and Wide ResNet-50-2 are the same code with"
    " grouped or wider 3x3 convolutions.",
)

VGG = Family(
    name="VGG",
    references=("torchvision:vgg11", "torchvision:vgg13", "torchvision:vgg16", "torchvision:vgg19"),
    ours=((r"^features\.(\d+)\.0\.", r"features.\1."),),
    reference=((r"^classifier\.(\d+)\.", r"classifier.\1."),),
    renumber=(r"features\.", r"classifier\."),
    note="torchvision's features and classifier count ReLU, pooling and dropout layers among their"
    " children; ours hold one (conv, ReLU) block per index. The n-th convolution and the n-th linear"
    " layer pair up.",
)

SQUEEZENET = Family(
    name="SqueezeNet",
    references=("torchvision:squeezenet1_0",),
    reference=(
        (r"^features\.0\.", "conv1."),
        (r"^features\.(\d+)\.", r"fires.\1."),
        (r"^classifier\.1\.", "conv10."),
    ),
    renumber=(r"fires\.",),
    note="torchvision keeps conv1, the eight fire modules and pooling in one features sequence and conv10"
    " in classifier; we name conv1, fires.0-7 and conv10.",
    known={
        "torchvision:squeezenet1_0": "torchvision's max pooling rounds up (ceil_mode, as Caffe and the authors'"
        " released model do), ours rounds down: 27x27 against 26x26 maps after fire4 at 224x224 (with ceil_mode"
        " our output equals torchvision's: measured 0.0)"
    },
)

DENSENET = Family(
    name="DenseNet",
    references=(
        "torchvision:densenet121",
        "torchvision:densenet161",
        "torchvision:densenet169",
        "torchvision:densenet201",
    ),
    ours=(
        (r"^stem\.0\.", "features.conv0."),
        (r"^stem\.1\.", "features.norm0."),
        (r"^features\.0\.layers\.", "features.denseblock1.denselayer"),
        (r"^features\.1\.0\.", "features.transition1.norm."),
        (r"^features\.1\.2\.", "features.transition1.conv."),
        (r"^features\.2\.layers\.", "features.denseblock2.denselayer"),
        (r"^features\.3\.0\.", "features.transition2.norm."),
        (r"^features\.3\.2\.", "features.transition2.conv."),
        (r"^features\.4\.layers\.", "features.denseblock3.denselayer"),
        (r"^features\.5\.0\.", "features.transition3.norm."),
        (r"^features\.5\.2\.", "features.transition3.conv."),
        (r"^features\.6\.layers\.", "features.denseblock4.denselayer"),
        (r"^features\.7\.", "features.norm5."),
        (r"^fc\.", "classifier."),
    ),
    # torchvision's released checkpoints still say norm.1 / conv.2 where its module says norm1 / conv2
    reference=((r"(denselayer\d+\.(?:norm|relu|conv))\.(\d)\.", r"\1\2."),),
    renumber=(r"features\.denseblock\d\.denselayer",),  # torchvision counts layers from 1, we from 0
    note="Same layers; torchvision names dense blocks and transitions, we number them in one sequence.",
)

MOBILENET_V1 = Family(
    name="MobileNet v1",
    references=("timm:mobilenetv1_100",),
    ours=(
        (r"^features\.0\.0\.", "conv_stem."),
        (r"^features\.0\.1\.", "bn1."),
        (r"^features\.(\d+)\.depthwise\.0\.", r"blocks.\1.conv_dw."),
        (r"^features\.(\d+)\.depthwise\.1\.", r"blocks.\1.bn1."),
        (r"^features\.(\d+)\.pointwise\.0\.", r"blocks.\1.conv_pw."),
        (r"^features\.(\d+)\.pointwise\.1\.", r"blocks.\1.bn2."),
        (r"^fc\.", "classifier."),
    ),
    # timm groups the 13 depthwise-separable layers in stages (blocks.s.i); we number them 1..13
    # (stage digit then index digit: every stage has fewer than ten layers, so the pair is unique)
    reference=((r"^blocks\.(\d)\.(\d)\.", r"blocks.\1\2."),),
    renumber=(r"blocks\.",),
    note="timm's mobilenetv1_100 groups the thirteen depthwise-separable layers in five stages; we"
    " number them in one sequence.",
)

MOBILENET_V2 = Family(
    name="MobileNet v2",
    references=("torchvision:mobilenet_v2",),
    in_order=True,
    note="Both declare the inverted residual blocks' tensors in the same order (torchvision's"
    " conv.k and ours block.k.j differ only in nesting), so the k-th tensors pair up.",
)

INCEPTION_V3 = Family(
    name="Inception-v3",
    references=("torchvision:inception_v3",),
    in_order=True,
    note="torchvision's inception_v3 (with its auxiliary classifier) and ours declare every branch in the"
    " same order, so the k-th tensors pair up; torchvision names modules after the TF-slim checkpoint"
    " (Conv2d_1a_3x3, Mixed_5b), we name stem, stages and branches.",
)

DPN = Family(
    name="DPN",
    references=("timm:dpn92", "timm:dpn98", "timm:dpn131"),
    in_order=True,
    note="timm's DPN and ours declare the same layers in the same order; timm's classifier is a 1x1"
    " convolution, ours a linear layer (the same tensor).",
    known=dict.fromkeys(
        ("timm:dpn92", "timm:dpn98", "timm:dpn131"),
        "timm's DPN batch norms use eps 1e-3 (the authors' MXNet models), ours PyTorch's default 1e-5 (with eps"
        " 1e-3 our output equals timm's: measured 0.0 on dpn92)",
    ),
)

SENET = Family(
    name="SENet",
    references=(
        "timm:legacy_seresnet50",
        "timm:legacy_seresnet101",
        "timm:legacy_seresnet152",
        "timm:legacy_seresnext50_32x4d",
        "timm:legacy_seresnext101_32x4d",
        "timm:legacy_senet154",
    ),
    in_order=True,
    note="timm's legacy SENet (the port of the authors' Caffe models) and ours declare the same layers in"
    " the same order; its squeeze-excitation layers are 1x1 convolutions, ours linear layers.",
    known=dict.fromkeys(
        (
            "timm:legacy_seresnet50",
            "timm:legacy_seresnet101",
            "timm:legacy_seresnet152",
            "timm:legacy_seresnext50_32x4d",
            "timm:legacy_seresnext101_32x4d",
            "timm:legacy_senet154",
        ),
        "timm's legacy SENet (the authors' Caffe models) max-pools the stem with ceil_mode and no padding, ours"
        " with padding 1: same map size, windows shifted by one pixel (with timm's pooling our output equals"
        " timm's: measured 0.0 on se_resnet50, se_resnext50_32x4d and senet154)",
    ),
)

XCEPTION = Family(
    name="Xception",
    references=("timm:legacy_xception",),
    ours=(
        (r"^stem\.0\.", "conv1."),
        (r"^stem\.1\.", "bn1."),
        (r"^stem\.3\.", "conv2."),
        (r"^stem\.4\.", "bn2."),
        # the twelve residual modules: entry flow 1-3, middle flow 4-11, exit flow 12
        *((rf"^entry_flow\.{i}\.", f"block{i + 1}.") for i in range(3)),
        *((rf"^middle_flow\.{i}\.", f"block{i + 4}.") for i in range(8)),
        (r"^exit_flow\.0\.", "block12."),
        (r"^exit_flow\.1\.0\.", "conv3.conv1."),
        (r"^exit_flow\.1\.1\.", "conv3.pointwise."),
        (r"^exit_flow\.1\.2\.", "bn3."),
        (r"^exit_flow\.3\.0\.", "conv4.conv1."),
        (r"^exit_flow\.3\.1\.", "conv4.pointwise."),
        (r"^exit_flow\.3\.2\.", "bn4."),
        (r"^classifier\.1\.", "fc."),
        (r"\.shortcut\.0\.", ".skip."),
        (r"\.shortcut\.1\.", ".skipbn."),
        # a separable convolution (depthwise, pointwise, BN) at body index J: timm keeps the BN as the next
        # rep index, so J becomes two indices, J0 (the convolutions) and J1 (the BN), ranked below
        (r"\.body\.(\d)\.0\.", r".rep.\g<1>0.conv1."),
        (r"\.body\.(\d)\.1\.", r".rep.\g<1>0.pointwise."),
        (r"\.body\.(\d)\.2\.", r".rep.\g<1>1."),
    ),
    renumber=(r"block\d+\.rep\.",),  # timm's rep counts ReLUs; both sides become 0, 1, 2, ...
    note="timm's legacy_xception is the port of the Keras Xception: modules block1-block12, each a 'rep' sequence"
    " of ReLU, separable convolution and BN plus a 'skip' convolution; ours name the entry, middle and exit flows.",
)

NASNET = Family(
    name="NASNet",
    references=("timm:nasnetalarge",),
    in_order=True,
    # a normal or reduction cell: timm declares conv_prev_1x1 (on h_{i-1}) before conv_1x1 (on h_i), we declare
    # base (h_i) before adjust_prev (h_{i-1})
    reorder=((r"^((?:reduction_)?cell_\d+)\.conv_prev_1x1\.", "conv_1x1."),),
    known={
        "timm:nasnetalarge": "timm's nasnetalarge is the port of the TF-slim model: batch-norm eps 1e-3 (ours 1e-5),"
        " TensorFlow 'SAME' (asymmetric) padding in stride-2 layers and average pools that exclude padding; eps"
        " 1e-3 alone brings max |difference| from 9.8 to 4.0, the rest was not isolated"
    },
    note="timm's nasnetalarge (the port of the TF-slim NASNet-A Large) and ours declare the cells' operations"
    " in the same order, except that each cell adjusts its previous input after, not before, its current one.",
)

DIFFERENT = Family(
    name="Not the paper's architecture",
    references=("torchvision:alexnet", "torchvision:googlenet", "torchvision:mnasnet1_0"),
    differs={
        "torchvision:alexnet": "torchvision's AlexNet is the one-GPU variant of 'One weird trick' (arXiv"
        " 1404.5997): 64-192-384-256-256 filters and no local response normalisation, not the paper's"
        " 96-256-384-384-256 with LRN",
        "torchvision:googlenet": "torchvision's GoogLeNet adds batch normalisation after every convolution and"
        " drops local response normalisation; the paper's network has neither change",
        "torchvision:mnasnet1_0": "torchvision's MNASNet 1.0 is the MnasNet-B1 search result without"
        " squeeze-and-excitation, not the paper's MnasNet-A1, whose searched blocks include squeeze-and-excitation",
    },
)

FAMILIES: tuple[Family, ...] = (
    RESNET,
    VGG,
    SQUEEZENET,
    DENSENET,
    MOBILENET_V1,
    MOBILENET_V2,
    INCEPTION_V3,
    DPN,
    SENET,
    XCEPTION,
    NASNET,
    DIFFERENT,
)


def family_for(reference: str) -> Family:
    """The family whose mapping covers ``reference`` (e.g. ``torchvision:resnet50``)."""
    for family in FAMILIES:
        if reference in family.references:
            return family
    raise MappingError(
        f"no mapping covers the reference {reference!r}: add it to a family in alphatree/compare/families.py"
    )
