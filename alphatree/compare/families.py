"""The documented mappings, one per family: which torchvision or timm models each covers, and how their
keys become ours (the rules' language is explained in :mod:`alphatree.compare.mapping`).

The canonical name is the reference's own spelling wherever that is enough, so most rules rewrite
our keys into torchvision's or timm's. A reference listed in ``differs`` is not the paper's
architecture: ``compare`` reports it as ``different`` with that reason and maps nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from alphatree.compare.mapping import Family, MappingError, Permutations, Shapes, channel_order

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
        "timm:resnet50_gn",
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
    known={
        **dict.fromkeys(
            ("torchvision:resnet50", "torchvision:resnet101", "torchvision:resnet152"),
            "torchvision's ResNet-50/101/152 are 'ResNet v1.5': a down-sampling bottleneck strides in its 3x3"
            " convolution; the paper's (the authors' Caffe models) and ours stride in the first 1x1 (built with"
            " bottleneck_stride='conv', our resnet50 equals torchvision's: measured 0.0)",
        ),
        "gc_resnet50@torchvision:resnet50": "torchvision's ResNet-50 is 'ResNet v1.5', striding in the bottleneck's"
        " 3x3 convolution; ours is He et al.'s, striding in the first 1x1 (moved to the 3x3, ours equals"
        " torchvision's: measured 0.0). The GC authors' own ImageNet ResNet-50 (GC_code/ImageNet/myresnet.py)"
        " also strides in the 3x3 and adds a bias to every convolution (25,583,592 parameters); neither library"
        " has that variant",
    },
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
    references=("torchvision:mobilenet_v2", "timm:mobilenetv2_140"),
    in_order=True,
    note="Both declare the inverted residual blocks' tensors in the same order (torchvision's"
    " conv.k, timm's blocks.s.i and ours block.k.j differ only in nesting), so the k-th tensors pair up.",
)

MNASNET = Family(
    name="MnasNet",
    references=("timm:semnasnet_100",),
    in_order=True,
    note="timm's semnasnet_100 (MnasNet-A1 with squeeze-and-excitation, the paper's model) and ours declare"
    " the same layers in the same order: timm groups the blocks in stages (blocks.s.i: conv_pw, conv_dw, se,"
    " conv_pwl), we number them in one sequence. torchvision's mnasnet1_0 is MnasNet-B1 (no SE), not this model.",
)

# --- Inception-v4 (timm's inception_v4, the port of Google's TF-slim release) --------------------------------
# Our blocks in order: 4 x A, reduction A, 7 x B, reduction B, 3 x C (the paper's Figure 9); timm counts the
# stem's six modules first, so our blocks.i is its features.(i + 6).
_V4_A, _V4_RED_A, _V4_B, _V4_RED_B, _V4_C = range(0, 4), 4, range(5, 12), 12, range(13, 16)


def _ids(indices: range | int) -> str:
    return "|".join(str(i) for i in (indices if isinstance(indices, range) else [indices]))


def _inception_v4_rules() -> tuple[tuple[str, str], ...]:
    rules: list[tuple[str, str]] = [(r"^classifier\.1\.", "last_linear.")]
    for kind, ids in (("AB", _ids(_V4_A) + "|" + _ids(_V4_B)), ("C", _ids(_V4_C))):
        # ours: (pool -> 1x1), 1x1, deep branches; timm: branch0 = 1x1, ..., branch3 = pool -> 1x1
        rules += [
            (rf"^blocks\.({ids})\.branches\.0\.1\.", r"blocks.\1.branch3.1."),
            (rf"^blocks\.({ids})\.branches\.1\.", r"blocks.\1.branch0."),
        ]
        if kind == "AB":
            rules += [
                (rf"^blocks\.({ids})\.branches\.2\.", r"blocks.\1.branch1."),
                (rf"^blocks\.({ids})\.branches\.3\.", r"blocks.\1.branch2."),
            ]
        else:  # timm names each convolution of block C's two split branches on its own
            rules += [
                (rf"^blocks\.({ids})\.branches\.2\.0\.", r"blocks.\1.branch1_0."),
                (rf"^blocks\.({ids})\.branches\.2\.1\.branches\.0\.", r"blocks.\1.branch1_1a."),
                (rf"^blocks\.({ids})\.branches\.2\.1\.branches\.1\.", r"blocks.\1.branch1_1b."),
                *((rf"^blocks\.({ids})\.branches\.3\.{j}\.", rf"blocks.\1.branch2_{j}.") for j in range(3)),
                (rf"^blocks\.({ids})\.branches\.3\.3\.branches\.0\.", r"blocks.\1.branch2_3a."),
                (rf"^blocks\.({ids})\.branches\.3\.3\.branches\.1\.", r"blocks.\1.branch2_3b."),
            ]
    # reductions: ours (max pool, conv branch, conv branch); timm (conv branch, conv branch, max pool)
    ids = f"{_V4_RED_A}|{_V4_RED_B}"
    rules += [
        (rf"^blocks\.({ids})\.branches\.1\.", r"blocks.\1.branch0."),
        (rf"^blocks\.({ids})\.branches\.2\.", r"blocks.\1.branch1."),
    ]
    rules += [(rf"^blocks\.{i}\.", f"features.{i + 6}.") for i in range(16)]
    rules += [
        (r"^stem\.convs\.(\d)\.", r"features.\1."),
        (r"^stem\.mixed1\.branches\.1\.", "features.3.conv."),
        (r"^stem\.mixed2\.branches\.(\d)\.", r"features.4.branch\1."),
        (r"^stem\.mixed3\.branches\.0\.", "features.5.conv."),
        # every convolution is (conv, BN, ReLU): ours numbers the three, timm names conv and bn
        (r"\.0\.weight$", ".conv.weight"),
        (r"\.1\." + _BN, r".bn.\1"),
    ]
    return tuple(rules)


def _inception_v4_permutations(reference: Shapes) -> Permutations:
    """Our blocks concatenate the pooling branch first (the figures' left-to-right order), timm last (TF-slim's
    order): each block's first convolutions, and the classifier, read their input channels in another order."""

    def width(key: str) -> int:
        return reference[key][0]

    moves: Permutations = {}
    segments: list[tuple[str, int | Sequence[int]]]
    order: tuple[int, ...] = tuple(range(reference["features.5.conv.conv.weight"][0] * 2))  # the stem's 384 agree
    for i in range(16):
        f = f"features.{i + 6}"
        if i in (_V4_RED_A, _V4_RED_B):
            firsts = [f"{f}.branch0.conv.weight"] if i == _V4_RED_A else [f"{f}.branch0.0.conv.weight"]
            firsts.append(f"{f}.branch1.0.conv.weight")
            last0 = f"{f}.branch0.conv.weight" if i == _V4_RED_A else f"{f}.branch0.1.conv.weight"
            last1 = f"{f}.branch1.{2 if i == _V4_RED_A else 3}.conv.weight"
            segments = [("conv0", width(last0)), ("conv1", width(last1)), ("pool", order)]
            ours = ["pool", "conv0", "conv1"]
        elif i in _V4_C:
            firsts = [f"{f}.branch0.conv.weight", f"{f}.branch1_0.conv.weight", f"{f}.branch2_0.conv.weight"]
            firsts.append(f"{f}.branch3.1.conv.weight")
            segments = [
                ("b0", width(f"{f}.branch0.conv.weight")),
                ("b1", width(f"{f}.branch1_1a.conv.weight") + width(f"{f}.branch1_1b.conv.weight")),
                ("b2", width(f"{f}.branch2_3a.conv.weight") + width(f"{f}.branch2_3b.conv.weight")),
                ("b3", width(f"{f}.branch3.1.conv.weight")),
            ]
            ours = ["b3", "b0", "b1", "b2"]
        else:  # blocks A and B
            deep1 = 2 if i in _V4_A else 3
            deep2 = 3 if i in _V4_A else 5
            firsts = [f"{f}.branch0.conv.weight", f"{f}.branch1.0.conv.weight", f"{f}.branch2.0.conv.weight"]
            firsts.append(f"{f}.branch3.1.conv.weight")
            segments = [
                ("b0", width(f"{f}.branch0.conv.weight")),
                ("b1", width(f"{f}.branch1.{deep1 - 1}.conv.weight")),
                ("b2", width(f"{f}.branch2.{deep2 - 1}.conv.weight")),
                ("b3", width(f"{f}.branch3.1.conv.weight")),
            ]
            ours = ["b3", "b0", "b1", "b2"]
        for key in firsts:
            moves[key] = ((1, order),)
        order = channel_order(segments, ours)
    moves["last_linear.weight"] = ((1, order),)
    return moves


