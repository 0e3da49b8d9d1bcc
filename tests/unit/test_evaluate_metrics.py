"""Scoring of hand-built Answers: ALCE citation recall/precision, validity, facts, evidence, refusals, CRAG."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import EvalSettings
from assistant.errors import ConfigError
from assistant.eval_metrics import (
    EvalQuestion,
    QuestionScores,
    alce_sentence,
    evidence_overlaps,
    fact_present,
    failed_thresholds,
    percentile,
    score_answer,
    summarize,
    support_judge_accuracy,
    unsupported_terms,
)
from assistant.results import Answer, Citation, Passage, Timings

HOST = "President Biden is scheduled to host Prime Minister Kishida for an official visit to the U.S. on April 10."
FIRMS = "This collaboration is expected to involve prominent tech companies such as Nvidia, Arm, and Amazon."
PAPER = "The Asahi Shimbun newspaper reported the development on Saturday."

VISIT = EvalQuestion(id="visit-date", question="When will Kishida visit the United States?",
                     expected_facts=[["April 10", "10 April"]], evidence=["official visit to the U.S. on April 10"])
BUDGET = EvalQuestion(id="budget", question="How much funding will the framework receive?", answerable=False)


def passage(pid: str, text: str, start: int = 0) -> Passage:
    return Passage(id=pid, text=text, source="seed.txt", start=start, end=start + len(text), score=0.5)


def cite(marker: int, p: Passage, quote: str | None = None) -> Citation:
    quote = p.text if quote is None else quote
    start = p.start + p.text.index(quote)
    return Citation(marker=marker, passage_id=p.id, source=p.source, start=start, end=start + len(quote), quote=quote)


def answer(text: str, passages: list[Passage], citations: list[Citation], refused: bool = False,
           total: float = 1.0) -> Answer:
    return Answer(question="q", query="q", text=text, refused=refused, passages=passages, citations=citations,
                  timings=Timings(total=total, generate=total / 2, completion_tokens=10))


P_HOST, P_FIRMS, P_PAPER = passage("host", HOST, 100), passage("firms", FIRMS, 300), passage("paper", PAPER, 500)
SHOWN = [P_HOST, P_FIRMS, P_PAPER]


def test_right_answer_cited_to_the_right_passage_scores_full_marks() -> None:
    s = score_answer(VISIT, answer("Kishida will visit the U.S. on April 10 [1].", SHOWN, [cite(1, P_HOST)]))
    assert (s.citation_recall, s.citation_precision, s.fact_recall, s.all_facts) == (1.0, 1.0, 1.0, True)
    assert s.crag == 1 and s.evidence_hit is True and not s.declined
    assert s.citation_checks == 1 and s.citation_problems == []
    assert s.unsupported_terms == []


def test_right_answer_with_a_wrong_citation_keeps_its_facts_but_loses_citation_scores() -> None:
    s = score_answer(VISIT, answer("Kishida will visit the U.S. on April 10 [1].", SHOWN, [cite(1, P_PAPER)]))
    assert s.fact_recall == 1.0 and s.crag == 1
    assert (s.citation_recall, s.citation_precision) == (0.0, 0.0)
    assert s.evidence_hit is False and s.evidence_retrieved is True
    assert summarize([s]).correct_and_cited_rate == 0.0


def test_redundant_citation_is_imprecise_but_the_sentence_is_recalled() -> None:
    # [2] alone does not support the sentence and [1] does without it: ALCE counts [2] as redundant.
    s = score_answer(VISIT, answer("Kishida will visit the U.S. on April 10 [1][2].", SHOWN,
                                   [cite(1, P_HOST), cite(2, P_PAPER)]))
    assert s.citation_recall == 1.0
    assert s.citation_precision == 0.5
    assert s.sentences[0].citations_counted == 2 and s.sentences[0].citations_precise == 1


def test_citations_needed_together_are_both_precise() -> None:
    text = ("Biden will host Kishida on April 10, and the collaboration is expected to involve Nvidia, Arm and Amazon "
            "[1][2].")
    s = score_answer(VISIT, answer(text, SHOWN, [cite(1, P_HOST), cite(2, P_FIRMS)]))
    assert (s.citation_recall, s.citation_precision) == (1.0, 1.0)
    alone = score_answer(VISIT, answer(text.replace("[1][2]", "[1]"), SHOWN, [cite(1, P_HOST)]))
    assert alone.citation_recall == 0.0  # the first passage alone names none of the companies


def test_recombination_of_the_cited_passage_words_is_not_recalled() -> None:
    # Every word is in the cited passage, but host and guest are exchanged: the judge, unlike a bag of words, sees it.
    text = ("Prime Minister Kishida is scheduled to host President Biden for an official visit to the U.S. on April 10 "
            "[1].")
    s = score_answer(VISIT, answer(text, SHOWN, [cite(1, P_HOST)]))
    assert (s.citation_recall, s.citation_precision) == (0.0, 0.0)
    assert s.fact_recall == 1.0 and s.unsupported_terms == []  # the facts and names are there; the relation is not


def test_two_citations_each_sufficient_alone_are_both_precise() -> None:
    twin = passage("twin", HOST, 900)
    s = score_answer(VISIT, answer("Kishida will visit the U.S. on April 10 [1][2].", [P_HOST, twin],
                                   [cite(1, P_HOST), cite(2, twin)]))
    assert s.citation_precision == 1.0


def test_unsupported_multi_citation_sentence_counts_its_citations_as_imprecise() -> None:
    s = score_answer(VISIT, answer("Kishida will visit Paris on May 3 [1][2].", SHOWN,
                                   [cite(1, P_HOST), cite(2, P_PAPER)]))
    assert s.citation_recall == 0.0
    assert s.sentences[0].citations_counted == 2 and s.citation_precision == 0.0
    assert s.crag == -1 and s.missing_facts == ["April 10"]
    assert len(s.unsupported_terms) == 3 and "3" in s.unsupported_terms  # 3, May, Paris (as stems)


def test_sentence_without_a_marker_is_not_recalled_and_answer_without_citations_has_zero_precision() -> None:
    s = score_answer(VISIT, answer("Kishida will visit the U.S. on April 10.", SHOWN, []))
    assert (s.citation_recall, s.citation_precision) == (0.0, 0.0)
    assert s.citation_checks == 0


def test_recall_is_a_share_of_sentences() -> None:
    text = "Kishida will visit the U.S. on April 10 [1]. The Asahi Shimbun reported it on Saturday."
    s = score_answer(VISIT, answer(text, SHOWN, [cite(1, P_HOST)]))
    assert s.citation_recall == 0.5 and s.citation_precision == 1.0


def test_only_the_first_three_citations_of_a_sentence_count() -> None:
    ps = [passage(f"p{i}", PAPER, 1000 * i) for i in range(1, 4)] + [P_HOST]
    cites = [cite(i + 1, p) for i, p in enumerate(ps)]
    s = alce_sentence("Kishida will visit the U.S. on April 10 [1][2][3][4].", {c.marker: p.text for c, p in
                                                                                zip(cites, ps, strict=True)})
    assert s.markers == [1, 2, 3] and s.citations_counted == 3 and not s.supported
    assert alce_sentence("x [4].", {4: HOST}, at_most_citations=None).markers == [4]


def test_marker_without_citation_is_invalid_unsupported_and_uncounted_like_alce_out_of_range() -> None:
    text = "Kishida will visit the U.S. on April 10 [1][3]."
    s = score_answer(VISIT, answer(text, SHOWN, [cite(1, P_HOST)]))
    assert s.citation_problems == ["[3] in the text has no citation"]
    assert s.citation_recall == 0.0
    assert s.sentences[0].citations_counted == 0 and s.citation_precision == 0.0


@pytest.mark.parametrize(("bad", "problem"), [
    (Citation(marker=1, passage_id="host", source="seed.txt", start=100, end=110, quote="Something else"),
     "quote is not the text"),
    (Citation(marker=1, passage_id="gone", source="seed.txt", start=100, end=110, quote=HOST[:10]),
     "which was not shown"),
    (Citation(marker=1, passage_id="host", source="other.txt", start=100, end=110, quote=HOST[:10]),
     "names source 'other.txt'"),
    (Citation(marker=1, passage_id="host", source="seed.txt", start=90, end=100, quote=HOST[:10]),
     "lie outside passage"),
])
def test_citation_validity_checks_the_quote_against_the_shown_passage(bad: Citation, problem: str) -> None:
    s = score_answer(VISIT, answer("Kishida will visit the U.S. on April 10 [1].", SHOWN, [bad]))
    assert s.citation_checks == 1
    assert len(s.citation_problems) == 1 and problem in s.citation_problems[0]


def test_quote_of_part_of_a_passage_at_its_offsets_is_valid() -> None:
    c = cite(1, P_HOST, "official visit to the U.S. on April 10.")
    s = score_answer(VISIT, answer("Kishida will visit the U.S. on April 10 [1].", SHOWN, [c]))
    assert s.citation_problems == [] and c.start == 100 + HOST.index("official")


def test_listed_but_unused_and_duplicated_citations_are_invalid() -> None:
    cites = [cite(1, P_HOST), cite(1, P_HOST), cite(2, P_PAPER)]
    s = score_answer(VISIT, answer("Kishida will visit the U.S. on April 10 [1].", SHOWN, cites))
    assert s.citation_checks == 2
    assert s.citation_problems == ["[1] is listed 2 times", "[2] is listed but never used in the text"]
    assert summarize([s]).citation_validity == 0.0


def test_answered_unanswerable_question_is_wrong() -> None:
    s = score_answer(BUDGET, answer("The framework will receive funding [1].", SHOWN, [cite(1, P_FIRMS)]))
    assert s.crag == -1 and not s.declined
    assert s.fact_recall is None and s.evidence_hit is None
    summary = summarize([s])
    assert summary.refusal_rate == 0.0 and summary.false_refusal_rate is None
    assert summary.citation_recall is not None  # answered unanswerable questions are scored for citations too


def test_refused_unanswerable_question_is_correct() -> None:
    s = score_answer(BUDGET, answer("I can't answer that from the documents.", SHOWN, [], refused=True))
    assert s.crag == 1 and s.declined
    assert summarize([s]).refusal_rate == 1.0


def test_false_refusal_scores_zero_and_is_left_out_of_citation_averages() -> None:
    refused = score_answer(VISIT, answer("I can't answer that from the documents.", SHOWN, [], refused=True))
    assert refused.crag == 0 and refused.fact_recall == 0.0 and refused.all_facts is False
    assert refused.citation_recall is None and refused.citation_precision is None
    assert refused.evidence_hit is False and refused.unsupported_terms == []
    right = score_answer(VISIT, answer("Kishida will visit the U.S. on April 10 [1].", SHOWN, [cite(1, P_HOST)]))
    summary = summarize([refused, right])
    assert summary.false_refusal_rate == 0.5
    assert summary.citation_recall == 1.0  # averaged over the one answered question
    assert summary.fact_recall == 0.5 and summary.all_facts_rate == 0.5
    assert summary.crag_score == 0.5 and summary.n_declined == 1
    assert summarize([refused]).citation_recall is None


def test_the_share_of_answers_keeping_a_sentence_of_the_model_counts_answers_given_only() -> None:
    text, cited = "Kishida will visit the U.S. on April 10 [1].", [cite(1, P_HOST)]

    def scored(mode: str, refused: bool = False) -> QuestionScores:
        return score_answer(VISIT, answer(text, SHOWN, cited, refused=refused).model_copy(update={"mode": mode}))

    kept = [scored(m) for m in ("generated", "generated+extractive", "bare", "citation-engine")]
    quoted = [scored("extractive"), scored("error")]
    assert [s.model_wrote for s in kept + quoted] == [True] * 4 + [False] * 2
    refused = scored("refused", refused=True)
    assert refused.model_wrote is None
    assert summarize([*kept[:1], *quoted, refused]).model_sentence_rate == pytest.approx(1 / 3)
    assert summarize([refused]).model_sentence_rate is None


def test_refusal_text_mentioning_a_fact_does_not_earn_it() -> None:
    s = score_answer(VISIT, answer("Nothing says what happens on April 10.", SHOWN, [], refused=True))
    assert s.facts_found == 0


def test_answer_left_without_sentences_counts_as_declined() -> None:
    s = score_answer(VISIT, answer("", SHOWN, []))
    assert s.declined and s.crag == 0 and s.citation_recall is None


def test_answer_missing_one_of_two_facts_is_wrong() -> None:
    q = EvalQuestion(id="firms", question="Which companies?", expected_facts=[["Nvidia"], ["Amazon"]])
    s = score_answer(q, answer("Nvidia is involved [1].", SHOWN, [cite(1, P_FIRMS)]))
    assert (s.facts_found, s.facts_total, s.fact_recall, s.all_facts, s.crag) == (1, 2, 0.5, False, -1)
    assert s.missing_facts == ["Amazon"]


@pytest.mark.parametrize(("aliases", "text", "present"), [
    (["april 10"], "He visits on APRIL 10 [1].", True),
    (["10 April", "April 10"], "on April 10th", True),
    (["10"], "about 100 people", False),
    (["chip"], "advanced AI chips", True),
    (["AI"], "the newspaper said so", False),
    (["Arm"], "it could harm trade", False),
    (["Kishida's visit"], "Kishida’s visit", True),
    (["global partnership"], "the “global\n partnership”", True),
])
def test_fact_aliases_match_case_insensitively_at_word_starts(aliases: list[str], text: str, present: bool) -> None:
    assert fact_present(aliases, text) is present


def test_evidence_straddling_two_passages_overlaps_both() -> None:
    evidence = "official visit to the U.S. on April 10. This collaboration is expected"
    assert evidence_overlaps(evidence, HOST) and evidence_overlaps(evidence, FIRMS)
    assert not evidence_overlaps(evidence, PAPER)
    assert not evidence_overlaps("the U.S. on May 1", HOST)  # shorter than the minimum overlap, not contained


def test_unsupported_names_and_numbers_are_found_per_sentence() -> None:
    # Run over the whole text, "Officials" (not the first word) would pass for a name the passages lack.
    text = "Kishida will visit the U.S. on April 10 [1]. Officials met in Paris in 2025."
    s = score_answer(VISIT, answer(text, SHOWN, [cite(1, P_HOST)]))
    assert len(s.unsupported_terms) == 2 and "2025" in s.unsupported_terms  # 2025 and Paris (as stems)
    assert summarize([s]).unsupported_entities == 2


def test_unsupported_terms_are_numbers_names_and_code_of_no_shown_passage() -> None:
    assert unsupported_terms("Use set() or frozenset() in Python 3.12 [1].", ["Use set() in Python 3.11."]) == [
        "3.12", "frozenset()"]
    assert unsupported_terms("Biden hosts Kishida on April 10.", [HOST]) == []


def test_support_judge_accuracy_is_reported_from_the_labelled_pairs(tmp_path: Path) -> None:
    accuracy = support_judge_accuracy()
    assert accuracy is not None and 0.5 < accuracy <= 1.0
    assert support_judge_accuracy(tmp_path / "absent.yaml") is None
    assert summarize([_scores()], support_judge_accuracy=accuracy).support_judge_accuracy == accuracy
    assert summarize([_scores()]).support_judge_accuracy is None


def test_percentile_interpolates_like_numpy() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 95) == pytest.approx(3.85)
    assert percentile([], 50) == 0.0


def test_latency_and_tokens_per_second_come_from_timings() -> None:
    scores = [score_answer(VISIT, answer("Kishida will visit the U.S. on April 10 [1].", SHOWN, [cite(1, P_HOST)],
                                         total=t)) for t in (1.0, 3.0)]
    summary = summarize(scores)
    assert summary.latency_p50_s == 2.0
    assert summary.tokens_per_s == pytest.approx(20 / 2.0)


def _scores(**scores: float | None) -> QuestionScores:
    base = score_answer(VISIT, answer("Kishida will visit the U.S. on April 10 [1].", SHOWN, [cite(1, P_HOST)]))
    return base.model_copy(update=scores)


def test_thresholds_report_each_missed_bound_and_skip_metrics_without_a_value() -> None:
    summary = summarize([_scores(citation_recall=0.5)]).model_copy(update={"unsupported_entities": 3})
    failed = failed_thresholds(summary, EvalSettings())
    assert [line.split(" ")[0] for line in failed] == ["citation_recall", "unsupported_entities"]
    assert summary.refusal_rate is None  # no unanswerable question: min_refusal_rate is not judged
    assert failed_thresholds(summarize([_scores()]), EvalSettings()) == []


def test_a_threshold_naming_no_metric_is_a_config_error() -> None:
    class Custom(EvalSettings):
        min_happiness: float = 0.5

    with pytest.raises(ConfigError, match="min_happiness"):
        failed_thresholds(summarize([_scores()]), Custom())
