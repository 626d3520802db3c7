"""`triage train` and `triage eval`, registered onto the platform's Typer app (or run standalone)."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from triage.scoring.classifier.data import DEFAULT_DATA_DIR

PROMOTE_TOLERANCE = 0.002  # same as pipeline.PROMOTE_TOLERANCE; repeated so --help stays cheap

console = Console(stderr=True)
SYSTEM_NAMES = {"model": "model", "baseline_b": "B: TF-IDF+MiniLM LR", "tfidf_lr": "TF-IDF+LR",
                "rules": "rules"}


@contextmanager
def _rich_track(enabled: bool = True):
    """A `Track` for the pipeline that draws one rich bar per stage."""
    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeRemainingColumn(),
                  console=console, disable=not enabled) as bar:
        def track(description: str, total: int):
            task = bar.add_task(description, total=total)
            return lambda n: bar.advance(task, n)
        yield track


def _print_fields(fields: dict, title: str) -> None:
    for field, systems in fields.items():
        table = Table(title=f"{title} {field}")
        table.add_column("class")
        for name in systems:
            table.add_column(f"{SYSTEM_NAMES.get(name, name)} P/R/F1")
        classes = sorted({c for s in systems.values() for c in s["per_class"]})
        for cls in classes:
            cells = []
            for s in systems.values():
                pc = s["per_class"].get(cls)
                cells.append(f"{pc['precision']:.2f}/{pc['recall']:.2f}/{pc['f1']:.2f} "
                             f"(n={pc['support']})" if pc else "-")
            table.add_row(cls, *cells)
        table.add_row("macro-F1", *[f"[bold]{s['macro_f1']:.3f}[/]" for s in systems.values()])
        table.add_row("ECE", *[f"{s['ece']:.3f}" for s in systems.values()])
        if field == "urgency":
            table.add_row("nDCG", *[f"{s['ndcg']:.3f}" for s in systems.values()])
            table.add_row("nDCG top 100", *[f"{s['ndcg100']:.3f}" for s in systems.values()])
        Console().print(table)


def eval_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="labelled JSONL")],
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    predictions: Annotated[Path | None, typer.Option(help="write per-record predictions")] = None,
    models: Annotated[Path, typer.Option(help="models dir with CURRENT")] = Path("models"),
    data_dir: Annotated[Path, typer.Option(help="starter data (baselines train on it)")] = (
        DEFAULT_DATA_DIR),
) -> None:
    """Score FILE with the shipped model and three baselines trained in this run.

    Baseline B (TF-IDF word 1-2-grams + MiniLM, LR C=1) trains on every starter row except
    FILE's held-back rows; TF-IDF+LR on the model's own training rows.
    """
    from triage.scoring.classifier.data import load_jsonl, load_starter, split_of
    from triage.scoring.classifier.evaluate import b_training_rows, evaluate_file, write_predictions
    from triage.scoring.classifier.heads import load_heads
    from triage.scoring.classifier.pipeline import default_embedder, embed_all

    records = load_jsonl(file)
    embedder = default_embedder()
    heads = load_heads(models, embedder_id=embedder.model_id, embed_dim=embedder.dim)
    starter = load_starter(data_dir)
    train_rows = [r for r in starter if split_of(r) != "holdout"]
    b_idx = b_training_rows(starter, records)
    with _rich_track(not as_json) as track:
        emb = embed_all(embedder, [r["text"] for r in records], track)
        b_emb = embed_all(embedder, [starter[i]["text"] for i in b_idx], track)  # cached after once
    if not as_json:
        console.print(f"fitting baseline B on {len(b_idx):,} starter rows ...")
    report = evaluate_file(records, heads=heads, embeddings=emb, train_records=train_rows,
                           b_records=[starter[i] for i in b_idx], b_embeddings=b_emb)
    preds = report.pop("_predictions")
    if predictions:
        write_predictions(predictions, records, preds)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    console.print(f"{file.name}: model {heads.version}; scored {report['n_evaluated']} of "
                  f"{report['n']} rows ({report['n_seen_in_training']} were in the model's "
                  "training split and are left out)")
    _print_fields(report["fields"], file.stem)


def _export_db_corrections() -> Path | None:
    """Write the inbox's corrections to var/ as labelled records; None when there are none."""
    from triage.bootstrap import build_services
    from triage.config import get_settings
    from triage.inbox.training import correction_records

    settings = get_settings()
    try:
        services = build_services(settings)
        with services.db() as session:
            records = correction_records(session=session)
    except Exception as exc:  # noqa: BLE001 - no database yet: train on the starter data alone
        console.print(f"no corrections read from the database ({type(exc).__name__}); "
                      "training on the starter data")
        return None
    if not records:
        return None
    for r in records:  # the source's connector channel: serving fills the channel block the same way
        src = settings.sources.get(r.get("channel") or "")
        r["channel"] = src.channel if src is not None else None
    path = settings.data_dir / "corrections.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    console.print(f"{len(records)} corrected message(s) from the inbox -> {path}")
    return path


def train_cmd(
    data_dir: Annotated[Path, typer.Option(help="starter data folder")] = DEFAULT_DATA_DIR,
    corrections: Annotated[Path | None, typer.Option(
        exists=True, dir_okay=False, help="managers' corrections JSONL")] = None,
    out: Annotated[Path, typer.Option(help="where versions and CURRENT live")] = Path("models"),
    c: Annotated[float | None, typer.Option(help="inverse regularisation (default: tuned)")] = None,
    tolerance: Annotated[float, typer.Option(help="allowed dip in mean macro-F1")] = (
        PROMOTE_TOLERANCE),
    from_db: Annotated[bool, typer.Option(
        "--from-db/--no-db", help="add the corrections managers made in the inbox")] = True,
    limit: Annotated[int | None, typer.Option(
        min=20, help="at most N starter rows per source (quick runs, tests; not the shipped recipe)",
    )] = None,
    cache: Annotated[Path, typer.Option(help="embedding cache folder")] = Path("var/cache"),
) -> None:
    """Retrain on starter data + corrections; promote only if held-back macro-F1 doesn't drop."""
    from triage.scoring.classifier.pipeline import default_embedder, run_train

    if corrections is None and from_db:
        corrections = _export_db_corrections()

    out.mkdir(parents=True, exist_ok=True)
    with _rich_track() as track:
        result = run_train(data_dir=data_dir, out=out, corrections=corrections,
                           embedder=default_embedder(cache), now=datetime.now(UTC), track=track,
                           c=c, tolerance=tolerance, limit=limit)
    for ds, fields in result.report.items():
        _print_fields(fields, f"held-back {ds}")
    old = f"{result.current_score:.4f} ({result.current_version})" \
        if result.current_score is not None else (result.current_version or "none")
    console.print(f"new {result.heads.version} (C={result.heads.meta.get('c')}): mean held-back "
                  f"macro-F1 {result.new_score:.4f}; current: {old}")
    console.print(f"[bold]{'promoted' if result.promoted else 'NOT promoted (regression)'}[/]: "
                  f"{result.path}")


def register(app: typer.Typer) -> None:
    """Add `train` and `eval` to the platform's Typer app."""
    app.command("train")(train_cmd)
    app.command("eval")(eval_cmd)


def main() -> None:
    app = typer.Typer(add_completion=False, help="triage classifier commands")
    register(app)
    app()


if __name__ == "__main__":
    main()
