"""Detector groups: declared at registration, open to plugins, expanded by --detectors."""

from __future__ import annotations

import pytest
from test_registry import _python

from benchmark.base import Detector
from benchmark.cli.detector_names import resolve_detectors
from benchmark.registry import (
    PAPER_DETECTORS,
    PRESETS,
    DetectorSpec,
    UnknownNameError,
    detector_groups,
    detectors,
)


class _Plain(Detector):
    """A detector with no parameters, for the group checks."""

    def __init__(self):
        pass


def test_paper_is_what_all_meant_and_all_is_both_groups():
    groups = detector_groups()
    assert set(groups["paper"]) == PAPER_DETECTORS and len(PAPER_DETECTORS) == 11
    assert {"mmoc-gan-cat", "mmoc-gan-mix"} <= set(groups["paper"])
    assert set(groups["all"]) == set(detectors()) == set(groups["paper"]) | set(groups["extended"])
    assert not set(groups["paper"]) & set(groups["extended"])
    assert resolve_detectors("all")[0] == groups["all"]


def test_groups_and_names_mix_and_a_name_runs_once():
    labels, variants = resolve_detectors("paper,extended,ocsvm")
    assert labels == detector_groups()["paper"] + detector_groups()["extended"]
    assert variants == {}
    assert resolve_detectors("lof,extended")[0][0] == "lof"


def test_a_misspelt_group_suggests_it():
    with pytest.raises(UnknownNameError, match="did you mean extended"):
        resolve_detectors("extnded")


def _spec(name: str, **kw) -> DetectorSpec:
    return DetectorSpec(name, _Plain, presets={p: {} for p in PRESETS}, **kw)


def test_a_spec_joins_its_declared_group_and_paper_names_join_paper():
    assert _spec("test-grouped", group="mine").group == "mine"
    assert _spec("test-ungrouped").group is None
    assert _spec("ocsvm").group == "paper"  # the built-in names, without editing them
    assert _spec("ocsvm", hidden=True).group is None


@pytest.mark.parametrize("group", ["all", "", "a:b", "ocsvm"])
def test_a_group_name_that_cannot_be_told_apart_is_rejected(group):
    with pytest.raises(ValueError, match="group"):
        _spec("test-badgroup", group=group)


def test_a_plugin_detector_joins_a_group(tmp_path):
    (tmp_path / "my_plugin.py").write_text(
        "from benchmark.base import Detector\n"
        "from benchmark.registry import register_detector\n"
        "P = {'quick': {}, 'paper': {}, 'smoke': {}}\n"
        "class Mean(Detector):\n"
        "    def _fit(self, X): self.m_ = X.mean(0)\n"
        "    def _score(self, X): return ((X - self.m_) ** 2).sum(1)\n"
        "register_detector('my-mean', presets=P, group='extended')(Mean)\n"
        "class Mine(Mean): pass\n"
        "register_detector('my-own', presets=P, group='mine')(Mine)\n"
    )
    result = _python(
        """
        import my_plugin
        from benchmark.registry import detector_groups
        from benchmark.cli.detector_names import resolve_detectors
        g = detector_groups()
        print('my-mean' in g['extended'], g['mine'], 'my-own' in g['all'])
        print(resolve_detectors('mine')[0])
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["True ['my-own'] True", "['my-own']"]


@pytest.mark.parametrize("name", ["all", "paper", "extended"])
def test_a_detector_cannot_take_a_groups_name(name):
    from benchmark.registry import register_detector

    with pytest.raises(ValueError, match="already a detector group's name"):
        register_detector(name, presets={p: {} for p in PRESETS})(_Plain)
    assert name not in detectors(include_hidden=True)
