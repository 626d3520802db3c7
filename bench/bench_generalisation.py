"""Urgency on sources, events and airlines the model never saw, beside baseline B, in one run.

Every figure is urgency on rows no fit in this run has seen, from models trained here, beside
baseline B (issue 15: TF-IDF word 1-2-grams + MiniLM, plain logistic regression C=1, fitted on
exactly the model's rows), TF-IDF+LR and the rule scorer:
  1. leave-one-source-out: train on the other sources, score the left-out source's held-back rows;
  2. leave-one-event-out inside crisislex_t26 and disaster_response, and leave-one-airline-out
     inside airline_tweets: train without one event / airline, score all of its labelled rows
     (events with fewer than MIN_EVENT_LABELS are skipped);
  3. in-source: the shipped recipe on every source's held-back rows, gate on and off (its cost),
     with disaster's critical F1 and crisislex's top-100 nDCG.
Macro-F1 and ECE (after the familiarity blend and the temperature) for the model and B; the last
line counts the folds where the model is at or above B. With --choose-gate, the grid search that
chose pipeline.GATE (see `choose_gate`).

    .venv/bin/python bench/bench_generalisation.py [--quick] [--only loso,loeo,loao,in]
        [--choose-gate] [--data-dir DIR]

Embeddings come through the pipeline's on-disk cache (var/cache/), so only a first run embeds.
Each fold fits the model twice (C on the split, then the refit) and B once; a fold takes ~1-3 min
on two shared cores, a full run has ~27 folds; --quick keeps QUICK_PER_SOURCE rows per source for
a smoke run whose figures are only indicative.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from triage.scoring.classifier import baselines, familiarity, train
from triage.scoring.classifier.baselines import (
    EmbeddingTfidfBaseline,
    TfidfBaseline,
    rule_predictions,
)
from triage.scoring.classifier.data import DEFAULT_DATA_DIR, load_starter, split_of, subsample
from triage.scoring.classifier.familiarity import Gate
from triage.scoring.classifier.features import FeatureSpec
from triage.scoring.classifier.heads import Heads
from triage.scoring.classifier.metrics import TOP_K, ece, expected_gain, macro_f1, ndcg, per_class
from triage.scoring.classifier.pipeline import (
    DEFAULT_CACHE,
    GATE,
    PROMOTE_TOLERANCE,
    SHAPE_SCALE,
    default_embedder,
    embed_all,
)

ROOT = Path(__file__).resolve().parents[1]
DEV_SOURCES = ("airline_tweets", "crisislex_t26", "disaster_response", "synthetic_tickets")
LOSO_SOURCES = (*DEV_SOURCES, "banking77")
EVENT_SOURCES = ("crisislex_t26", "disaster_response")  # the two whose raw rows name an event
AIRLINE_SOURCE = "airline_tweets"
SECTIONS = ("loso", "loeo", "loao", "in")
MIN_EVENT_LABELS = 40  # below this one event's macro-F1 moves by points per row
C = 4.0  # what `triage train`'s C search picks on the starter data; fixed so each fold fits once
QUICK_PER_SOURCE = 600
# Promotion allows the mean over (source, field) to dip by PROMOTE_TOLERANCE; the gate touches the
# 6 urgency pairs of 11, so their mean may dip by 11/6 of it.
URGENCY_TOLERANCE = PROMOTE_TOLERANCE * 11 / 6
GRID_NOVEL = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
GRID_FAMILIAR = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75)
GRID_MAX_WEIGHT = (0.3, 0.4, 0.5, 0.6)
TOP_GATES = 8

# Piped (run_all, a log file) rich would wrap at 80 columns and fold the tables.
console = Console(width=None if sys.stdout.isatty() else 120)


@contextmanager
def urgency_only() -> Iterator[None]:
    """Fit heads and TF-IDF+LR for urgency alone while inside the block."""
    # train._fit_all and TfidfBaseline.fit loop over their module's FIELDS. Only urgency is
    # reported here, and a bench-only switch does not belong in triage/, so it is patched for
    # the length of a fit: each fit then costs about a third.
    saved = train.FIELDS, baselines.FIELDS
    train.FIELDS = baselines.FIELDS = ("urgency",)
    try:
        yield
    finally:
        train.FIELDS, baselines.FIELDS = saved


def gate_grid() -> list[Gate]:
    """The gates --choose-gate tries (the grid of the experiment that chose pipeline.GATE)."""
    return [Gate(novel=lo, familiar=hi, max_weight=am) for lo in GRID_NOVEL
            for hi in GRID_FAMILIAR if hi > lo for am in GRID_MAX_WEIGHT]


def rank_gates(in_source: dict, loso: dict, tolerance: float = 0.0) -> list[Gate]:
    """Gates within `tolerance` of no gate in-source (key None), best leave-one-source-out first."""
    floor = in_source[None] - tolerance
    ok = [g for g in in_source if g is not None and in_source[g] >= floor]
    return sorted(ok, key=lambda g: (-loso[g], -in_source[g]))


def mean(values: Sequence[float]) -> float:
    """Mean over the figures there are (NaN cells skipped), NaN for none: a cell, never an error."""
    values = [v for v in values if not (isinstance(v, float) and math.isnan(v))]
    return float(np.mean(values)) if len(values) else float("nan")


@dataclass
class Corpus:
    """The starter records with their embeddings, fixed splits and the rules' urgency per row."""

    records: list[dict]
    texts: list[str]
    emb: np.ndarray
    embedder_id: str
    splits: np.ndarray
    sources: np.ndarray
    channels: list
    gold: np.ndarray  # urgency label or None
    rules: np.ndarray

    def labelled(self, mask: np.ndarray) -> np.ndarray:
        """Indices of rows in `mask` that carry an urgency label."""
        return np.flatnonzero(mask & np.not_equal(self.gold, None))

    def held_back(self, source: str) -> np.ndarray:
        """Labelled held-back rows of one source: what every table scores."""
        return self.labelled((self.splits == "holdout") & (self.sources == source))