INCEPTION_V4 = Family(
    name="Inception-v4",
    references=("timm:inception_v4",),
    ours=_inception_v4_rules(),
    permute=_inception_v4_permutations,
    known={
        "timm:inception_v4": "timm's inception_v4 is the port of Google's TF-slim release, which factorises three"
        " 7x7 and 3x3 convolutions in the other order than the paper's Figures 3, 5 and 6 (the stem's 7x7 branch"
        " 1x7 before 7x1, block B's deep branch 7x1 first, block C's deep branch 3x1 before 1x3); ours follows the"
        " figures (with TF-slim's order at those three places our output equals timm's: measured 1.6e-7)",
    },
    note="timm names the stem's six modules and the blocks features.0-21 and each branch branchN (block C's"
    " convolutions one by one), we name stem, blocks and branches. Ours concatenates each block's branches in"
    " the figures' order, pooling branch first, timm in TF-slim's, pooling branch last: the next block's first"
    " convolutions and the classifier take their input channels permuted accordingly.",
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

MASK_RCNN = Family(
    name="Mask R-CNN",
    references=("torchvision:maskrcnn_resnet50_fpn",),
    ours=(
        # the backbone: ResNet-50's own mapping (above), then under torchvision's backbone.body
        (r"^body\.", ""),
        *RESNET.ours,
        (r"^(conv1|bn1|layer\d)\.", r"backbone.body.\1."),
        (r"^fpn\.lateral\.(\d)\.", r"backbone.fpn.inner_blocks.\1.0."),
        (r"^fpn\.output\.(\d)\.", r"backbone.fpn.layer_blocks.\1.0."),
        (r"^rpn\.conv\.", "rpn.head.conv.0.0."),
        (r"^rpn\.cls\.", "rpn.head.cls_logits."),
        (r"^rpn\.reg\.", "rpn.head.bbox_pred."),
        (r"^box_head\.fc\.1\.", "roi_heads.box_head.fc6."),
        (r"^box_head\.fc\.4\.", "roi_heads.box_head.fc7."),
        (r"^box_head\.(cls_score|bbox_pred)\.", r"roi_heads.box_predictor.\1."),
        (r"^mask_head\.fcn\.8\.", "roi_heads.mask_predictor.conv5_mask."),  # the 2x2 deconvolution
        (r"^mask_head\.fcn\.(\d)\.", r"roi_heads.mask_head.\1.0."),  # the four 3x3 convolutions, ranked below
        (r"^mask_head\.predictor\.", "roi_heads.mask_predictor.mask_fcn_logits."),
    ),
    renumber=(r"backbone\.body\.layer", r"roi_heads\.mask_head\."),  # torchvision counts layer1-4, ours 0-3
    reference_output="alphatree.compare.outputs_mask_rcnn:reference_output",
    our_output="alphatree.compare.outputs_mask_rcnn:our_output",
    reference_state="alphatree.compare.outputs_mask_rcnn:reference_state",
    known={
        "torchvision:maskrcnn_resnet50_fpn": "torchvision's ResNet-50 backbone is 'ResNet v1.5': a down-sampling"
        " bottleneck strides in its 3x3 convolution; the paper's backbone (the authors' MSRA ResNet-50, Detectron's"
        " STRIDE_1X1) and ours stride in the first 1x1 (with the stride in the 3x3, our pyramid and RPN outputs"
        " equal torchvision's, measured 0.0, and the box and mask heads on the 60 RoIs differ by 1.6e-4 at values"
        " up to 175, float rounding)",
    },
    note="torchvision's maskrcnn_resnet50_fpn (built without a pretrained backbone, so with trainable batch norm)"
    " names backbone.body (ResNet-50), backbone.fpn, rpn.head, roi_heads.box_head/box_predictor and"
    " roi_heads.mask_head/mask_predictor; we name body, fpn, rpn, box_head and mask_head. Its heads are laid out"
    " otherwise (one RPN logit per anchor where ours is a two-way softmax, one output per COCO category id, 91,"
    " and a background box): alphatree.compare.outputs_mask_rcnn.reference_state puts its tensors in our layout."
    " Compared: the pyramid P2-P6, the raw RPN logits and offsets of every anchor, and the box and mask heads on"
    " 60 fixed RoIs, sampled (alphatree.compare.outputs_mask_rcnn), not the post-processed detections.",
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
        "timm:nasnetalarge": "timm's nasnetalarge is the port of the TF-slim model; changing ours cumulatively,"
        " max |difference| 9.82 falls to 4.04 with (1) batch-norm eps 1e-3 (ours PyTorch's 1e-5), 2.93 with (2)"
        " TensorFlow 'SAME' padding in the stride-2 separable convolutions, 2.37 with (3) the same in the stride-2"
        " max pools, 1.95 with (4) the same in the stride-2 average pools, padding still excluded ((2)-(4) move only"
        " reduction cell 0, whose 42x42 input is even, so 'SAME' pads one pixel less at the left and top than ours; the"
        " 165, 83 and 21 maps are odd, where 'SAME' is symmetric like ours), and to 0.0 with (5) timm counting the"
        " padded zeros in the"
        " stride-2 average pools of both stem cells and both reduction cells (its AvgPool2dSame pads explicitly, so"
        " count_include_pad=False has no effect; TF-slim and ours exclude padding): with all 5 changes our output"
        " equals timm's, measured 0.0"
    },
    note="timm's nasnetalarge (the port of the TF-slim NASNet-A Large) and ours declare the cells' operations"
    " in the same order, except that each cell adjusts its previous input after, not before, its current one.",
)

