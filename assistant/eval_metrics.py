"""Scoring for ``assistant eval``: pure functions of (question, Answer), so they are tested without a model.

How each metric treats refusals and edge cases (the report repeats this):

- An answer *declines* when it is refused or has no sentence left (everything removed); it then has no sentences.
- Citation recall / precision follow ALCE (Gao et al., 2023, `compute_autoais`) with the support judge
  (`assistant.judge`, independent of the answer gate and checked on hand-labelled pairs) in place of the NLI model:
  a sentence is recalled when its cited passages together support it; a citation is precise when
  its sentence is supported by all its citations and it is not redundant (it alone does not support the sentence
  but the others do without it). As in ALCE: per answer, recall = recalled / sentences and precision = precise /
  counted citations (0 when none counted); only the first `at_most_citations` (3) of a sentence count; a sentence
  with no marker, or with a marker that resolves to no shown passage, is unsupported and its citations are not
  counted. Answers without sentences (refusals) are skipped, so the overall scores average over answered
  questions, and answered unanswerable questions are scored too.
- Citation validity: every marker in the text and every listed citation must be one-to-one, cite a shown passage,
  and quote exactly the passage text at its offsets. Pooled over all citations of all answers.
- Facts: an alias matches case-insensitively as a substring that starts at a word start ("chip" matches "chips",
  "AI" does not match "said") and, when it ends in a digit, is not followed by one ("10" does not match "100").
  A declined answer holds no facts. Averaged over answerable questions that list facts.
- Evidence hit: a cited passage holds an evidence span, or at least 20 characters of it at its start or end (the
  span straddles two passages: their character ranges overlap). A declined answer misses. Averaged over answerable
  questions that list evidence.
- CRAG score: +1 answerable, answered with every fact, or unanswerable and declined; 0 answerable and declined;
  -1 answered an unanswerable question, or answered without every fact.
- Unsupported entities: numbers, names and code tokens of an answered sentence (the judge's tokenisation) found in
  none of the shown passages.
- Support judge accuracy: the judge's accuracy on the hand-labelled pairs of tests/data/support_pairs.yaml, so a
  reader knows how far its citation verdicts can be trusted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from statistics import mean
from typing import Annotated

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from assistant.config import EvalSettings
from assistant.errors import ConfigError
from assistant.judge import accuracy_on, judge_support, tokenize
from assistant.results import Answer, Citation, Passage, _Frozen
from assistant.text import split_sentences, strip_markers

ALCE_AT_MOST_CITATIONS = 3  # ALCE's --at_most_citations default
MIN_EVIDENCE_OVERLAP = 20  # characters of an evidence span a passage must hold at its edge
SUPPORT_PAIRS = Path(__file__).resolve().parent.parent / "tests" / "data" / "support_pairs.yaml"


NonEmpty = Annotated[str, Field(min_length=1)]


class EvalQuestion(_Frozen):
    """One entry of a question file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: NonEmpty
    question: NonEmpty
    answerable: bool = True
    expected_facts: list[Annotated[list[NonEmpty], Field(min_length=1)]] = Field(
        default_factory=list, description="Every fact must appear; any alias of a fact counts.")
    evidence: list[NonEmpty] = Field(default_factory=list,
                                     description="Verbatim spans of the source documents that support the answer.")
    history: list[NonEmpty] = Field(
        default_factory=list, description="Earlier user turns of the conversation, oldest first (follow-ups).")
    tags: list[str] = Field(default_factory=list)

    @field_validator("expected_facts")
    @classmethod
    def _facts_need_an_answer(cls, facts: list[list[str]], info: ValidationInfo) -> list[list[str]]:
        if facts and info.data.get("answerable") is False:
            raise ValueError("an unanswerable question (answerable: false) cannot expect facts")
        return facts


# Answer modes with no text the model wrote (passage sentences quoted, a refusal, a pipeline error); "generated",
# "generated+extractive" and the baselines' model answers keep text the model wrote.
_WITHOUT_MODEL_TEXT = frozenset({"extractive", "refused", "error"})


class SentenceScore(_Frozen):
    text: str
    markers: list[int]
    supported: bool
    citations_counted: int
    citations_precise: int


