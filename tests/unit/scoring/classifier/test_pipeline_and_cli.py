"""train/eval use cases end to end on toy files with the hashing embedder (no model, no data)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest
import typer
from typer.testing import CliRunner

from triage.cli.classifier import register
from triage.scoring.classifier.data import DEV_FILES, TRAIN_FILES
from triage.scoring.classifier.embedder import HashingEmbedder
from triage.scoring.classifier.evaluate import evaluate_file, write_predictions
from triage.scoring.classifier.features import FeatureSpec
from triage.scoring.classifier.heads import load_heads
from triage.scoring.classifier.pipeline import run_train

from .toys import toy_records

NOW = datetime(2026, 3, 1, tzinfo=UTC)
SMALL = FeatureSpec(embed_dim=64)  # the production recipe over the 64-d fake embedding


@pytest.fixture()
def data_dir(tmp_path):
    """Six files named like the shared ones, filled with invented toy records."""
    rows = toy_records(n_per_phrase=20)
    sources = ["banking77", "airline_tweets"]
    for k, name in enumerate(TRAIN_FILES + DEV_FILES):
        part = [dict(r, id=f"{name}:{r['id']}", dataset=sources[k % 2]) for r in rows[k::6]]
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in part))
    return tmp_path


def test_train_writes_a_version_promotes_it_and_keeps_it_when_nothing_improves(data_dir, tmp_path):
    out = tmp_path / "models"
    out.mkdir()
    first = run_train(data_dir=data_dir, out=out, embedder=HashingEmbedder(dim=64), now=NOW,
                      spec=SMALL)
    assert first.promoted and (out / "CURRENT").read_text().strip() == first.heads.version
    assert (first.path / "MODEL_CARD.md").read_text().count("| banking77 |") >= 1
    assert first.report["banking77"]["urgency"]["model"]["macro_f1"] > 0.9
    later = NOW.replace(hour=1)
    second = run_train(data_dir=data_dir, out=out, embedder=HashingEmbedder(dim=64), now=later,
                       spec=SMALL)
    assert second.current_version == first.heads.version
    assert second.new_score == second.current_score and second.promoted  # same data, same model


def test_a_regressing_model_is_not_promoted(data_dir, tmp_path):
    out = tmp_path / "models"
    out.mkdir()
    good = run_train(data_dir=data_dir, out=out, embedder=HashingEmbedder(dim=64), now=NOW,
                     spec=SMALL, c=1.0)
    wrong = tmp_path / "wrong.jsonl"  # "corrections" teaching that every calm text is critical
    wrong.write_text("".join(json.dumps({"id": f"w{i}", "text": r["text"], "channel": "chat",
                                         "urgency": "critical"})
                             + "\n" for i, r in enumerate(toy_records()) if r["urgency"] == "low"))
    bad = run_train(data_dir=data_dir, out=out, embedder=HashingEmbedder(dim=64),
                    now=NOW.replace(hour=2), c=1.0, spec=SMALL, corrections=wrong)
    assert not bad.promoted and bad.new_score < bad.current_score
    assert (out / "CURRENT").read_text().strip() == good.heads.version


def test_eval_reports_three_systems_and_writes_one_prediction_per_record(data_dir, tmp_path):
    out = tmp_path / "models"
    out.mkdir()
    emb = HashingEmbedder(dim=64)
    run_train(data_dir=data_dir, out=out, embedder=emb, now=NOW, spec=SMALL, c=1.0)
    heads = load_heads(out)
    records = [json.loads(x) for x in (data_dir / "airline_dev.jsonl").read_text().splitlines()]
    train = [json.loads(x) for x in (data_dir / "banking77_train.jsonl").read_text().splitlines()]
    report = evaluate_file(records, heads=heads, embeddings=emb.embed([r["text"] for r in records]),
                           train_records=train)
    assert report["n"] == len(records) and 0 < report["n_evaluated"] < len(records)
    assert set(report["fields"]["urgency"]) == {"model", "tfidf_lr", "rules"}
    b_rows = [json.loads(x) for x in (data_dir / "bitext_train.jsonl").read_text().splitlines()]
    with_b = evaluate_file(records, heads=heads, embeddings=emb.embed([r["text"] for r in records]),
                           train_records=train, b_records=b_rows,
                           b_embeddings=emb.embed([r["text"] for r in b_rows]))
    assert with_b["fields"]["urgency"]["baseline_b"]["macro_f1"] > 0.5
    assert "ndcg100" in with_b["fields"]["urgency"]["baseline_b"]
    assert "ndcg" in report["fields"]["urgency"]["model"]
    path = tmp_path / "pred.jsonl"
    write_predictions(path, records, report["_predictions"])
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert len(lines) == len(records)
    assert set(lines[0]) == {"id", "urgency", "urgency_proba", "intent", "intent_proba",
                             "sentiment", "sentiment_proba"}
    assert sum(lines[0]["urgency_proba"].values()) == pytest.approx(1.0, abs=1e-3)


def test_register_adds_train_and_eval_to_the_platform_app():
    app = typer.Typer()

    @app.command()
    def version() -> None:  # the lead's app already has commands
        typer.echo("0")

    register(app)
    runner = CliRunner()
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "train" in result.output and "eval" in result.output
    assert "--predictions" in runner.invoke(app, ["eval", "--help"]).output


def test_importing_the_package_and_cli_does_not_load_torch_or_sklearn():
    code = ("import sys, triage.scoring.classifier, triage.cli.classifier; "
            "print(sorted(m for m in ('torch', 'sklearn', 'sentence_transformers') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_tolerance_default_matches_the_pipeline():
    from triage.cli import classifier as cli
    from triage.scoring.classifier import pipeline

    assert cli.PROMOTE_TOLERANCE == pipeline.PROMOTE_TOLERANCE
