"""The evaluation's support judge: hand-labelled pairs (regression guard) and one small case per relation rule."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

import assistant.judge as judge_module
from assistant.errors import ConfigError
from assistant.judge import accuracy_on, judge_support, load_pairs, split_pairs, tokenize

PAIRS = Path(__file__).resolve().parent.parent / "data" / "support_pairs.yaml"

HOST = "President Biden is scheduled to host Prime Minister Kishida for an official visit to the U.S. on April 10."
MEET = ("Japan and the United States are gearing up to announce closer collaboration in high-tech domains, "
        "particularly in artificial intelligence (AI), during an upcoming meeting between Prime Minister Fumio Kishida "
        "and President Joe Biden next month.")
ELIF = "There can be zero or more elif parts, and the else part is optional."
FIT = ("Thus whereas SAS and SPSS will give copious output from a regression or discriminant analysis, R will give "
       "minimal output and store the results in a fit object for subsequent interrogation by further R functions.")


def test_the_pairs_file_has_the_promised_shape() -> None:
    pairs = load_pairs(PAIRS)
    assert len(pairs) >= 120 and len({p.id for p in pairs}) == len(pairs)
    kinds = Counter("supported" if p.supported else p.kind.split(":")[0] for p in pairs)
    assert kinds["supported"] >= 45 and kinds["recombination"] >= 45 and kinds["other"] >= 15
    assert not any(p.supported and p.kind.startswith(("recombination", "other")) for p in pairs)
    corpora = Counter(p.corpus for p in pairs)
    assert all(n >= len(pairs) / 4 for n in corpora.values()) and set(corpora) == {"seed", "python", "r"}


def test_the_judge_accepts_no_recombination_of_the_labelled_pairs() -> None:
    result = accuracy_on(PAIRS)
    assert result.recombinations_accepted == 0
    assert result.false_accept == 0


def test_the_judge_accuracy_does_not_fall_below_the_measured_figures() -> None:
    # Measured when the judge was written (see assistant/judge.py): dev 0.880, held-out 0.852, all 0.869.
    assert accuracy_on(PAIRS).accuracy >= 0.869
    assert accuracy_on(PAIRS, "dev").accuracy >= 0.88
    assert accuracy_on(PAIRS, "heldout").accuracy >= 0.85


def test_dev_and_heldout_split_the_pairs_sixty_forty() -> None:
    pairs = load_pairs(PAIRS)
    dev, held = split_pairs(pairs, "dev"), split_pairs(pairs, "heldout")
    assert len(dev) == round(0.6 * len(pairs)) and dev + held == pairs


@pytest.mark.parametrize(("sentence", "span", "supported"), [
    ("Biden will host Kishida on April 10.", HOST, True),
    ("Biden will host Kishida on April 1.", HOST, False),  # number
    ("Biden will host Kishida on May 10.", HOST, False),  # month
    ("Use frozenset() to create an empty set.", "Use set() to create an empty set.", False),  # code token
    ("The loop runs once.", "The loop runs twice.", False),  # number word
])
def test_every_number_month_and_code_token_must_be_in_the_span(sentence: str, span: str, supported: bool) -> None:
    assert judge_support(sentence, span).supported is supported


def test_a_title_goes_with_the_same_name_as_in_the_span() -> None:
    assert judge_support("President Biden will host Prime Minister Kishida.", HOST).supported
    verdict = judge_support("Prime Minister Biden will host President Kishida.", HOST)
    assert not verdict.supported and "Minister Biden" in verdict.reason
    assert not judge_support("A meeting between Prime Minister Joe Biden and President Fumio Kishida is upcoming.",
                             MEET).supported


def test_exchanged_roles_are_caught_but_a_passive_restatement_passes() -> None:
    swapped = judge_support("Prime Minister Kishida is scheduled to host President Biden on April 10.", HOST)
    assert not swapped.supported and "order" in swapped.reason
    assert judge_support("Prime Minister Kishida will be hosted by President Biden on April 10.", HOST).supported


def test_clauses_may_be_reordered_but_words_inside_a_clause_may_not() -> None:
    assert judge_support("The else part is optional, and there can be zero or more elif parts.", ELIF).supported
    assert not judge_support("The elif part is optional, and there can be zero or more else parts.", ELIF).supported


def test_negation_must_have_the_same_polarity() -> None:
    span = "The newspaper did not cite its sources."
    assert judge_support("The newspaper did not cite its sources.", span).supported
    assert not judge_support("The newspaper cited its sources.", span).supported
    assert not judge_support("The newspaper did not report it on Saturday.",
                             "The newspaper reported it on Saturday.").supported
    # "none of X" counts X, it does not deny it.
    span = "A1, A2 and A3 are searched in turn. If none do, the final default is used."
    assert judge_support("If none of A1, A2 and A3 is set, the final default is used.", span).supported
    verdict = judge_support("The final default is not used.", span)
    assert not verdict.supported and "negates" in verdict.reason


def test_a_quantity_or_order_word_keeps_the_words_after_it() -> None:
    span = "In a stack, the last element added is the first element retrieved."
    assert judge_support("The last element added is the first element retrieved.", span).supported
    verdict = judge_support("The first element added is the first element retrieved.", span)
    assert not verdict.supported and "first" in verdict.reason
    assert not judge_support("Every handler will be executed.", "At most one handler will be executed.").supported


def test_a_name_keeps_its_clause_mates() -> None:
    # SAS and SPSS give copious output; R stores the fit: a property of R given to SAS and SPSS.
    assert judge_support("R gives minimal output and stores the results in a fit object.", FIT).supported
    verdict = judge_support("SAS and SPSS store the results in a fit object for subsequent interrogation.", FIT)
    assert not verdict.supported and "goes with other words" in verdict.reason


def test_dropping_the_condition_of_a_claim_is_unsupported() -> None:
    span = "If you store using a key that is already in use, the old value associated with that key is forgotten."
    assert not judge_support("The old value associated with a key is forgotten.", span).supported
    assert judge_support("If you store using a key already in use, the old value of that key is forgotten.",
                         span).supported
    verdict = judge_support("Only package base is loaded.", "Setting X=NULL ensures that only package base is loaded.")
    assert not verdict.supported and "condition" in verdict.reason


def test_a_long_paraphrase_may_miss_one_word_a_short_sentence_none() -> None:
    span = "R was initially written by Ross Ihaka and Robert Gentleman at the University of Auckland."
    assert judge_support("Ross Ihaka and Robert Gentleman initially wrote R at the University of Auckland.",
                         span).supported  # "wrote" is not in the span: one miss among nine content words
    assert not judge_support("R was compiled at the University of Auckland.", span).supported


def test_tokenize_splits_contractions_drops_possessives_and_keeps_abbreviations_in_one_clause() -> None:
    tokens = tokenize("Kishida’s visit to the U.S. isn't on Monday.")
    assert [t.low for t in tokens] == ["kishida", "visit", "to", "the", "u.s", "is", "not", "on", "monday"]
    assert len({t.clause for t in tokens}) == 1
    assert [t.text for t in tokens if t.key] == ["U.S", "Monday"]  # a first word is not taken for a name


def test_nothing_to_compare_is_unsupported() -> None:
    assert not judge_support("", HOST).supported
    assert not judge_support("Biden will host Kishida.", "").supported


def test_the_judge_is_independent_of_the_answer_gate() -> None:
    tree = ast.parse(Path(judge_module.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not imported & {"assistant.verify", "assistant.grounding", "assistant.policy", "assistant.text"}


def test_an_unreadable_pairs_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "pairs.yaml"
    bad.write_text("pairs: [{id: x}]", encoding="utf-8")
    with pytest.raises(ConfigError, match="support pairs"):
        load_pairs(bad)