SSD = Family(
    name="SSD",
    references=("torchvision:ssd300_vgg16",),
    ours=(
        (r"^l2norm\.weight$", "backbone.scale_weight"),  # conv4_3's learnt L2 scale
        (r"^base\.to_conv4_3\.(\d+)\.0\.", r"backbone.features.\1."),  # conv1_1 .. conv4_3, ranked below
        # pool4, conv5_1-3 (ReLUs between), then fc: pool5, fc6, ReLU, fc7
        (r"^base\.to_fc7\.1\.0\.", "backbone.extra.0.1."),
        (r"^base\.to_fc7\.2\.0\.", "backbone.extra.0.3."),
        (r"^base\.to_fc7\.3\.0\.", "backbone.extra.0.5."),
        (r"^base\.to_fc7\.5\.0\.", "backbone.extra.0.7.1."),
        (r"^base\.to_fc7\.6\.0\.", "backbone.extra.0.7.3."),
        # the extra layers convN_1 (1x1) and convN_2: torchvision's extra.1-4 (extra.0 is conv5 and fc)
        *((rf"^extras\.{i}\.conv1\.0\.", f"backbone.extra.{i + 1}.0.") for i in range(5)),
        *((rf"^extras\.{i}\.conv2\.0\.", f"backbone.extra.{i + 1}.2.") for i in range(5)),
        (r"^predictors\.(\d+)\.loc\.", r"head.regression_head.module_list.\1."),
        (r"^predictors\.(\d+)\.conf\.", r"head.classification_head.module_list.\1."),
    ),
    renumber=(r"backbone\.features\.",),  # torchvision counts ReLU and pooling layers in VGG's features
    reference_output="alphatree.compare.outputs_ssd:reference_sampled",
    our_output="alphatree.compare.outputs_ssd:ours_sampled",
    note="torchvision's ssd300_vgg16 (built with 21 classes, as the paper's VOC model) keeps VGG-16 up to conv4_3"
    " in backbone.features, conv5 with pool5, fc6 and fc7 in backbone.extra.0 and conv8-conv11 in extra.1-4, its"
    " L2 scale in backbone.scale_weight, and all confidence then all localisation convolutions in its head; we"
    " name base, l2norm, extras and per-map predictors. Compared: the raw offsets and class scores of 238 of the"
    " 8732 default boxes, all k boxes at 9 locations of every map (alphatree.compare.outputs_ssd), not the"
    " post-processed detections.",
)