class QuestionScores(_Frozen):
    id: str
    answerable: bool
    declined: bool = Field(description="Refused, or no sentence left.")
    crag: int = Field(description="+1 correct, 0 declined an answerable question, -1 wrong.")
    facts_found: int
    facts_total: int
    fact_recall: float | None
    all_facts: bool | None
    missing_facts: list[str]
    citation_recall: float | None
    citation_precision: float | None
    sentences: list[SentenceScore]
    citation_checks: int
    citation_problems: list[str]
    evidence_hit: bool | None
    evidence_retrieved: bool | None = Field(description="Any shown passage (cited or not) holds the evidence.")
    unsupported_terms: list[str]
    latency_s: float
    generate_s: float
    completion_tokens: int
    grounding_score: float | None = None
    model_wrote: bool | None = Field(
        None, description="The answer keeps a sentence the chat model wrote (not only passage sentences quoted); "
        "None when declined.")


class EvalSummary(_Frozen):
    """The ``summary`` object of results.json; other scripts read these keys."""

    model: str
    n_questions: int
    n_answerable: int
    n_unanswerable: int
    n_declined: int
    citation_validity: float | None
    citation_recall: float | None
    citation_precision: float | None
    fact_recall: float | None
    all_facts_rate: float | None
    correct_and_cited_rate: float | None = Field(
        description="Answerable questions answered with every fact and every sentence supported by its citations.")
    evidence_hit_rate: float | None
    evidence_retrieved_rate: float | None
    refusal_rate: float | None
    false_refusal_rate: float | None
    crag_score: float
    unsupported_entities: int
    latency_p50_s: float
    latency_p95_s: float
    tokens_per_s: float | None
    support_judge_accuracy: float | None = Field(
        None, description="Accuracy of the support judge on the hand-labelled pairs (None when they are not found).")
    gate_auc: float | None = Field(
        None, description="ROC AUC of the gate's score for answerable against unanswerable questions.")
    model_sentence_rate: float | None = Field(
        None, description="Share of the answers given that keep a sentence the chat model wrote: how much the model "
        "adds to the quotes (a small model's sentences rarely pass verification).")


_PUNCT = str.maketrans("’‘“”–—", "''\"\"--")


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_PUNCT)
    return " ".join(text.lower().split())


def fact_present(aliases: Sequence[str], text: str) -> bool:
    """Does ``text`` state the fact: any alias, case-insensitive, starting at a word start."""
    hay = _norm(strip_markers(text)[0])
    for alias in aliases:
        a = _norm(alias)
        if not a:
            continue
        pattern = (r"(?<!\w)" if a[0].isalnum() else "") + re.escape(a) + (r"(?!\d)" if a[-1].isdigit() else "")
        if re.search(pattern, hay):
            return True
    return False


def evidence_overlaps(evidence: str, passage_text: str, min_chars: int = MIN_EVIDENCE_OVERLAP) -> bool:
    """The passage holds the evidence span, lies inside it, or shares ``min_chars``+ of it at one of its edges."""
    e, p = _norm(evidence), _norm(passage_text)
    if not e or not p:
        return False
    if e in p or p in e:
        return True
    return any(p.endswith(e[:k]) or p.startswith(e[-k:]) for k in range(len(e) - 1, min_chars - 1, -1))


def _quote_problem(c: Citation, passages: dict[str, Passage]) -> str | None:
    p = passages.get(c.passage_id)
    if p is None:
        return f"[{c.marker}] cites passage {c.passage_id!r}, which was not shown"
    if c.source != p.source:
        return f"[{c.marker}] names source {c.source!r}, but passage {p.id!r} is from {p.source!r}"
    if not (p.start <= c.start <= c.end <= p.start + len(p.text)):
        return f"[{c.marker}] offsets {c.start}-{c.end} lie outside passage {p.id!r} ({p.start}-{p.end})"
    if p.text[c.start - p.start:c.end - p.start] != c.quote:
        return f"[{c.marker}] quote is not the text of passage {p.id!r} at {c.start}-{c.end}"
    return None


def citation_problems(answer: Answer) -> tuple[int, list[str]]:
    """How many citations were checked, and what is wrong with the invalid ones."""
    passages = {p.id: p for p in answer.passages}
    used = set(strip_markers(answer.text)[1])
    listed: dict[int, list[Citation]] = {}
    for c in answer.citations:
        listed.setdefault(c.marker, []).append(c)
    markers = sorted(used | set(listed))
    problems = []
    for m in markers:
        cs = listed.get(m, [])
        if m not in used:
            problems.append(f"[{m}] is listed but never used in the text")
        elif not cs:
            problems.append(f"[{m}] in the text has no citation")
        elif len(cs) > 1:
            problems.append(f"[{m}] is listed {len(cs)} times")
        elif problem := _quote_problem(cs[0], passages):
            problems.append(problem)
    return len(markers), problems


