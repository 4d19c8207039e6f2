"""Every registered model, the moment it is registered: it belongs to an entry, its paper
configuration has the entry's parameter count, and its smoke case passes on CPU."""

from __future__ import annotations

import pytest
import torch

from alphatree.registry_scan import scan
from alphatree.verify.check import Expectation, check_model, count_parameters

REGISTERED = sorted(scan())
torch.set_num_threads(1)  # pytest-xdist runs one worker per core; more threads only oversubscribe them


@pytest.fixture(scope="module")
def listed(catalog):
    return {m.name: (e, m) for e in catalog for m in e.models}


def test_every_catalogue_model_is_registered(catalog):
    registered = scan()
    missing = [(e.id, m.name) for e in catalog for m in e.models if m.implemented and m.name not in registered]
    assert not missing, f"entries list models nobody registered: {missing}"


@pytest.mark.parametrize("name", REGISTERED)
def test_registered_model_has_an_entry(name, listed):
    assert name in listed, f"{name} is registered but no catalogue entry lists it under models"
    entry, model = listed[name]
    assert model.implemented
    assert scan()[name].entry == entry.id


@pytest.mark.parametrize("name", REGISTERED)
def test_paper_configuration_parameter_count(name, listed):
    from implementations.registry import get_model

    entry, model = listed[name]
    counted = count_parameters(get_model(name))
    if model.parameters is None:
        # nothing to match; the entry must then say why (the paper gives no count, where a count was sought)
        assert model.parameters_source or model.note, (
            f"{entry.id}/{name}: no parameter count and no word on why (counted {counted:,})"
        )
        return
    gap = abs(counted - model.parameters) / model.parameters * 100
    assert gap <= model.parameters_tolerance, (
        f"{name}: counted {counted:,}, entry says {model.parameters:,} ({gap:.2f}% > {model.parameters_tolerance}%)"
    )


@pytest.mark.parametrize("name", REGISTERED)
def test_smoke_case_passes_on_cpu(name, listed):
    _, model = listed[name]
    # parameters are checked above; here the smoke contract: learning, gradients, shapes, repeatability
    result = check_model(name, Expectation(flops=model.flops, flops_tolerance=model.flops_tolerance), device="cpu")
    assert result["status"] == "passed", result["reason"]