DIFFERENT = Family(
    name="Not the paper's architecture",
    references=("torchvision:alexnet", "torchvision:googlenet", "timm:inception_resnet_v2"),
    differs={
        "timm:inception_resnet_v2": "timm's inception_resnet_v2 is Google's released TF-slim model, not the paper's"
        " Figures 15-19: an Inception-v3-style stem and a 320-map Mixed_5b block, 10 x block A, 20 x B and 10 x C"
        " at 320, 1088 and 2080 maps, and a closing 1x1 convolution to 1536 maps, 55,843,464 parameters; the"
        " figures give the Figure 3 stem, 5 x A, 10 x B and 5 x C at 384, 1152 and 2144 maps (ours: 32,433,928)",
        "torchvision:alexnet": "torchvision's AlexNet is the one-GPU variant of 'One weird trick' (arXiv"
        " 1404.5997): 64-192-384-256-256 filters and no local response normalisation, not the paper's"
        " 96-256-384-384-256 with LRN",
        "torchvision:googlenet": "torchvision's GoogLeNet adds batch normalisation after every convolution and"
        " drops local response normalisation; the paper's network has neither change",
    },
)

FAMILIES: tuple[Family, ...] = (
    RESNET,
    VGG,
    SQUEEZENET,
    DENSENET,
    MOBILENET_V1,
    MOBILENET_V2,
    MNASNET,
    INCEPTION_V3,
    INCEPTION_V4,
    DPN,
    SENET,
    MASK_RCNN,
    XCEPTION,
    NASNET,
    SSD,
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
