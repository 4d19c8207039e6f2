"""Leaderboards over the real catalogue: one direction per board (error merged into accuracy), reference
values never ranked, each result stored once, ensembles and extra data marked and filterable, a best-so-far
line that only improves, no label-trained result on an unconditional board, and no board that mixes translation
directions, data sets or versions of one paper."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from alphatree.site.boards import complement_value, find_boards, split_kind, with_unit
from alphatree.site.charts import Point, best_so_far
from alphatree.site.pages.leaderboards import view_key, views

# Different results that happen to share a value on one board (checked against the papers): not duplicates.
COINCIDENCES = {
    ("image-classification", "imagenet", "top-5-error", 15.3): {"alexnet", "zfnet"},  # 7-CNN vs 5-convnet ensembles
    ("image-classification", "imagenet", "top-5-error", 4.9): {"batch-norm", "inception-v4"},  # ensemble vs single
    ("image-classification", "imagenet", "top-1-error", 21.2): {"inception-v3", "resnext"},  # different models
    ("digit-recognition", "mnist", "error-rate", 0.95): {"lenet", "dropout"},  # LeNet-5 vs a dropout MLP
}


@pytest.fixture(scope="module")
def cat(catalog):
    return catalog  # the bundled catalogue, read without the cache (conftest)


@pytest.fixture(scope="module")
def boards(cat):
    return find_boards(cat, sorted(cat.entries.values(), key=lambda e: (e.year, e.id)))


def test_every_board_has_one_direction_and_its_rows_belong_to_its_metric(cat, boards):
    assert boards
    for board in boards.values():
        metric = cat.metrics[board.metric]
        assert board.lower_is_better == (metric.direction.value == "lower"), board.id
        assert metric.complement is None, f"{board.id}: a board is never in an error metric that has a twin"
        for row in board.rows + board.references:
            own = cat.metrics[row.result.metric]
            assert row.result.metric == board.metric or own.complement == board.metric, board.id
            assert row.converted == (row.result.metric != board.metric)
            if row.converted:
                assert row.value == complement_value(row.result.value)
        keys = [r.value if board.lower_is_better else -r.value for r in board.rows]
        assert keys == sorted(keys), f"{board.id} is not ranked in its direction"


def test_error_and_accuracy_share_the_imagenet_top1_board(boards):
    board = boards["image-classification--imagenet--top-1-accuracy"]
    named = {(r.entry.id, r.value) for r in board.rows}
    assert ("nasnet", 82.7) in named  # reported as accuracy
    assert any(e == "resnet" for e, _ in named)  # reported as error (ResNet-152, Table 4: 19.38 %)
    assert ("resnet", 80.62) in named
    assert not any(b.endswith("top-1-error") or b.endswith("--error-rate") for b in boards)


def test_no_reference_value_is_ranked(boards):
    for board in boards.values():
        assert not any(r.result.reference for r in board.rows), board.id
    is_board = boards["image-generation--cifar-10--inception-score"]
    assert [r.value for r in is_board.references] == [11.24]  # real CIFAR-10 data: a line, not a row
    assert is_board.rows[0].value < 11.24


def test_each_result_is_stored_once(cat):
    owners = defaultdict(set)
    for e in cat.entries.values():
        for r in e.results:
            owners[(r.task, r.dataset, r.metric, r.value)].add(e.id)
    shared = {k: v for k, v in owners.items() if len(v) > 1}
    assert shared == COINCIDENCES, "a number stored in two entries: keep it in the entry of the paper that reported it"


def test_unconditional_and_supervised_boards_hold_no_result_from_the_other_setting(boards):
    for board in boards.values():
        assert all(r.result.trained_with_labels == board.trained_with_labels for r in board.rows), board.id
    cifar_is = boards["image-generation--cifar-10--inception-score"]
    assert "improved-gan" in {r.entry.id for r in cifar_is.rows}
    assert 8.09 not in {r.value for r in cifar_is.rows}  # Improved GAN's 8.09 was trained with labels
    mnist = boards["digit-recognition--mnist--accuracy"]
    assert "infogan" not in {r.entry.id for r in mnist.rows}  # InfoGAN's 5 % error is unsupervised


def test_ensembles_and_extra_data_are_marked_and_filterable(boards):
    board = boards["image-classification--imagenet--top-5-accuracy"]
    ensembles = {r.entry.id for r in board.rows if r.result.ensemble}
    assert {"alexnet", "googlenet", "vgg", "resnet", "senet"} <= ensembles
    every = views(board)
    singles = [board.rows[i] for i in every[view_key(False, True, "all")]]
    assert singles and not any(r.result.ensemble for r in singles)
    own_data = [board.rows[i] for i in every[view_key(True, False, "all")]]
    assert not any(r.result.extra_data for r in own_data)
    val_only = [board.rows[i] for i in every[view_key(True, True, "val")]]
    assert val_only and all(r.split_kind == "val" for r in val_only)
    assert len(every[view_key(True, True, "all")]) == len(board.rows)


def test_the_state_of_the_art_only_improves_in_every_view(boards):
    for board in boards.values():
        for key, indices in views(board).items():
            pts = [Point(board.rows[i].entry.year, board.rows[i].value, board.rows[i].entry.id, "") for i in indices]
            best = best_so_far(pts, board.lower_is_better)
            values = [p.value for p in best]
            years = [p.year for p in best]
            assert years == sorted(years), (board.id, key)
            better = (
                [b < a for a, b in zip(values, values[1:])]
                if board.lower_is_better
                else [b > a for a, b in zip(values, values[1:])]
            )
            assert all(better), (board.id, key, values)


def test_helpers():
    assert complement_value(21.2) == 78.8 and complement_value(2.251) == 97.749
    assert split_kind("val (non-blacklisted subset)") == "val" and split_kind("test-dev") == "test"
    assert split_kind("50k generated images") == "other"
    assert with_unit("7.4", "score") == "7.4" and with_unit("3.5", "%") == "3.5 %"


@pytest.fixture(scope="module")
def pages(cat):
    from alphatree.site.pages import generate

    return generate(cat)


def test_board_pages_print_no_unit_score_and_list_reference_values_apart(pages, boards):
    for bid in boards:
        page = pages.pages[f"leaderboards/{bid}/index.md"]
        assert not re.search(r"\d score\b", page.split("## Ranking")[1]), bid
    page = pages.pages["leaderboards/image-generation--cifar-10--inception-score/index.md"]
    ranking, reference = page.split("## Ranking")[1].split("## Reference values")
    assert "11.24" not in ranking and "11.24" in reference


def test_board_page_has_labelled_filters_and_a_chart_view_per_filter(pages):
    page = pages.pages["leaderboards/image-classification--imagenet--top-5-accuracy/index.md"]
    assert '<input type="checkbox" name="ensembles" checked> Include ensembles' in page
    assert 'name="extra"' in page and 'select name="split"' in page
    board = pages.boards["image-classification--imagenet--top-5-accuracy"]
    assert page.count('class="at-row"') == len(board.rows)
    svg = pages.figures["board-image-classification--imagenet--top-5-accuracy"].svg
    assert svg.count('class="at-sota-line"') == sum(1 for rows in views(board).values() if rows)


def test_a_board_with_nothing_to_filter_has_no_controls_and_one_line(pages):
    bid = "object-detection--pascal-voc-2012--map"  # single models, one split
    board = pages.boards[bid]
    assert list(views(board)) == [view_key(True, True, "all")]
    assert "at-board-filters" not in pages.pages[f"leaderboards/{bid}/index.md"]
    assert pages.figures[f"board-{bid}"].svg.count('class="at-sota-line"') == 1


# One board, one task: a translation direction ("map to aerial photo"), a named data set ("PhC-U373 data
# set") and a version of a paper (arXiv v1 against the final version) each split what looks like one board.
DIRECTION = re.compile(r"\b([a-z]+(?: [a-z]+)?) (?:to|→|->) ([a-z]+(?: [a-z]+)?)\b")
NAMED_DATASET = re.compile(r"([\w-]+) data ?set\b")
PAPER_VERSION = re.compile(r"arxiv v\d+|camera-ready|final version|conference version")


def direction(text: str) -> tuple[str, str] | None:
    """The translation direction a text names, as (last word of the source, first word of the target)."""
    m = DIRECTION.search(text.lower())
    return (m.group(1).split()[-1], m.group(2).split()[0]) if m else None


def mixes(boards, labels) -> list[str]:
    """Boards whose rows carry more than one label (``labels(result)`` gives a result's set of labels)."""
    bad = []
    for board in boards:
        seen = {x for r in board.rows + board.references for x in labels(r.result)}
        if len(seen) > 1:
            bad.append(f"{board.id}: {sorted(seen)}")
    return bad


def direction_mixes(boards) -> list[str]:
    """Boards whose rows name more than one translation direction in their split."""
    return mixes(boards, lambda x: {d} if (d := direction(x.split)) else set())


def dataset_mixes(boards) -> list[str]:
    """Boards whose rows name more than one data set in their split or note ('PhC-U373 data set')."""
    return mixes(boards, lambda x: {n.lower() for n in NAMED_DATASET.findall(f"{x.split} {x.note or ''}")})


def repeated_results(boards) -> list[str]:
    """An entry with two rows for one model, metric and split on one board, or rows from two versions of its paper."""
    bad = []
    for board in boards:
        keys: dict[tuple, list[float]] = defaultdict(list)
        versions: dict[str, set[str]] = defaultdict(set)
        for r in board.rows + board.references:
            x = r.result
            keys[(r.entry.id, x.model, x.metric, x.split, x.ensemble, x.extra_data)].append(x.value)
            if cited := " ".join(PAPER_VERSION.findall(x.source.lower())):  # a source naming no version agrees
                versions[r.entry.id].add(cited)
        bad += [f"{board.id}: {k[0]} '{k[1]}' {k[3]}: {v}" for k, v in keys.items() if len(v) > 1]
        bad += [f"{board.id}: {e} cites {sorted(v)}" for e, v in versions.items() if len(v) > 1]
    return bad


def test_no_board_mixes_translation_directions(cat, boards):
    assert direction_mixes(boards.values()) == []
    for e in cat.entries.values():  # a result sits on the data set of its own direction
        for r in e.results:
            own, named = direction(r.split), direction(cat.datasets[r.dataset].name)
            assert own is None or named is None or own == named, (e.id, r.dataset, r.split)
    to_photo = boards["image-to-image-translation--maps-map-to-aerial--amt-fooling-rate"]
    to_map = boards["image-to-image-translation--maps-aerial-to-map--amt-fooling-rate"]
    assert [(r.entry.id, r.value) for r in to_photo.rows] == [("cyclegan", 26.8), ("pix2pix", 18.9)]
    assert [(r.entry.id, r.value) for r in to_map.rows] == [("cyclegan", 23.2), ("pix2pix", 6.1)]


def test_no_board_mixes_data_sets(cat, boards):
    assert dataset_mixes(boards.values()) == []
    for e in cat.entries.values():  # a data set named in a result's note is the result's own
        for r in e.results:
            for name in NAMED_DATASET.findall(f"{r.split} {r.note or ''}"):
                assert name.lower() in cat.datasets[r.dataset].name.lower(), (e.id, r.dataset, name)
                assert " and " not in cat.datasets[r.dataset].name, (e.id, r.dataset)


def test_no_entry_has_two_results_for_one_model_metric_and_split_on_a_board(cat, boards):
    assert repeated_results(boards.values()) == []
    biggan = [(r.metric, r.value) for r in cat.entries["biggan"].results]
    assert sorted(biggan) == [("fid", 7.4), ("inception-score", 166.5)]  # ICLR 2019 figures; v1's 166.3 / 9.6 dropped


def test_the_mixing_checks_catch_the_old_defects():
    """Each check flags a board shaped like the defect it guards against (maps, ISBI 2015, BigGAN v1)."""
    from types import SimpleNamespace as NS

    from alphatree.site.boards import Board, Row

    def row(entry, value, split="test", model="M", note=None, source="Table 1"):
        result = NS(
            split=split,
            model=model,
            note=note,
            source=source,
            metric="m",
            value=value,
            ensemble=False,
            extra_data=False,
        )
        return Row(NS(id=entry), result, value, False)

    def board(*rows):
        return Board("b", "t", "d", "m", "%", False, rows=list(rows))

    maps = board(row("p", 18.9, "map to aerial photo, 256 x 256"), row("p", 6.1, "aerial photo to map, 256 x 256"))
    cells = board(row("u", 92.03, note="PhC-U373 data set"), row("u", 77.56, note="DIC-HeLa data set"))
    versions = board(
        row("b", 166.3, model="v1", source="Abstract, arXiv v1"),
        row("b", 166.5, model="final", source="Abstract, camera-ready"),
    )
    assert direction_mixes([maps]) and not direction_mixes([cells])
    assert dataset_mixes([cells]) and not dataset_mixes([maps])
    assert repeated_results([cells]) and repeated_results([versions])
