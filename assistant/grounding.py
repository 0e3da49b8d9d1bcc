"""What the pipeline decides without the model: whether the passages can answer the question, which passage
sentences answer it (the extractive fallback), and which passages support each sentence the model wrote.

The bundled model proposes answers; it cannot attribute them. Every decision here is deterministic, so a
better model only changes which proposals survive, never whether an unsupported claim gets through.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from assistant.citations import (
    MONTHS,
    STOPWORDS,
    WEEKDAYS,
    Span,
    content_stems,
    key_terms,
    missing_terms,
    sentence_spans,
    stem,
    stems_of,
    strip_markers,
    supports,
    words,
)
from assistant.results import Passage


class AnswerType(StrEnum):
    DATE = "date"
    AMOUNT = "amount"
    PERSON = "person"
    PLACE = "place"
    NAMES = "names"
    ANY = "any"


_TYPE_PATTERNS = [
    (AnswerType.AMOUNT, r"\bhow (much|many)\b|\b(amount|budget|funding|cost|price|invest\w*|dollars?|yen|sum)\b"),
    (AnswerType.DATE, r"\bwhen\b|\bwhat (date|day|time|year|month)\b|\bwhich (date|day|year|month)\b|\bhow long\b"),
    (AnswerType.PERSON, r"\bwho\b|\bwhom\b|\bwhose\b|\bwhich (person|official|leader|minister|president|ceo)\b"
                        r"|\bname of the (ceo|person|minister)\b"),
    (AnswerType.NAMES, r"\b(which|what) (\w+ )?(compan\w*|firms?|corporations?|organi[sz]ations?|countries|nations"
                       r"|businesses|tech giants)\b"),
    (AnswerType.PLACE, r"\bwhere\b|\bwhich (city|place|country|venue|location)\b|\bwhat (city|place|venue|location)\b"),
]
_DATE_WORDS = MONTHS | WEEKDAYS | {"month", "months", "year", "years", "week", "weeks", "today", "tomorrow",
                                   "yesterday", "upcoming", "recent"}
_CURRENCY = re.compile(r"[$€£¥]\s?\d|\d[\d,.]*\s?(million|billion|trillion|percent|%|dollars?|yen)\b", re.I)


def answer_type(question: str) -> AnswerType:
    q = question.lower()
    for kind, pattern in _TYPE_PATTERNS:
        if re.search(pattern, q):
            return kind
    return AnswerType.ANY


def has_answer_type(sentence: str, kind: AnswerType) -> bool:
    """Does ``sentence`` hold a thing of the kind asked for (a date for "when", an amount for "how much")?"""
    toks = words(sentence)
    if kind is AnswerType.DATE:
        return any(t.lower() in _DATE_WORDS or re.fullmatch(r"(19|20)\d\d", t) for t in toks)
    if kind is AnswerType.AMOUNT:
        return bool(_CURRENCY.search(sentence))
    if kind in (AnswerType.PERSON, AnswerType.PLACE, AnswerType.NAMES):
        names = [t for i, t in enumerate(toks) if i > 0 and t[:1].isupper() and t.lower() not in MONTHS]
        return bool(names)
    return True


@dataclass(frozen=True)
class Evidence:
    """A sentence of a passage, located in its source document."""

    passage: int  # index into the passages list
    start: int  # document offsets
    end: int
    text: str
    score: float


def passage_sentences(passages: Sequence[Passage]) -> list[tuple[int, Span]]:
    out = []
    for i, p in enumerate(passages):
        for span in sentence_spans(p.text):
            if len(content_stems(span.text)) >= 2:
                out.append((i, span))
    return out


_GENERIC = frozenset(stem(w) for w in (
    "expected", "likely", "plan", "going", "mention", "name", "happen", "kind", "type", "main", "describe",
    "explain", "besides", "relative", "exact", "full", "specific", "particular", "according"))
# Verbs that presuppose an event ("Why did X cancel ...?"): absent from the passages, the premise is false.
_PREMISE_VERBS = frozenset(stem(w) for w in (
    "cancel", "cancelled", "canceled", "postpone", "postponed", "delay", "delayed", "lift", "lifted", "scrap",
    "scrapped", "abandon", "abandoned", "reject", "rejected", "withdraw", "withdrew", "suspend", "suspended",
    "ban", "banned", "fail", "failed", "collapse", "collapsed", "resign", "resigned", "deny", "denied", "reverse",
    "reversed", "oppose", "opposed", "criticize", "criticized", "refuse", "refused", "end", "ended", "sign",
    "signed", "sue", "sued", "fire", "fired", "arrest", "arrested", "boycott", "sanction", "sanctioned"))
_FOCUS = re.compile(r"\b(?:which|what)\s+((?:[\w-]+\s+){0,2}?[\w-]+)\s+(?:is|are|was|were|will|would|did|does|do|has"
                    r"|have|had|can|could|should|may|might)\b|\bname of the\s+([\w-]+)", re.I)
# Focus nouns the answer-type check already covers ("what date" needs a date, not the word "date").
_TYPED_FOCUS = frozenset(stem(w) for w in ("date", "day", "time", "year", "month", "country", "countries", "nation",
                                           "nations", "person", "people", "amount", "number"))
_PART_SPLIT = re.compile(r",?\s+and\s+(?=(?:who|whom|which|what|when|where|how|why|on what|in what)\b)", re.I)


_AUX = frozenset("is are was were will would did does do has have had can could should may might the a an of kind "
                 "type sort exact specific two".split())


def focus_stem(question: str) -> str | None:
    """The stem of the noun a which/what question asks for ("Which newspaper reported …" -> newspap)."""
    toks = [w.lower() for w in words(question)]
    for i, w in enumerate(toks):
        if w in ("which", "what"):
            for nxt in toks[i + 1:i + 5]:
                if nxt not in _AUX:
                    st = stem(nxt)
                    return None if st in _GENERIC or nxt in STOPWORDS else st
    return None


def question_parts(question: str) -> list[str]:
    """A question asking two things ("Who …, and which …?") as its parts."""
    return [p.strip() for p in _PART_SPLIT.split(question) if p and p.strip()][:3]


def _question_stems(question: str) -> set[str]:
    return content_stems(question) - _GENERIC


def _idf(passages: Sequence[Passage]) -> dict[str, float]:
    sentences = [content_stems(s.text) for _, s in passage_sentences(passages)]
    df: dict[str, int] = {}
    for stems in sentences:
        for st in stems:
            df[st] = df.get(st, 0) + 1
    n = len(sentences)
    return {st: math.log((n + 1) / (d + 0.5)) for st, d in df.items()}


def rank_sentences(question: str, passages: Sequence[Passage], kind: AnswerType) -> list[Evidence]:
    """Passage sentences ordered by how well they answer ``question``: rare question words weigh most."""
    wanted = _question_stems(question)
    idf = _idf(passages)
    focus = focus_stem(question)
    total = sum(idf.get(w, 0.0) for w in wanted) or 1.0
    ranked = []
    for i, span in passage_sentences(passages):
        have = content_stems(span.text)
        overlap = sum(idf.get(w, 0.0) for w in wanted & have) / total + (0.5 if focus in have else 0.0)
        typed = has_answer_type(span.text, kind)
        score = overlap + 0.3 * passages[i].score + (0.3 if typed and kind is not AnswerType.ANY else 0.0)
        if kind is not AnswerType.ANY and not typed:
            score -= 1.0
        start = passages[i].start + span.start
        ranked.append(Evidence(i, start, start + len(span.text), span.text, score))
    ranked.sort(key=lambda e: e.score, reverse=True)
    return ranked


def refusal_reason(question: str, passages: Sequence[Passage], min_score: float, min_overlap: float) -> str | None:
    """Why the passages cannot answer ``question``; None when they may."""
    if not passages or max(p.score for p in passages) < min_score:
        return "no passage is close enough to the question"
    texts = [p.text for p in passages]
    absent = missing_terms(question, texts, question=True)
    if absent:
        return f"the documents never mention {', '.join(absent)}"
    have = stems_of(texts)
    wanted = _question_stems(question)
    if wanted and len(wanted & have) / len(wanted) < min_overlap:
        return "the documents do not talk about what the question asks"
    premise = sorted(w for w in wanted - have if w in _PREMISE_VERBS)
    if premise:
        return f"the question assumes something ({', '.join(premise)}) the documents never say"
    for m in _FOCUS.finditer(question):
        focus = content_stems(m.group(1) or m.group(2)) - _GENERIC - _TYPED_FOCUS
        if focus and not focus & have:
            return f"the documents name no {(m.group(1) or m.group(2)).lower()}"
    sentences = passage_sentences(passages)
    for part in question_parts(question):
        kind = answer_type(part)
        if kind is not AnswerType.ANY and not any(has_answer_type(s.text, kind) for _, s in sentences):
            return f"the documents state no {kind.value} for this"
    return None


def best_evidence(question: str, passages: Sequence[Passage], limit: int = 3) -> list[Evidence]:
    """The sentence(s) to quote when the model's answer did not survive verification: the best one for each part
    of the question."""
    chosen: list[Evidence] = []
    for part in question_parts(question)[:limit] or [question]:
        for ev in rank_sentences(part, passages, answer_type(part)):
            if ev.score > 0 and all(ev.text != c.text for c in chosen):
                chosen.append(ev)
                break
    return chosen


@dataclass(frozen=True)
class Support:
    """The passages (indices) that support one sentence and the span in each that does."""

    sentence: str
    evidence: tuple[Evidence, ...]
    reason: str = ""


def support_for(sentence: str, passages: Sequence[Passage], cited: Sequence[int], min_coverage: float) -> Support:
    """Find a passage span that supports ``sentence``; prefer the passages the model cited (1-based ``cited``).

    The span is one sentence of a passage, or two adjacent ones: support spread over distant sentences or passages
    is how a small model conflates facts ("restricted chips ... during Kishida's visit"), so it does not count.
    """
    text, _ = strip_markers(sentence)
    if len(content_stems(text)) < 2 and not key_terms(text) - content_stems(text):
        return Support(text, (), "too short to check")
    order = [c - 1 for c in cited if 0 < c <= len(passages)]
    order += [i for i in range(len(passages)) if i not in order]
    for i in order:
        p = passages[i]
        spans = sentence_spans(p.text)
        windows = [(a, a) for a in range(len(spans))] + [(a, a + 1) for a in range(len(spans) - 1)]
        for a, b in windows:
            window = p.text[spans[a].start:spans[b].end]
            if supports(text, [window], min_coverage):
                start = p.start + spans[a].start
                return Support(text, (Evidence(i, start, start + len(window), window, 1.0),))
    absent = missing_terms(text, [p.text for p in passages])
    reason = f"mentions {', '.join(absent)}, which no passage holds" if absent else "no passage sentence says this"
    return Support(text, (), reason)