def load_corpus(data_dir: Path, per_source: int | None) -> Corpus:
    """Records (a per-source subsample with --quick), embedded through the on-disk cache."""
    records = load_starter(data_dir)
    if per_source:
        records = subsample(records, per_source)
    texts = [r["text"] for r in records]
    embedder = default_embedder(ROOT / DEFAULT_CACHE)
    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), console=console) as bar:
        def track(description: str, total: int) -> Callable[[int], None]:
            task = bar.add_task(description, total=total)
            return lambda n: bar.advance(task, n)
        emb = embed_all(embedder, texts, track)
        rules = rule_predictions(texts)["urgency"][0]
    return Corpus(records, texts, emb, embedder.model_id, np.array([split_of(r) for r in records]),
                  np.array([r["dataset"] for r in records]), [r.get("channel") for r in records],
                  np.array([r.get("urgency") for r in records], dtype=object),
                  np.array(rules, dtype=object))


class Fitter:
    """Fits the urgency head on a split assignment, one progress line per fit."""

    def __init__(self, corpus: Corpus, total: int) -> None:
        self.corpus, self.total, self.done = corpus, total, 0
        self.spec = FeatureSpec(embed_dim=corpus.emb.shape[1], shape_scale=SHAPE_SCALE)
        self.started = time.perf_counter()

    def fit(self, splits: np.ndarray, label: str) -> Heads:
        """With the shipped gate; `ungated` gives the same head without it (the fit is the same)."""
        started = time.perf_counter()
        with urgency_only():
            heads = train.fit_heads(self.corpus.records, self.corpus.emb, version="bench",
                                    embedder_id=self.corpus.embedder_id, spec=self.spec, c=C,
                                    splits=splits, gate=GATE)
        self.done += 1
        spent = time.perf_counter() - self.started
        left = spent / self.done * (self.total - self.done)
        console.print(f"  [{self.done}/{self.total}] fitted {label} on "
                      f"{int(np.isin(splits, ('train', 'calib')).sum()):,} rows in "
                      f"{time.perf_counter() - started:.0f} s ({load()}; ~{left / 60:.0f} min left)")
        return heads


def ungated(heads: Heads) -> Heads:
    """The same fitted heads with the gate off: the urgency head alone decides."""
    return replace(heads, gate=None)


def model_f1(heads: Heads, corpus: Corpus, idx: np.ndarray) -> float:
    """Urgency macro-F1 of `heads` through Heads.predict_proba (the serving path, gate included)."""
    return model_scores(heads, corpus, idx)["macro_f1"]