def _cited_passages(answer: Answer) -> dict[int, Passage]:
    """Marker -> the passage its citation points to; markers that resolve to no shown passage are absent."""
    passages = {p.id: p for p in answer.passages}
    out: dict[int, Passage] = {}
    for c in answer.citations:
        if c.marker not in out and c.passage_id in passages:
            out[c.marker] = passages[c.passage_id]
    return out


def alce_sentence(sentence: str, docs: dict[int, str], *,
                  at_most_citations: int | None = ALCE_AT_MOST_CITATIONS) -> SentenceScore:
    """ALCE's recall and precision bookkeeping for one answer sentence; ``docs`` maps marker -> passage text."""
    text, refs = strip_markers(sentence)
    if not refs or any(r not in docs for r in refs):
        return SentenceScore(text=text, markers=refs, supported=False, citations_counted=0, citations_precise=0)
    if at_most_citations is not None:
        refs = refs[:at_most_citations]

    def ok(rs: Sequence[int]) -> bool:
        return judge_support(text, "\n".join(docs[r] for r in rs)).supported

    joint = ok(refs)
    precise = int(joint)
    if joint and len(refs) > 1:
        # Precise unless redundant: not enough alone, yet the others support the sentence without it.
        precise = sum(1 for i, r in enumerate(refs) if ok([r]) or not ok(refs[:i] + refs[i + 1:]))
    return SentenceScore(text=text, markers=refs, supported=joint, citations_counted=len(refs),
                         citations_precise=precise)


def crag_score(answerable: bool, declined: bool, all_facts: bool | None) -> int:
    """CRAG's scoring: +1 correct, 0 missing (declined an answerable question), -1 wrong."""
    if not answerable:
        return 1 if declined else -1
    return 0 if declined else (1 if all_facts is not False else -1)


def unsupported_terms(sentence: str, passages: Sequence[str]) -> list[str]:
    """Numbers, names and code tokens of ``sentence`` (its markers removed) that none of ``passages`` holds."""
    held = {w for p in passages for t in tokenize(p) for w in (t.low, t.stem)}
    return sorted({t.low for t in tokenize(strip_markers(sentence)[0])
                   if t.key and (t.text[:1].isupper() or not t.text.isalpha()) and not {t.low, t.stem} & held})


def score_answer(question: EvalQuestion, answer: Answer, *,
                 at_most_citations: int | None = ALCE_AT_MOST_CITATIONS) -> QuestionScores:
    """Every per-question score; pure (no model, no index)."""
    sentences = [] if answer.refused else split_sentences(answer.text)
    declined = not sentences
    cited = _cited_passages(answer)
    docs = {m: p.text for m, p in cited.items()}
    scored = [alce_sentence(s, docs, at_most_citations=at_most_citations) for s in sentences]
    counted = sum(s.citations_counted for s in scored)

    facts = question.expected_facts if question.answerable else []
    found = [not declined and fact_present(f, answer.text) for f in facts]
    all_facts = all(found) if facts else None
    crag = crag_score(question.answerable, declined, all_facts)

    def hits(passages: Iterable[Passage]) -> bool | None:
        if not question.answerable or not question.evidence:
            return None
        ps = list(passages)
        return any(evidence_overlaps(e, p.text) for e in question.evidence for p in ps)

    used = set(strip_markers(answer.text)[1])
    checks, problems = citation_problems(answer)
    texts = [p.text for p in answer.passages]
    unsupported = sorted({t for s in sentences for t in unsupported_terms(s, texts)})
    t = answer.timings
    return QuestionScores(
        id=question.id, answerable=question.answerable, declined=declined, crag=crag,
        facts_found=sum(found), facts_total=len(facts), fact_recall=sum(found) / len(facts) if facts else None,
        all_facts=all_facts, missing_facts=[f[0] for f, ok in zip(facts, found, strict=True) if not ok and f],
        citation_recall=None if declined else sum(s.supported for s in scored) / len(scored),
        citation_precision=None if declined else (sum(s.citations_precise for s in scored) / counted
                                                  if counted else 0.0),
        sentences=scored, citation_checks=checks, citation_problems=problems,
        evidence_hit=hits([] if declined else [p for m, p in cited.items() if m in used]),
        evidence_retrieved=hits(answer.passages), unsupported_terms=unsupported,
        latency_s=t.total, generate_s=t.generate, completion_tokens=t.completion_tokens,
        grounding_score=answer.grounding_score,
        model_wrote=None if declined else answer.mode not in _WITHOUT_MODEL_TEXT,
    )


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); 0.0 for no values."""
    if not values:
        return 0.0
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _mean(values: Iterable[float | bool | None]) -> float | None:
    xs = [float(v) for v in values if v is not None]
    return mean(xs) if xs else None


def support_judge_accuracy(pairs_path: Path = SUPPORT_PAIRS) -> float | None:
    """The judge's accuracy on the hand-labelled support pairs; None when the file is absent (installed package)."""
    return accuracy_on(pairs_path).accuracy if pairs_path.is_file() else None


