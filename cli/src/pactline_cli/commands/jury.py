"""`pactline jury ...`: check a panel on one output, and calibrate every judge against the set.

Both run the platform's panel (the jury's panel file, PACTLINE_JURY_PANEL_FILE) in this
process, outside Kafka, with the service's own prompt, reply reader and aggregation. The jury
package is imported only when a command runs: litellm takes seconds to load.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="The LLM jury: try a panel on one output, calibrate judges.", no_args_is_help=True)

PanelOption = Annotated[
    Path | None,
    typer.Option(
        "--panel",
        exists=True,
        dir_okay=False,
        help="Panel file (default: PACTLINE_JURY_PANEL_FILE or the local simulated panel)",
    ),
]


def _panel_file(panel: Path | None) -> Path:
    from pactline_jury.settings import JurySettings

    return panel or JurySettings().jury_panel_file


def _warn_if_simulated(panel) -> None:  # a pactline_jury Panel, imported lazily
    if panel.simulated:
        typer.secho(
            "NOTE: this panel's judges are SIMULATED (the project's judge server answering from an answer key); "
            "its verdicts are not language-model judgments.",
            err=True,
            fg=typer.colors.YELLOW,
        )


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@app.command("try")
def try_panel(
    rubric: Annotated[str, typer.Option(help="The rubric criterion to judge against")],
    output_file: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="The agent output to judge")],
    panel: PanelOption = None,
    answer_key: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="Answer simulated judges from this key (a private judge server)"
        ),
    ] = None,
    input_text: Annotated[str, typer.Option("--input", help="The task input the output answers")] = "",
    threshold: Annotated[str, typer.Option(help="Pass threshold, a score in [0, 1]")] = "0.7",
    family: Annotated[str, typer.Option(help="The agent's model family (its judges are left off)")] = "other",
) -> None:
    """Run the panel once on OUTPUT_FILE and print the deliberation as JSON."""
    from pactline_events.types import ModelFamily
    from pactline_jury.judge_server import AnswerKey
    from pactline_jury.judging import MissingJudgeKey, check_keys
    from pactline_jury.settings import PanelInvalid
    from pactline_jury.trial import (
        decimal_threshold,
        deliberation_json,
        load_answer_key,
        run_trial,
        simulated_judges,
        trial_request,
    )

    try:
        level = decimal_threshold(threshold)
        agent_family = ModelFamily(family)
        key: AnswerKey | None = load_answer_key(answer_key) if answer_key else None
        output = output_file.read_text(encoding="utf-8")
    except (ValueError, ArithmeticError) as exc:
        raise _fail(str(exc)) from None
    request = trial_request(rubric=rubric, output=output, input_text=input_text, threshold=level, family=agent_family)
    try:
        with simulated_judges(_panel_file(panel), key) as loaded:
            check_keys(loaded.judges)
            _warn_if_simulated(loaded)
            deliberation = asyncio.run(run_trial(loaded, request))
    except (PanelInvalid, MissingJudgeKey) as exc:
        raise _fail(str(exc)) from None
    typer.echo(json.dumps(deliberation_json(deliberation), indent=2, ensure_ascii=False))


@app.command("calibrate")
def calibrate(
    panel: PanelOption = None,
    calibration_set: Annotated[
        Path | None, typer.Option("--set", exists=True, file_okay=False, help="Folder of labelled items")
    ] = None,
    save: Annotated[
        bool, typer.Option(help="Record the results (and bench weak judges) in the jury's database")
    ] = True,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Items judged at once")] = 8,
) -> None:
    """Judge the labelled set with every configured judge; report accuracy and Cohen's kappa per
    judge and for the panel; judges under the panel's min_kappa are benched until recalibrated."""
    from rich.progress import Progress

    from pactline_jury.calibration import CALIBRATION_SET, CalibrationSetInvalid, load_set
    from pactline_jury.judging import MissingJudgeKey, check_keys
    from pactline_jury.settings import JurySettings, PanelInvalid
    from pactline_jury.trial import calibration_key, record_calibration, run_calibration, simulated_judges

    try:
        items = load_set(calibration_set or CALIBRATION_SET)
    except (CalibrationSetInvalid, ValueError) as exc:
        raise _fail(f"calibration set: {exc}") from None
    panel_file = _panel_file(panel)
    try:
        from pactline_jury.settings import load_panel

        simulated = load_panel(panel_file).simulated
        # Simulated judges answer from the set's own labels: the figures then measure the
        # simulation (noise, failure modes), never a model.
        with simulated_judges(panel_file, calibration_key(items) if simulated else None) as loaded:
            check_keys(loaded.judges)
            _warn_if_simulated(loaded)
            with Progress(transient=True) as bar:
                task = bar.add_task(f"{len(items)} items x {len(loaded.judges)} judges", total=len(items))
                report = asyncio.run(
                    run_calibration(loaded, items, concurrency=concurrency, progress=lambda n: bar.advance(task, n))
                )
    except (PanelInvalid, MissingJudgeKey) as exc:
        raise _fail(str(exc)) from None
    if save:
        settings = JurySettings()
        try:
            asyncio.run(record_calibration(settings.database_url.get_secret_value(), "jury", loaded, report))
        except OSError as exc:
            raise _fail(f"cannot record the calibration in the jury's database: {exc}", 1) from None
    typer.echo(json.dumps(report.as_json(), indent=2))
    benched = [j.rater for j in report.judges if j.benched]
    if benched:
        typer.echo(f"benched (kappa under {report.min_kappa}): {', '.join(benched)}", err=True)