def scores_of(gold: Sequence[str], pred: Sequence[str], proba: Sequence[dict]) -> dict:
    """Macro-F1, ECE, critical F1 (NaN without critical rows) and top-100 nDCG of one system."""
    crit = per_class(list(gold), list(pred)).get("critical")
    return {"macro_f1": macro_f1(list(gold), list(pred)),
            "ece": ece([p.get(y, 0.0) for p, y in zip(proba, pred, strict=True)],
                       [g == y for g, y in zip(gold, pred, strict=True)]),
            "critical_f1": crit["f1"] if crit else float("nan"),
            "ndcg100": ndcg(list(gold), [expected_gain(p) for p in proba], TOP_K)}


def model_scores(heads: Heads, corpus: Corpus, idx: np.ndarray) -> dict:
    """The model's urgency scores on rows `idx` (gate, blend and temperature as served)."""
    proba = heads.predict_proba(corpus.emb[idx], [corpus.texts[i] for i in idx],
                                channels=[corpus.channels[i] for i in idx])["urgency"]
    classes = list(heads.heads["urgency"].classes)
    pred = [classes[k] for k in proba.argmax(axis=1)]
    return scores_of(corpus.gold[idx], pred,
                     [dict(zip(classes, map(float, row), strict=True)) for row in proba])


def rules_f1(corpus: Corpus, idx: np.ndarray) -> float:
    """Urgency macro-F1 of the rule scorer (nothing to fit)."""
    return macro_f1(list(corpus.gold[idx]), list(corpus.rules[idx]))


def tfidf_f1(corpus: Corpus, fit_mask: np.ndarray, idx: np.ndarray) -> float:
    """TF-IDF+LR fitted on the rows in `fit_mask` (the model's own train + calib rows)."""
    with urgency_only():
        tfidf = TfidfBaseline(c=1.0).fit([corpus.records[i] for i in np.flatnonzero(fit_mask)])
        pred = tfidf.predict([corpus.texts[i] for i in idx])["urgency"][0]
    return macro_f1(list(corpus.gold[idx]), pred)


def b_scores(corpus: Corpus, fit_mask: np.ndarray, idx: np.ndarray) -> dict:
    """Baseline B fitted on the rows in `fit_mask` (the model's own rows), scored on `idx`."""
    fit = np.flatnonzero(fit_mask)
    b = EmbeddingTfidfBaseline(c=1.0).fit([corpus.records[i] for i in fit], corpus.emb[fit],
                                          fields=("urgency",))
    labels, probas = b.predict([corpus.texts[i] for i in idx], corpus.emb[idx])["urgency"]
    return scores_of(corpus.gold[idx], labels, probas)


@dataclass
class Tally:
    """Folds where the model is at or above baseline B (urgency macro-F1), per section."""

    folds: list = field(default_factory=list)  # (section, name, model, B)

    def add(self, section: str, name: str, model: float, b: float) -> None:
        self.folds.append((section, name, model, b))
        console.print(f"    {section}/{name}: urgency macro-F1 model {model:.3f}, B {b:.3f}")

    def line(self) -> str:
        lost = [f"{s}/{n} {m - b:+.3f}" for s, n, m, b in self.folds if m < b]
        return (f"model >= B on {len(self.folds) - len(lost)} of {len(self.folds)} folds"
                + (f"; behind on: {', '.join(lost)}" if lost else ""))


def fold_row(corpus: Corpus, heads: Heads, fit_mask: np.ndarray, idx: np.ndarray) -> list:
    """[model + gate, model no gate, B, TF-IDF+LR, rules, model ECE, B ECE] on rows `idx`."""
    m, b = model_scores(heads, corpus, idx), b_scores(corpus, fit_mask, idx)
    return [m["macro_f1"], model_f1(ungated(heads), corpus, idx), b["macro_f1"],
            tfidf_f1(corpus, fit_mask, idx), rules_f1(corpus, idx), m["ece"], b["ece"]]


FOLD_COLUMNS = ["model + gate", "model, no gate", "B", "TF-IDF+LR", "rules", "model ECE",
                "B ECE"]


