"""Promotion gates: when may a candidate model version become the champion.

Pure rules over small inputs (a comparison report, a mapping); the ``promote`` job gathers the inputs and moves
the alias through :class:`vocspark.models.registry.ModelRegistry`. A gate never raises for a candidate that is
merely worse: it returns a :class:`GateResult` saying why. It raises :class:`GateError` when it cannot judge
(a metric the rule needs is missing, a rule key is unknown), naming the model, version and rule.

Classifier rule (``promotion`` in ``conf/classifiers/<name>.yaml``, defaults below), on the comparison of the
candidate (challenger) with the champion on the SAME holdout (:func:`vocspark.models.comparison.compare`):

- ``metric``: the primary metric (``roc_auc`` or ``macro_f1``; default: ``roc_auc`` for binary models, else
  ``macro_f1``), compared as challenger - champion;
- ``max_drop``: the candidate passes when the delta is >= ``-max_drop`` (default 0.005): not worse beyond the
  margin. Retrains on more data move metrics by noise; a strict "must improve" rule would freeze the champion.
- ``mcnemar_alpha``: and McNemar's test on the paired right/wrong outcomes does not say the candidate is
  significantly worse at this level (default 0.05);
- ``min_test_documents``: and the holdout has at least this many documents (default 100).

A model with no champion yet: its first candidate is promoted when it has test metrics (nothing to compare with).

Topic rule: a mapping for exactly the candidate version exists and validates, and every cluster of the model is
either labelled or explicitly ``unassigned`` (a cluster left ``null`` is "not looked at yet" and fails the gate).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vocspark.config import ConfigError

CLASSIFIER_RULE_DEFAULTS: dict[str, Any] = {
    "metric": None,
    "max_drop": 0.005,
    "mcnemar_alpha": 0.05,
    "min_test_documents": 100,
}
_METRICS = ("roc_auc", "macro_f1", "accuracy", "weighted_f1", "pr_auc")


class GateError(ConfigError):
    """The gate cannot judge the candidate (missing metric, bad rule): names model, version and rule."""


@dataclass(frozen=True)
class GateResult:
    model: str
    version: str
    passed: bool
    rule: str
    reasons: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        verdict = "passes" if self.passed else "fails"
        return f"{self.model} {self.version} {verdict} the gate ({self.rule}): {'; '.join(self.reasons)}"

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, "version": self.version, "passed": self.passed, "rule": self.rule,
                "reasons": list(self.reasons), "evidence": dict(self.evidence)}


def classifier_rule(rule: dict | None, binary: bool, model: str, version: str) -> dict[str, Any]:
    """The rule with defaults filled in; unknown keys or a bad metric fail naming model, version and key."""
    rule = dict(rule or {})
    unknown = sorted(set(rule) - set(CLASSIFIER_RULE_DEFAULTS))
    if unknown:
        raise GateError(f"{model} {version}: unknown promotion rule key `promotion.{unknown[0]}` "
                        f"(allowed: {', '.join(CLASSIFIER_RULE_DEFAULTS)})")
    out = {**CLASSIFIER_RULE_DEFAULTS, **{k: v for k, v in rule.items() if v is not None}}
    out["metric"] = out["metric"] or ("roc_auc" if binary else "macro_f1")
    if out["metric"] not in _METRICS:
        raise GateError(f"{model} {version}: `promotion.metric` {out['metric']!r} is not one of {', '.join(_METRICS)}")
    return out


def describe(rule: dict[str, Any]) -> str:
    return (f"{rule['metric']} not below the champion's by more than {rule['max_drop']}, McNemar not significantly "
            f"worse at alpha {rule['mcnemar_alpha']}, at least {rule['min_test_documents']} holdout documents")


def first_classifier_gate(model: str, version: str, metrics: dict | None, rule: dict[str, Any]) -> GateResult:
    """No champion yet: the candidate passes when it was evaluated on a holdout of the minimum size."""
    name = "first version: evaluated on a holdout"
    if not metrics or metrics.get(rule["metric"]) is None:
        raise GateError(f"{model} {version}: gate metric `{rule['metric']}` missing from the candidate's test "
                        f"metrics (rule: {name}); train with a test split")
    n = int(metrics.get("test_documents") or 0)
    passed = n >= rule["min_test_documents"]
    reason = (f"no champion yet; {rule['metric']} {metrics[rule['metric']]:.4f} on {n} test documents"
              if passed else f"only {n} test documents, the rule needs {rule['min_test_documents']}")
    return GateResult(model, version, passed, name, [reason], {"metrics": metrics})


def classifier_gate(model: str, version: str, comparison: dict[str, Any], rule: dict[str, Any]) -> GateResult:
    """Judge a candidate from a compare_models comparison (challenger = the candidate) under ``rule``."""
    metric = rule["metric"]
    deltas = comparison.get("deltas") or {}
    mc = comparison.get("mcnemar") or {}
    champion = comparison.get("champion_metrics") or {}
    challenger = comparison.get("challenger_metrics") or {}
    delta = deltas.get(metric)
    if delta is None and champion.get(metric) is not None and challenger.get(metric) is not None:
        delta = challenger[metric] - champion[metric]
    if delta is None:
        raise GateError(f"{model} {version}: gate metric `{metric}` missing from the comparison "
                        f"(rule: {describe(rule)})")
    if "p_value" not in mc or "b" not in mc or "c" not in mc:
        raise GateError(f"{model} {version}: McNemar result missing from the comparison (rule: {describe(rule)})")
    n = int((comparison.get("holdout") or {}).get("documents") or challenger.get("n") or 0)
    reasons, passed = [], True
    if delta < -rule["max_drop"]:
        passed = False
        reasons.append(f"{metric} {delta:+.4f} vs the champion, below -{rule['max_drop']}")
    else:
        reasons.append(f"{metric} {delta:+.4f} vs the champion (margin -{rule['max_drop']})")
    # b: champion right and challenger wrong; c: the reverse (compare_models' convention)
    if mc["p_value"] < rule["mcnemar_alpha"] and mc["b"] > mc["c"]:
        passed = False
        reasons.append(f"McNemar: significantly worse (p={mc['p_value']:.4g}, {mc['b']} vs {mc['c']} discordant)")
    else:
        reasons.append(f"McNemar p={mc['p_value']:.4g} ({mc['b']} vs {mc['c']} discordant)")
    if n < rule["min_test_documents"]:
        passed = False
        reasons.append(f"only {n} holdout documents, the rule needs {rule['min_test_documents']}")
    return GateResult(model, version, passed, describe(rule), reasons,
                      {"delta": delta, "mcnemar": mc, "n": n, "recommendation": comparison.get("recommendation")})


def topic_gate(model: str, version: str, k: int, mapping, problem: str | None = None) -> GateResult:
    """Judge a topic model version from its mapping (a :class:`vocspark.models.topic_mapping.TopicMapping`, or
    None with ``problem`` saying why it could not be read)."""
    rule = "a valid mapping for this version labels every cluster or marks it unassigned"
    if mapping is None:
        return GateResult(model, version, False, rule, [problem or "no mapping"])
    if mapping.model != model or mapping.model_version != version:
        return GateResult(model, version, False, rule,
                          [f"{mapping.origin} is for {mapping.model} {mapping.model_version}, not {model} {version}"])
    missing = [c for c in range(k) if c not in mapping.clusters]
    pending = [c for c in range(k) if c in mapping.clusters and mapping.clusters[c] is None]
    outside = sorted(c for c in mapping.clusters if not 0 <= c < k)
    reasons = []
    if outside:
        reasons.append(f"clusters {outside[:10]} are not clusters of a {k}-cluster model")
    if missing:
        reasons.append(f"{len(missing)} of {k} clusters missing from the mapping (first: {missing[:10]})")
    if pending:
        reasons.append(f"{len(pending)} of {k} clusters not labelled yet (null; first: {pending[:10]}): label them "
                       "or mark them `unassigned`")
    labelled = sum(1 for c in range(k) if mapping.clusters.get(c) not in (None,))
    evidence = {"k": k, "labelled_or_unassigned": labelled, "mapping": mapping.origin}
    if reasons:
        return GateResult(model, version, False, rule, reasons, evidence)
    return GateResult(model, version, True, rule, [f"all {k} clusters labelled or unassigned in {mapping.origin}"],
                      evidence)
