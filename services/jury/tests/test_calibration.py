"""Calibration: the labelled set, the statistics against fixed vectors, and a run over HTTP that
benches the judges that disagree with the labels."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from jury_testkit import judge, panel
from pactline_jury.agreement_stats import accuracy, cohen_kappa
from pactline_jury.calibration import answer_key_json, calibrate, load_set, set_digest
from pactline_jury.judge_server import AnswerKey
from pactline_jury.screen import screen

ITEMS = load_set()


def test_the_set_has_at_least_200_labelled_items_of_every_difficulty():
    assert len(ITEMS) >= 200
    difficulty = Counter(i.difficulty for i in ITEMS)
    assert min(difficulty.values()) >= 50
    verdicts = Counter(i.verdict for i in ITEMS)
    assert min(verdicts.values()) >= 80
    assert len({i.criterion for i in ITEMS}) >= 10


def test_every_adversarial_failure_is_caught_by_the_screen_and_no_plain_item_is():
    for item in ITEMS:
        flagged = bool(screen(item.output))
        if item.difficulty == "adversarial" and item.verdict == "FAIL":
            assert flagged, item.id
        if item.difficulty != "adversarial":
            assert not flagged, item.id


def test_the_set_digest_is_stable():
    assert set_digest(ITEMS) == set_digest(load_set())
    assert len(set_digest(ITEMS)) == 64


@pytest.mark.parametrize(
    ("labels", "ratings", "kappa", "acc"),
    [
        ("PPFF", "PPFF", "1", "1"),
        ("PPFF", "PFFF", "0.5", "0.75"),  # p_o = .75, p_e = .5*.25 + .5*.75 = .5
        ("PPFF", "PPPP", "0", "0.5"),  # always-pass on a balanced set agrees only by chance
        ("PPFF", "FFPP", "-1", "0"),
        ("PPPF", "PPFN", "0.1111", "0.5"),  # N: no vote; p_e = .75*.5 + .25*.25 = .4375
        ("PPPP", "PPPP", "1", "1"),  # chance agreement is total: kappa defined as 1 when they agree
    ],
)
def test_kappa_and_accuracy_fixed_vectors(labels, ratings, kappa, acc):
    assert cohen_kappa(list(labels), list(ratings)) == Decimal(kappa)
    assert accuracy(list(labels), list(ratings)) == Decimal(acc)


async def test_calibration_over_http_benches_judges_that_disagree_with_the_labels(answer_key: AnswerKey, judge_url):
    subset = tuple(i for n, i in enumerate(ITEMS) if n % 5 == 0)  # 42 items of every kind
    answer_key.answers.update(AnswerKey.from_json(answer_key_json(subset)).answers)
    judges = panel(
        judge_url,
        judge(judge_url, "honest.c1", "anthropic"),
        judge(judge_url, "honest.c2.n20", "google"),
        judge(judge_url, "always-pass.c3", "meta"),
        judge(judge_url, "malformed.c4", "mistral"),
    )
    report = await calibrate(judges, subset, concurrency=8)
    by_id = {j.rater: j for j in report.judges}
    assert report.items == len(subset)
    assert (by_id["j-honest-c1"].kappa, by_id["j-honest-c1"].benched) == (Decimal(1), False)
    assert Decimal(0) < by_id["j-honest-c2-n20"].kappa < Decimal(1)
    assert by_id["j-always-pass-c3"].kappa <= Decimal(0)
    assert by_id["j-always-pass-c3"].benched
    assert by_id["j-malformed-c4"].invalid == len(subset)
    assert by_id["j-malformed-c4"].benched
    assert report.panel.accuracy >= by_id["j-honest-c2-n20"].accuracy
    assert report.as_json()["judges"][0]["kappa"] == "1.0000"