@dataclass
class GateInputs:
    """What a gate needs to rescore a row set without refitting: raw model, rules, similarity."""

    proba: np.ndarray
    onehot: np.ndarray
    similarity: np.ndarray
    classes: np.ndarray
    gold: list[str]

    @classmethod
    def of(cls, heads: Heads, corpus: Corpus, idx: np.ndarray) -> GateInputs:
        """Inputs for rows `idx`, similarity measured against the heads' own reference rows."""
        classes = np.array(heads.heads["urgency"].classes)
        proba = ungated(heads).predict_proba(corpus.emb[idx], [corpus.texts[i] for i in idx])
        onehot = (corpus.rules[idx][:, None] == classes[None, :]).astype(np.float64)
        sim = familiarity.similarity(corpus.emb[idx], heads.reference, GATE.k)
        return cls(proba["urgency"], onehot, sim, classes, list(corpus.gold[idx]))

    def f1(self, gate: Gate | None) -> float:
        """Macro-F1 with `gate` blending in the rules (None: the model alone)."""
        proba = self.proba if gate is None else familiarity.blend(
            self.proba, self.onehot, gate.weights(self.similarity))
        return macro_f1(self.gold, list(self.classes[proba.argmax(axis=1)]))


class GateSearch:
    """Row sets for choosing a gate ('select', never held back) and reporting it ('report')."""

    def __init__(self) -> None:
        self.sets: dict[str, dict[str, GateInputs]] = {"select": {}, "report": {}}

    def add(self, kind: str, name: str, heads: Heads, corpus: Corpus, select: np.ndarray,
            report: np.ndarray) -> None:
        """kind 'in' or 'loso'; `select` and `report` are row indices of one source."""
        self.sets["select"][f"{kind}/{name}"] = GateInputs.of(heads, corpus, select)
        self.sets["report"][f"{kind}/{name}"] = GateInputs.of(heads, corpus, report)

    def means(self, which: str, gates: Sequence[Gate | None]) -> tuple[dict, dict]:
        """Per gate: mean in-source F1 (every source) and mean leave-one-source-out F1."""
        sets = self.sets[which]
        ins = [v for k, v in sets.items() if k.startswith("in/")]
        loso = [v for k, v in sets.items() if k.startswith("loso/")]
        return ({g: mean([s.f1(g) for s in ins]) for g in gates},
                {g: mean([s.f1(g) for s in loso]) for g in gates})


def table(title: str, caption: str, columns: Sequence[str], rows: list[list],
          best_from: int, best_to: int | None = None) -> Table:
    """A rich table of figures; the best F1 of each row (columns `best_from` up to `best_to`)
    in bold."""
    out = Table(title=title, caption=caption, title_justify="left", caption_justify="left")
    for i, name in enumerate(columns):
        out.add_column(name, justify="left" if i < best_from - 1 else "right")
    for row in rows:
        if row[0] == "mean":
            out.add_section()
        span = row[best_from:best_to]
        top = max((v for v in span if isinstance(v, float) and not math.isnan(v)), default=None)
        out.add_row(*[str(v) if not isinstance(v, float) else
                      f"[bold]{v:.3f}[/bold]" if best_from <= i < best_from + len(span)
                      and v == top else f"{v:.3f}" for i, v in enumerate(row)])
    return out


def with_mean(rows: list[list], first: int) -> list[list]:
    """`rows` plus a mean row over the figure columns (from `first` on)."""
    if not rows:
        return rows
    figures = [mean([r[c] for r in rows]) for c in range(first, len(rows[0]))]
    return [*rows, ["mean", *[""] * (first - 1), *figures]]


def load() -> str:
    """The 1-minute load average: fit times move with it on a shared machine."""
    return f"load {os.getloadavg()[0]:.1f}"


def event_plan(corpus: Corpus) -> list[tuple[str, str, np.ndarray]]:
    """(source, event, row mask) for every event with at least MIN_EVENT_LABELS urgency labels."""
    return _groups(corpus, EVENT_SOURCES, "event")


def airline_plan(corpus: Corpus) -> list[tuple[str, str, np.ndarray]]:
    """(source, airline, row mask) per airline of the airline tweets ('Delta' holds JetBlue's
    tweets, a quirk of the source: see ../shared/data README)."""
    return _groups(corpus, (AIRLINE_SOURCE,), "airline")


def _groups(corpus: Corpus, sources: Sequence[str], key: str) -> list[tuple[str, str, np.ndarray]]:
    # disaster_response's news sentences name no event: they are left out as one group of their own
    names = np.array([str((r.get("raw") or {}).get(key) or "(none: news)") for r in corpus.records])
    plan = []
    for source in sources:
        for name in sorted(set(names[corpus.sources == source].tolist())):
            members = (corpus.sources == source) & (names == name)
            if len(corpus.labelled(members)) >= MIN_EVENT_LABELS:
                plan.append((source, name, members))
    return plan