def summarize(scores: Sequence[QuestionScores], model: str = "",
              support_judge_accuracy: float | None = None) -> EvalSummary:
    answered = [s for s in scores if not s.declined]
    answerable = [s for s in scores if s.answerable]
    unanswerable = [s for s in scores if not s.answerable]
    with_facts = [s for s in answerable if s.facts_total]
    checks = sum(s.citation_checks for s in scores)
    timed = [s for s in scores if s.generate_s > 0 and s.completion_tokens > 0]
    latencies = [s.latency_s for s in scores]
    return EvalSummary(
        model=model, n_questions=len(scores), n_answerable=len(answerable), n_unanswerable=len(unanswerable),
        n_declined=len(scores) - len(answered),
        citation_validity=(checks - sum(len(s.citation_problems) for s in scores)) / checks if checks else None,
        citation_recall=_mean(s.citation_recall for s in answered),
        citation_precision=_mean(s.citation_precision for s in answered),
        fact_recall=_mean(s.fact_recall for s in with_facts),
        all_facts_rate=_mean(s.all_facts for s in with_facts),
        correct_and_cited_rate=_mean(s.all_facts is True and s.citation_recall == 1.0 for s in with_facts),
        evidence_hit_rate=_mean(s.evidence_hit for s in answerable),
        evidence_retrieved_rate=_mean(s.evidence_retrieved for s in answerable),
        refusal_rate=_mean(s.declined for s in unanswerable),
        false_refusal_rate=_mean(s.declined for s in answerable),
        crag_score=_mean(s.crag for s in scores) or 0.0,
        unsupported_entities=sum(len(s.unsupported_terms) for s in scores),
        latency_p50_s=percentile(latencies, 50), latency_p95_s=percentile(latencies, 95),
        tokens_per_s=(sum(s.completion_tokens for s in timed) / sum(s.generate_s for s in timed)) if timed else None,
        support_judge_accuracy=support_judge_accuracy,
        gate_auc=roc_auc([(s.grounding_score, s.answerable) for s in scores if s.grounding_score is not None]),
        model_sentence_rate=_mean(s.model_wrote for s in answered),
    )


def roc_auc(scored: Sequence[tuple[float, bool]]) -> float | None:
    """Probability that an answerable question scores above an unanswerable one (ties count half)."""
    pos = [v for v, y in scored if y]
    neg = [v for v, y in scored if not y]
    if not pos or not neg:
        return None
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


def threshold_metric(name: str) -> tuple[str, bool]:
    """``min_fact_recall`` -> (``fact_recall``, True: a lower bound)."""
    return name[4:], name.startswith("min_")


def check_threshold_names(thresholds: EvalSettings) -> None:
    """Every threshold must be ``min_<metric>`` or ``max_<metric>`` of a summary metric; checked before a run."""
    for name in thresholds.model_dump():
        metric, _ = threshold_metric(name)
        if name[:4] not in ("min_", "max_") or metric not in EvalSummary.model_fields:
            raise ConfigError(f"Eval threshold {name!r} names no metric: use min_<metric> or max_<metric> with one "
                              f"of {', '.join(EvalSummary.model_fields)}.")


def failed_thresholds(summary: EvalSummary, thresholds: EvalSettings) -> list[str]:
    """One line per threshold missed; a metric with no value (e.g. no unanswerable questions) is not judged."""
    check_threshold_names(thresholds)
    failed = []
    for name, limit in thresholds.model_dump().items():
        metric, lower = threshold_metric(name)
        value = getattr(summary, metric)
        if value is None:
            continue
        if (value < limit - 1e-9) if lower else (value > limit + 1e-9):
            failed.append(f"{metric} = {value:.3g} {'<' if lower else '>'} {limit:g} ({name})")
    return failed