def leave_one_source_out(corpus: Corpus, fitter: Fitter, search: GateSearch | None,
                         tally: Tally) -> Table:
    """Train without one source; score its held-back rows."""
    rows = []
    for source in [s for s in LOSO_SOURCES if s in corpus.sources]:
        splits = corpus.splits.copy()
        splits[corpus.sources == source] = "out"
        heads = fitter.fit(splits, f"without {source}")
        idx = corpus.held_back(source)
        fitted = np.isin(splits, ("train", "calib"))
        rows.append([source, len(idx), *fold_row(corpus, heads, fitted, idx)])
        tally.add("loso", source, rows[-1][2], rows[-1][4])
        if search is not None:
            never_held = corpus.labelled((corpus.sources == source) & (corpus.splits != "holdout"))
            search.add("loso", source, heads, corpus, never_held, idx)
    return table("1. leave-one-source-out: urgency on the left-out source",
                 "held-back rows of a source no fit saw; B and TF-IDF+LR fitted on the model's "
                 "rows; macro-F1, then ECE after the blend",
                 ["left out", "n", *FOLD_COLUMNS], with_mean(rows, 2), 2, 7)


def leave_one_group_out(corpus: Corpus, fitter: Fitter, plan: list[tuple[str, str, np.ndarray]],
                        tally: Tally, section: str, title: str) -> Table:
    """Train without one event (or airline) of a source; score all of its labelled rows."""
    rows = []
    for source, group, members in plan:
        splits = corpus.splits.copy()
        splits[members] = "out"
        heads = fitter.fit(splits, f"without {source}/{group}")
        idx = corpus.labelled(members)
        rows.append([source, group, len(idx),
                     *fold_row(corpus, heads, np.isin(splits, ("train", "calib")), idx)])
        tally.add(section, group, rows[-1][3], rows[-1][5])
    return table(title, f"every labelled row of the left-out group (none trained on); groups "
                        f"with fewer than {MIN_EVENT_LABELS} urgency labels skipped",
                 ["source", "left out", "n", *FOLD_COLUMNS], with_mean(rows, 3), 3, 8)


def in_source(corpus: Corpus, fitter: Fitter, search: GateSearch | None, tally: Tally) -> Table:
    """The shipped recipe on every source's held-back rows, gate on and off."""
    heads = fitter.fit(corpus.splits, "on every source (the shipped recipe)")
    fitted = np.isin(corpus.splits, ("train", "calib"))
    rows = []
    for source in sorted(set(corpus.sources.tolist())):
        idx = corpus.held_back(source)
        if not len(idx):
            continue
        m, b = model_scores(heads, corpus, idx), b_scores(corpus, fitted, idx)
        rows.append([source, len(idx), m["macro_f1"], model_f1(ungated(heads), corpus, idx),
                     b["macro_f1"], rules_f1(corpus, idx), m["ece"], b["ece"],
                     m["critical_f1"], b["critical_f1"], m["ndcg100"], b["ndcg100"]])
        tally.add("in", source, m["macro_f1"], b["macro_f1"])
        if search is not None:
            calib = corpus.labelled((corpus.sources == source) & (corpus.splits == "calib"))
            search.add("in", source, heads, corpus, calib, idx)
    return table("4. in-source: urgency on each source's held-back rows",
                 "one model fitted on every source's train + calib rows, B on the same rows; "
                 "critical F1 NaN where a source has no critical row (target: disaster >= 0.6); "
                 f"nDCG over the top {TOP_K} (target: crisislex >= 0.85)",
                 ["source", "n", "model + gate", "model, no gate", "B", "rules", "model ECE",
                  "B ECE", "model crit F1", "B crit F1", "model nDCG@100", "B nDCG@100"],
                 with_mean(rows, 2), 2, 6)


def gate_name(gate: Gate | None) -> str:
    """'novel / familiar / max weight' of a gate, or 'no gate'."""
    return "no gate" if gate is None else \
        f"{gate.novel:.2f} / {gate.familiar:.2f} / {gate.max_weight:.1f}"


def choose_gate(search: GateSearch, quick: bool) -> Table | None:
    """The gate with the largest leave-one-source-out mean on rows never held back, among gates
    `triage train` would promote: in-source held-back urgency within PROMOTE_TOLERANCE of no gate.

    In-source cost is judged on held-back rows, as promotion judges every model: the calibration
    rows proved a poor guide to it (the gate's blend acts on temperature-fitted probabilities).
    """
    gates = list(dict.fromkeys([None, GATE, *gate_grid()]))
    sel_in, sel_loso = search.means("select", gates)
    rep_in, rep_loso = search.means("report", gates)
    ranked = rank_gates(rep_in, sel_loso, URGENCY_TOLERANCE)
    if not ranked:
        console.print("no gate in the grid passes the promotion rule in-source")
        return None
    shown = list(dict.fromkeys([None, GATE, *ranked[:TOP_GATES]]))
    out = Table(title=f"4. gate search over {len(gates) - 1} gates: chosen {gate_name(ranked[0])}"
                      f" (pipeline.GATE {gate_name(GATE)}: "
                      f"{'the same' if ranked[0] == GATE else 'differs'}"
                      f"{', as a --quick subsample may' if quick and ranked[0] != GATE else ''})",
                caption="chosen: the largest leave-one-source-out mean on rows never held back, "
                        "among gates whose in-source held-back mean is within "
                        f"{URGENCY_TOLERANCE:.4f} of no gate (what `triage train` would promote)",
                title_justify="left", caption_justify="left")
    for name in ("rank", "novel / familiar / max", "in-source calib", "LOSO never held back",
                 "in-source held back", "LOSO held back"):
        out.add_column(name, justify="right")
    for gate in shown:
        rank = ranked.index(gate) + 1 if gate in ranked else "-"
        out.add_row(str(rank), gate_name(gate), *[f"{d[gate]:.3f}" for d in
                                                  (sel_in, sel_loso, rep_in, rep_loso)])
    return out


def main() -> None:
    """Run the comparisons (and the gate search) and print one table each."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    ap.add_argument("--quick", action="store_true",
                    help=f"keep {QUICK_PER_SOURCE} rows per source (a smoke run)")
    ap.add_argument("--only", default=",".join(SECTIONS),
                    help=f"comma-separated sections to run, of {', '.join(SECTIONS)}")
    ap.add_argument("--choose-gate", action="store_true",
                    help="also run the grid search that chose pipeline.GATE (needs loso and in)")
    args = ap.parse_args()
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    if unknown := set(only) - set(SECTIONS):
        ap.error(f"unknown sections {sorted(unknown)}")

    started = time.perf_counter()
    corpus = load_corpus(args.data_dir, QUICK_PER_SOURCE if args.quick else None)
    events, airlines = event_plan(corpus), airline_plan(corpus)
    sizes = {"loso": sum(s in corpus.sources for s in LOSO_SOURCES), "loeo": len(events),
             "loao": len(airlines), "in": 1}
    fitter = Fitter(corpus, total=sum(sizes[s] for s in only))
    search = GateSearch() if args.choose_gate else None
    tally = Tally()
    console.print(f"{len(corpus.records):,} rows, {len(set(corpus.sources.tolist()))} sources"
                  f"{f' (--quick: {QUICK_PER_SOURCE} per source)' if args.quick else ''}; "
                  f"urgency head C={C}, shape_scale={SHAPE_SCALE}; pipeline.GATE "
                  f"{gate_name(GATE)} (novel / familiar / max weight); {os.cpu_count()} CPUs, "
                  f"{load()}; {fitter.total} folds: {', '.join(only)}")
    sections = {
        "loso": lambda: leave_one_source_out(corpus, fitter, search, tally),
        "loeo": lambda: leave_one_group_out(
            corpus, fitter, events, tally, "loeo",
            "2. leave-one-event-out: urgency on the left-out crisis event"),
        "loao": lambda: leave_one_group_out(
            corpus, fitter, airlines, tally, "loao",
            "3. leave-one-airline-out: urgency on the left-out airline's tweets"),
        "in": lambda: in_source(corpus, fitter, search, tally),
    }
    for name in SECTIONS:
        if name in only:
            console.print(sections[name]())
    console.print(tally.line())
    if search is not None and {"loso", "in"} <= set(only):
        console.print(f"scoring {len(gate_grid())} gates ...")
        found = choose_gate(search, args.quick)
        if found is not None:
            console.print(found)
    console.print(f"done in {time.perf_counter() - started:.0f} s ({load()})")


if __name__ == "__main__":
    main()
